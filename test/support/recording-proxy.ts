import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { once } from "node:events";

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The body as text (UTF-8): OTLP/protobuf keeps its strings as UTF-8 bytes, so they are searchable too. */
  body: string;
  /** The body's bytes, as sent. */
  raw: Buffer;
}

export interface RecordingProxy {
  url: string;
  /** Every request that reached the proxy, in order. */
  requests: Recorded[];
  /** Everything that left the service towards its trace backend, as one string to search. */
  bodies(): string;
  close(): Promise<void>;
}

/**
 * Sits between the service and a trace backend and keeps every byte the service sent: the
 * test's view of "what left the process". With `target` it forwards to it; with `reply` it
 * answers itself (e.g. a failing backend that echoes the request's Authorization header back,
 * to prove the service does not log what a backend answers).
 */
export async function startRecordingProxy(options: {
  target?: string;
  reply?: (req: Recorded) => { status: number; body: string };
}): Promise<RecordingProxy> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const rec: Recorded = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: raw.toString("utf8"),
        raw,
      };
      requests.push(rec);
      if (options.reply) {
        const { status, body } = options.reply(rec);
        res.writeHead(status, { "content-type": "application/json" }).end(body);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === "string" && k !== "host" && k !== "content-length" && k !== "connection") headers[k] = v;
      fetch(`${options.target}${rec.url}`, {
        method: rec.method,
        headers,
        body: rec.method === "GET" ? undefined : rec.raw,
        signal: AbortSignal.timeout(10_000),
      }).then(
        async (up) =>
          res
            .writeHead(up.status, { "content-type": up.headers.get("content-type") ?? "application/json" })
            .end(await up.text()),
        () => res.writeHead(502).end(),
      );
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bodies: () => requests.map((r) => r.body).join("\n"),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
