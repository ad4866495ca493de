// A Langfuse-shaped OTLP endpoint that keeps no spans, only counts them and the bytes of each
// request body: what the service's exporter sends for its turns, measured on the wire.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface CountingReceiver {
  baseUrl: string;
  publicKey: string;
  secretKey: string;
  /** Request body bytes received so far (as sent: the exporter does not compress). */
  readonly bytes: number;
  readonly spans: number;
  readonly requests: number;
  /** Resolves once `spans` spans have arrived; rejects after `timeoutMs`. */
  untilSpans(spans: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Reads a protobuf varint at `at`; returns [value, next offset]. */
function varint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
    shift += 7;
  }
}

/** The length-delimited fields numbered `field` of a message, as [start, end) offsets. */
function fields(buf: Buffer, start: number, end: number, field: number): [number, number][] {
  const out: [number, number][] = [];
  let at = start;
  while (at < end) {
    const [key, next] = varint(buf, at);
    at = next;
    const wire = key & 7;
    if (wire === 0) at = varint(buf, at)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [length, from] = varint(buf, at);
      if (key >>> 3 === field) out.push([from, from + length]);
      at = from + length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

/** Spans in an OTLP ExportTraceServiceRequest: resource_spans(1) > scope_spans(2) > spans(2). */
export function countProtobufSpans(body: Buffer): number {
  let spans = 0;
  for (const [rs, rsEnd] of fields(body, 0, body.length, 1))
    for (const [ss, ssEnd] of fields(body, rs, rsEnd, 2)) spans += fields(body, ss, ssEnd, 2).length;
  return spans;
}

function countJsonSpans(body: Buffer): number {
  const request = JSON.parse(body.toString("utf8")) as {
    resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
  };
  let spans = 0;
  for (const rs of request.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
  return spans;
}

export async function startCountingReceiver(): Promise<CountingReceiver> {
  const publicKey = `pk-lf-bench-${randomBytes(6).toString("hex")}`;
  const secretKey = `sk-lf-bench-${randomBytes(18).toString("hex")}`;
  const expectedAuth = `Basic ${Buffer.from(`${publicKey}:${secretKey}`).toString("base64")}`;
  let bytes = 0;
  let spans = 0;
  let requests = 0;
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/api/public/otel/v1/traces") return void res.writeHead(404).end();
      if (req.headers.authorization !== expectedAuth) return void res.writeHead(401).end();
      const body = Buffer.concat(chunks);
      const json = String(req.headers["content-type"]).includes("json");
      bytes += body.length;
      spans += json ? countJsonSpans(body) : countProtobufSpans(body);
      requests++;
      for (const wake of waiters) wake();
      if (json) res.writeHead(200, { "content-type": "application/json" }).end("{}");
      else res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    publicKey,
    secretKey,
    get bytes() {
      return bytes;
    },
    get spans() {
      return spans;
    },
    get requests() {
      return requests;
    },
    untilSpans(target, timeoutMs) {
      if (spans >= target) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`${spans} of ${target} spans arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        const wake = () => {
          if (spans < target) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
      });
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
