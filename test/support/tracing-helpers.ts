// Shared by the tracing end-to-end tests: a receiver to export to, the env that points the
// service at it, bounded polls over the receiver's public API, and /metrics parsing.
import { startReceiver, type Receiver } from "../../src/receiver/receiver.js";
import { basicAuthHeader, DEV_KEY_PAIR } from "../../src/receiver/basic-auth.js";
import type { RunningService } from "./start-service.js";

export const AUTH = basicAuthHeader(DEV_KEY_PAIR);

/** Any single HTTP call of a test: a hang fails the test instead of hanging the run. */
export const CALL_TIMEOUT_MS = 10_000;
/** How long a poll waits for the pipeline to deliver before the test fails. */
export const DELIVERY_DEADLINE_MS = 5_000;

export { startReceiver, type Receiver };

/** Env that traces every turn to `receiver` with a short flush interval. */
export function tracedEnv(
  receiver: Receiver | { url: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    LANGFUSE_ENABLED: "true",
    LANGFUSE_BASE_URL: receiver.url,
    LANGFUSE_PUBLIC_KEY: DEV_KEY_PAIR.publicKey,
    LANGFUSE_SECRET_KEY: DEV_KEY_PAIR.secretKey,
    LANGFUSE_FLUSH_INTERVAL: "0.05",
    ...extra,
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = DELIVERY_DEADLINE_MS,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`,
      );
    await sleep(everyMs);
  }
}

export interface Observation {
  id: string;
  traceId: string;
  type: string;
  name: string;
  startTime: string;
  endTime: string;
  completionStartTime: string | null;
  model: string | null;
  input: any;
  output: any;
  metadata: Record<string, any> | null;
  usage: { input: number; output: number; total: number };
  level: string;
  statusMessage: string | null;
  parentObservationId: string | null;
}

export interface Trace {
  id: string;
  name: string | null;
  userId: string | null;
  sessionId: string | null;
  tags: string[];
  input: any;
  output: any;
  metadata: Record<string, any>;
  observations: Observation[];
}

/** GET /api/public/traces/:id; undefined on 404. */
export async function getTrace(receiver: Receiver, id: string): Promise<Trace | undefined> {
  const res = await fetch(`${receiver.url}/api/public/traces/${id}`, {
    headers: { authorization: AUTH },
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.status !== 200) throw new Error(`GET trace ${id}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Trace;
}

/** Waits until the trace has at least `observations` observations and returns it. */
export function waitForTrace(
  receiver: Receiver,
  id: string,
  observations: number,
  timeoutMs = DELIVERY_DEADLINE_MS,
): Promise<Trace> {
  return waitFor(
    `trace ${id} with ${observations} observations`,
    async () => {
      const trace = await getTrace(receiver, id);
      return trace && trace.observations.length >= observations ? trace : undefined;
    },
    timeoutMs,
  );
}

/** The spans of a trace as the receiver stored them, with their raw OTLP attributes. */
export async function rawSpans(
  receiver: Receiver,
  traceId: string,
): Promise<
  Array<{ id: string; name: string; parent_observation_id: string | null; attributes: Record<string, unknown> }>
> {
  const res = await fetch(`${receiver.url}/_receiver/spans?traceId=${traceId}`, {
    headers: { authorization: AUTH },
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  if (res.status !== 200) throw new Error(`GET raw spans: HTTP ${res.status}`);
  return ((await res.json()) as { data: any[] }).data;
}

/** The observation called `name`; fails when there is not exactly one. */
export function one(trace: Trace, name: string): Observation {
  const found = trace.observations.filter((observation) => observation.name === name);
  if (found.length !== 1)
    throw new Error(
      `expected exactly one observation "${name}", found ${found.length} in [${trace.observations.map((observation) => observation.name).join(", ")}]`,
    );
  return found[0]!;
}

export async function postChat(
  svc: RunningService,
  body: unknown,
  path = "/api/v1/chat",
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${svc.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed };
}

export async function metricsText(svc: RunningService): Promise<string> {
  const res = await fetch(`${svc.url}/metrics`, { signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  return res.text();
}

/**
 * The value of one series in Prometheus text: the sum of the samples whose labels include
 * `labels` (other labels allowed), 0 when the family has no such sample yet (a labelled counter
 * never incremented prints none). Throws when the metric family itself is missing, so a check
 * on a renamed or unregistered metric fails instead of reading 0.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const family = name.replace(/_(count|sum|bucket)$/, "");
  if (!text.includes(`# TYPE ${name} `) && !text.includes(`# TYPE ${family} `))
    throw new Error(`no metric ${name} on /metrics`);
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const pair of (m[3] ?? "").matchAll(/(\w+)="([^"]*)"/g)) have[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[4]);
  }
  return sum;
}
