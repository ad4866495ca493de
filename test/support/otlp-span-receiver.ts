import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeOtlpProtobuf } from "../../src/receiver/otlp-protobuf-decoder.js";

/** One span as the receiver decoded it from an OTLP/HTTP body (JSON, or protobuf as our exporter sends it). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  attributes: Record<string, unknown>;
}

export interface TestReceiver {
  baseUrl: string;
  spans: ReceivedSpan[];
  /** Each request's headers, to check auth and the x-langfuse-* headers. */
  requests: { url: string | undefined; headers: IncomingMessage["headers"] }[];
  close(): Promise<void>;
}

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}

function decodeValue(v: OtlpAnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(decodeValue);
  return undefined;
}

/** OTLP JSON ids are hex in OTel JS's JSON serializer; accept base64 too, to stay honest if that changes. */
function hexId(id: unknown): string | undefined {
  if (typeof id !== "string" || id === "") return undefined;
  if (/^[0-9a-f]+$/i.test(id)) return id.toLowerCase();
  return Buffer.from(id, "base64").toString("hex");
}

/**
 * A tiny Langfuse-shaped OTLP receiver for tests: accepts POST /api/public/otel/v1/traces with a
 * JSON body (the official SDK's) or a protobuf one (our exporter's, decoded by the receiver's
 * decoder) and records the decoded spans. `respondWith` lets a test make it fail.
 */
export async function startTestReceiver(respondWith: () => number = () => 200): Promise<TestReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: TestReceiver["requests"] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ url: req.url, headers: req.headers });
      if (req.method !== "POST" || req.url !== "/api/public/otel/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      const status = respondWith();
      if (status === 200 && /protobuf/.test(String(req.headers["content-type"]))) {
        for (const s of decodeOtlpProtobuf(Buffer.concat(chunks)))
          spans.push({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? undefined,
            name: s.name,
            attributes: s.attributes,
          });
      } else if (status === 200) {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        for (const rs of body.resourceSpans ?? []) {
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              const attributes: Record<string, unknown> = {};
              for (const a of s.attributes ?? []) attributes[a.key] = decodeValue(a.value ?? {});
              spans.push({
                traceId: hexId(s.traceId)!,
                spanId: hexId(s.spanId)!,
                parentSpanId: hexId(s.parentSpanId),
                name: s.name,
                attributes,
              });
            }
          }
        }
      }
      res.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    spans,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
