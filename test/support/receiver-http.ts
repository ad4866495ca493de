// Shared by the receiver's tests: talking to a receiver over real HTTP the way clients do.
import { basicAuthHeader, DEV_KEY_PAIR } from "../../src/receiver/basic-auth.js";
import type { Receiver } from "../../src/receiver/receiver.js";

export const DEV_AUTH = basicAuthHeader(DEV_KEY_PAIR);

/** Per-test deadline for node:test, so a hung socket fails the test instead of the run. */
export const TEST_TIMEOUT_MS = 15_000;

export async function getJson<T = any>(
  receiver: Receiver,
  path: string,
  auth: string | null = DEV_AUTH,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${receiver.url}${path}`, {
    headers: auth === null ? {} : { authorization: auth },
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, body: (await res.json()) as T };
}

export interface PostOptions {
  contentType?: string;
  contentEncoding?: string;
  auth?: string | null;
  timeoutMs?: number;
  /** Extra request headers, e.g. x-langfuse-ingestion-version. */
  headers?: Record<string, string>;
}

export async function postIngest(
  receiver: Receiver,
  body: string | Uint8Array,
  options: PostOptions = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const headers: Record<string, string> = {
    "content-type": options.contentType ?? "application/json",
    ...options.headers,
  };
  if (options.auth !== null) headers.authorization = options.auth ?? DEV_AUTH;
  if (options.contentEncoding) headers["content-encoding"] = options.contentEncoding;
  const res = await fetch(`${receiver.url}/api/public/otel/v1/traces`, {
    method: "POST",
    headers,
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

let idCounter = 0;
/** A fresh hex id of `bytes` bytes, unique within the process. */
export function hexId(bytes: 8 | 16): string {
  idCounter++;
  return (Date.now().toString(16) + idCounter.toString(16).padStart(8, "0")).padStart(bytes * 2, "0").slice(-bytes * 2);
}

/** A minimal OTLP/JSON request body holding the given spans. */
export function otlpJsonBody(
  spans: Array<{
    traceId: string;
    spanId: string;
    parentSpanId?: string;
    name: string;
    attributes?: Record<string, string | number | boolean>;
    startMs?: number;
    endMs?: number;
  }>,
  /** The instrumentation scope: the receiver treats `langfuse-sdk` as the official SDK's spans. */
  scope = { name: "test-scope", version: "1" },
): string {
  const now = Date.now();
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "test" } }] },
        scopeSpans: [
          {
            scope,
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId,
              name: s.name,
              kind: 1,
              startTimeUnixNano: String(BigInt(s.startMs ?? now) * 1_000_000n),
              endTimeUnixNano: String(BigInt(s.endMs ?? now + 5) * 1_000_000n),
              attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({
                key,
                value:
                  typeof v === "string"
                    ? { stringValue: v }
                    : typeof v === "boolean"
                      ? { boolValue: v }
                      : Number.isInteger(v)
                        ? { intValue: v }
                        : { doubleValue: v },
              })),
              status: { code: 0 },
            })),
          },
        ],
      },
    ],
  });
}
