// The transport against real sockets: each way an attempt can end, read as Langfuse could have
// stored the batch or not. The distinction decides whether a re-send may duplicate data in v4.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";
import { OtlpHttpTransport } from "./otlp-http-transport.js";

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** An HTTP server that reads each whole request body and then does what `handle` says. */
async function withServer(
  handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
  fn: (url: string, seen: { bodies: number; headers: IncomingMessage["headers"][] }) => Promise<void>,
): Promise<void> {
  const seen = { bodies: 0, headers: [] as IncomingMessage["headers"][] };
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.bodies++;
      seen.headers.push(req.headers);
      handle(req, res, Buffer.concat(chunks));
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const port = await listen(server);
  try {
    await fn(`http://127.0.0.1:${port}/api/public/otel/v1/traces`, seen);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
}

const transport = (url: string, timeoutMs = 2000) =>
  new OtlpHttpTransport({
    url,
    headers: { authorization: "Basic x", "x-langfuse-ingestion-version": "4" },
    timeoutMs,
    maxSockets: 2,
  });

describe("OtlpHttpTransport outcomes", () => {
  test("2xx is stored, and the request carries the headers and the body as JSON", async () => {
    await withServer(
      (_req, res) => res.end("{}"),
      async (url, seen) => {
        const t = transport(url);
        assert.deepEqual(await t.send('{"a":1}', "application/json"), { kind: "stored", status: 200 });
        assert.equal(seen.headers[0]!["x-langfuse-ingestion-version"], "4");
        assert.equal(seen.headers[0]!["content-type"], "application/json");
        t.close();
      },
    );
  });

  test("statuses: 401/403 auth_failed, 413 too_large, 400 rejected, 429/503 not stored with Retry-After, 500 unknown", async () => {
    const statuses = [401, 403, 413, 400, 429, 503, 500, 408];
    let i = 0;
    await withServer(
      (_req, res) => {
        const status = statuses[i++]!;
        res.writeHead(status, status === 429 || status === 503 ? { "retry-after": "3" } : {}).end();
      },
      async (url) => {
        const t = transport(url);
        const kinds = [];
        for (let n = 0; n < statuses.length; n++) {
          const outcome = await t.send("{}", "application/json");
          kinds.push(outcome.kind === "not_stored" ? `${outcome.kind}:${outcome.retryAfterMs ?? "-"}` : outcome.kind);
        }
        assert.deepEqual(kinds, [
          "auth_failed",
          "auth_failed",
          "too_large",
          "rejected",
          "not_stored:3000",
          "not_stored:3000",
          "unknown",
          "not_stored:-",
        ]);
        t.close();
      },
    );
  });

  test("connection refused: not stored", async () => {
    const probe = createTcpServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r));
    const t = transport(`http://127.0.0.1:${port}/x`);
    const outcome = await t.send("{}", "application/json");
    assert.equal(outcome.kind, "not_stored");
    t.close();
  });

  test("the server read the whole body, then cut the connection: unknown (it may have stored it)", async () => {
    await withServer(
      (req) => req.socket.destroy(),
      async (url, seen) => {
        const t = transport(url);
        const outcome = await t.send(JSON.stringify({ pad: "x".repeat(1000) }), "application/json");
        assert.equal(seen.bodies, 1, "the server had the body");
        assert.equal(outcome.kind, "unknown");
        t.close();
      },
    );
  });

  test("the whole body was sent, then no answer before the deadline: unknown", async () => {
    await withServer(
      () => {
        /* never answers */
      },
      async (url, seen) => {
        const t = transport(url, 300);
        const outcome = await t.send("{}", "application/json");
        assert.equal(seen.bodies, 1);
        assert.deepEqual(outcome.kind === "unknown" ? outcome.reason : outcome, "timeout");
        t.close();
      },
    );
  });

  test("cut before the body was complete: not stored (the server cannot have all of it)", async () => {
    // A raw TCP server that reads the headers and a first chunk, then resets the connection.
    const server = createTcpServer((socket) => {
      socket.once("data", () => socket.resetAndDestroy());
    });
    const port = await listen(server);
    try {
      const t = transport(`http://127.0.0.1:${port}/x`);
      const outcome = await t.send(JSON.stringify({ pad: "y".repeat(8 * 1024 * 1024) }), "application/json");
      assert.equal(outcome.kind, "not_stored", JSON.stringify(outcome));
      t.close();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test("a server that never reads the body: the deadline ends the attempt as not stored", async () => {
    const held: Socket[] = [];
    const server = createTcpServer((socket) => {
      socket.pause();
      held.push(socket);
    });
    const port = await listen(server);
    try {
      const t = transport(`http://127.0.0.1:${port}/x`, 300);
      const outcome = await t.send(JSON.stringify({ pad: "z".repeat(16 * 1024 * 1024) }), "application/json");
      assert.deepEqual(outcome.kind === "not_stored" ? outcome.reason : outcome, "timeout");
      t.close();
    } finally {
      for (const s of held) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  test("a kept-alive socket the server closed while idle: not stored (it never read the request)", async () => {
    let requests = 0;
    await withServer(
      (req, res) => {
        requests++;
        // Answers, then closes the socket behind the client's back while it sits in the pool.
        res.end("{}", () => setTimeout(() => req.socket.destroy(), 20));
      },
      async (url) => {
        const t = transport(url);
        assert.equal((await t.send("{}", "application/json")).kind, "stored");
        await new Promise((r) => setTimeout(r, 100));
        const second = await t.send("{}", "application/json");
        // Either Node noticed the close and opened a new socket (stored), or it wrote into the dead one: never "unknown".
        assert.notEqual(second.kind, "unknown", JSON.stringify(second));
        t.close();
        assert.ok(requests >= 1);
      },
    );
  });
});
