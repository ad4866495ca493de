// Without Langfuse keys the service exports to its embedded receiver on
// LANGFUSE_LOCAL_RECEIVER_PORT. When something else already listens there (Loki also defaults to
// 3100), the service checks GET /_receiver/info: a foreign server gets nothing and tracing is off
// with one error naming the variable; a Switchboard receiver started beforehand on the same data
// folder (`npm run receiver`: it accepts the folder's key pair) is used as it is; another
// Switchboard's receiver (another data folder) gets nothing either. Service and servers are
// separate processes on loopback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chatTurns } from "./support/chat-load.js";
import { rowsByTrace } from "./support/receiver-rows.js";
import { scrapeMetrics } from "./support/service-metrics.js";
import { freePort, spawnReceiver, type SpawnedReceiver } from "./support/spawn-receiver.js";
import { spawnService, type SpawnedService } from "./support/spawn-service.js";
import { sleep, waitFor } from "./support/tracing-helpers.js";

/** A plain HTTP server that is not a trace receiver; it records every request it gets. */
async function foreignServer(
  port: number,
  answer: { status: number; body: string; contentType: string },
): Promise<{ server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(answer.status, { "content-type": answer.contentType });
    res.end(answer.body);
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return { server, requests };
}

function keylessEnv(dir: string, port: number): Record<string, string> {
  // No LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY: the local receiver is the destination.
  return {
    SESSION_STORE: "memory",
    SIM_TTFT_MS: "0",
    SIM_TOKEN_MS: "0",
    LANGFUSE_LOCAL_RECEIVER_PORT: String(port),
    LANGFUSE_LOCAL_RECEIVER_DB: join(dir, "embedded-traces.db"),
    LANGFUSE_JOURNAL_DIR: join(dir, "spool"),
    LANGFUSE_SHUTDOWN_TIMEOUT: "2",
  };
}

const FOREIGN_SERVERS = [
  // Answers everything 200 with JSON: only the body of /_receiver/info tells it apart.
  {
    name: "a JSON server answering 200 to everything",
    status: 200,
    body: '{"status":"ok"}',
    contentType: "application/json",
  },
  // Loki-like: 404 text for unknown paths.
  { name: "a server answering 404 text", status: 404, body: "404 page not found\n", contentType: "text/plain" },
];

for (const foreign of FOREIGN_SERVERS) {
  test(
    `the local receiver port held by ${foreign.name}: one error naming LANGFUSE_LOCAL_RECEIVER_PORT, chats answered untraced, nothing sent there`,
    { timeout: 60_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "receiver-port-"));
      const port = await freePort();
      const { server, requests } = await foreignServer(port, foreign);
      let svc: SpawnedService | undefined;
      try {
        svc = await spawnService(keylessEnv(dir, port));
        const turns = await chatTurns(svc.url, 10);
        assert.equal(turns.length, 10);
        for (const t of turns) {
          assert.equal(t.status, 200);
          assert.equal(t.traceId, null, "no trace id: tracing is off");
          assert.equal(t.traceUrl, null, "no link to a trace that does not exist");
        }
        // Longer than a flush interval (0.5 s): anything tracing would send has been sent by now.
        await sleep(1500);
        assert.deepEqual(requests, ["GET /_receiver/info"], "only the identity check reached the foreign server");

        const lines = svc
          .output()
          .stdout.split("\n")
          .filter((l) => l.includes("LANGFUSE_LOCAL_RECEIVER_PORT"));
        assert.equal(lines.length, 1, `one line naming LANGFUSE_LOCAL_RECEIVER_PORT:\n${svc.output().stdout}`);
        const line = JSON.parse(lines[0]!) as { level: number; msg: string; port: number };
        assert.equal(line.level, 50, "logged as an error");
        assert.equal(line.port, port);
        assert.match(line.msg, new RegExp(`port ${port} is taken`));
        const ready = svc
          .output()
          .stdout.split("\n")
          .find((l) => l.includes("switchboard ready on"));
        assert.equal(
          (JSON.parse(ready!) as { traces: unknown }).traces,
          null,
          "the start-up line names no trace destination",
        );
        assert.equal(await svc.stop("SIGTERM"), 0);
      } finally {
        await svc?.stop("SIGKILL");
        server.closeAllConnections();
        server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}

test(
  "a Switchboard receiver already on the local receiver port (npm run receiver) is used, and outlives the service",
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "receiver-port-"));
    const port = await freePort();
    let receiver: SpawnedReceiver | undefined;
    let svc: SpawnedService | undefined;
    try {
      // Its own random key pair, made in the data folder the service uses too.
      receiver = await spawnReceiver(port, join(dir, "standalone.db"), { RECEIVER_DEV_KEYS: "false" });
      const standalone = receiver;
      svc = await spawnService(keylessEnv(dir, port));
      assert.match(
        svc.output().stdout,
        /our Switchboard receiver already listens on the local receiver port; exporting to it/,
      );
      assert.doesNotMatch(svc.output().stdout, /LANGFUSE_LOCAL_RECEIVER_PORT/, "no error about the port");
      const turns = await chatTurns(svc.url, 10);
      assert.equal(turns.length, 10);
      for (const t of turns) {
        assert.equal(t.status, 200);
        assert.match(t.traceId ?? "", /^[0-9a-f]{32}$/);
        assert.ok(
          t.traceUrl?.startsWith(`http://127.0.0.1:${port}/`),
          `trace_url ${t.traceUrl} points at the receiver on port ${port}`,
        );
      }
      const created = (await scrapeMetrics(svc.url)).sum("switchboard_tracing_observations_created_total")!;
      assert.ok(created >= 40, `${created} observations for 10 turns`);
      const rows = await waitFor(
        "the turns' traces in the standalone receiver",
        async () => {
          const byTrace = await rowsByTrace(standalone.url, standalone.keys);
          return turns.every((t) => byTrace.get(t.traceId!)?.ids.size === created / 10) ? byTrace : undefined;
        },
        15_000,
        200,
      );
      assert.equal(rows.size, 10, "exactly the ten turns' traces");
      assert.equal((await receiver.stats()).store.duplicateRows, 0);
      assert.equal(await svc.stop("SIGTERM"), 0);
      // The service did not own that receiver, so it did not stop it.
      assert.equal((await receiver.info()).receiver, "switchboard");
      assert.equal((await receiver.stats()).store.traces, 10);
    } finally {
      await svc?.stop("SIGKILL");
      await receiver?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "another Switchboard's receiver on the local receiver port (another data folder) gets none of our traces: one error, tracing off",
  { timeout: 60_000 },
  async () => {
    const theirs = mkdtempSync(join(tmpdir(), "receiver-port-theirs-"));
    const ours = mkdtempSync(join(tmpdir(), "receiver-port-ours-"));
    const port = await freePort();
    let receiver: SpawnedReceiver | undefined;
    let svc: SpawnedService | undefined;
    try {
      receiver = await spawnReceiver(port, join(theirs, "receiver.db"), { RECEIVER_DEV_KEYS: "false" });
      svc = await spawnService(keylessEnv(ours, port));
      const turns = await chatTurns(svc.url, 5);
      for (const t of turns) {
        assert.equal(t.status, 200);
        assert.equal(t.traceId, null, "tracing is off");
        assert.equal(t.traceUrl, null);
      }
      await sleep(1500);
      const stats = await receiver.stats();
      assert.equal(stats.requests.total, 0, "not one ingestion request reached the other receiver");
      assert.equal(stats.store.traces, 0);
      const lines = svc
        .output()
        .stdout.split("\n")
        .filter((l) => l.includes("LANGFUSE_LOCAL_RECEIVER_PORT"));
      assert.equal(lines.length, 1, svc.output().stdout);
      const line = JSON.parse(lines[0]!) as { level: number; msg: string; found: string };
      assert.equal(line.level, 50);
      assert.equal(line.found, "another switchboard");
      assert.match(line.msg, /another Switchboard's trace receiver/);
      assert.equal(await svc.stop("SIGTERM"), 0);
    } finally {
      await svc?.stop("SIGKILL");
      await receiver?.stop();
      rmSync(theirs, { recursive: true, force: true });
      rmSync(ours, { recursive: true, force: true });
    }
  },
);
