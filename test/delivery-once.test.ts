// Each span is stored once in Langfuse v4 (which keeps every record it receives): through an
// outage of 503s and then refused connections, through a restart during the outage, and, where
// the outcome of an attempt cannot be known, every re-send is counted and matches the duplicate
// rows the receiver holds. The service and the receiver run as their own processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnReceiver, type SpawnedReceiver } from "./support/spawn-receiver.js";
import { spawnService, type SpawnedService } from "./support/spawn-service.js";
import { basicAuthHeader, DEV_KEY_PAIR } from "../src/receiver/basic-auth.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function env(receiverPort: number, spoolDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SESSION_STORE: "memory",
    SIM_TTFT_MS: "0",
    SIM_TOKEN_MS: "0",
    LANGFUSE_BASE_URL: `http://127.0.0.1:${receiverPort}`,
    LANGFUSE_PUBLIC_KEY: DEV_KEY_PAIR.publicKey,
    LANGFUSE_SECRET_KEY: DEV_KEY_PAIR.secretKey,
    LANGFUSE_JOURNAL_DIR: spoolDir,
    LANGFUSE_RETRY_DELAY: "0.1",
    LANGFUSE_SHUTDOWN_TIMEOUT: "2",
    ...extra,
  };
}

async function turns(svc: SpawnedService, n: number, user: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${svc.url}/api/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: `Where is my order ${i}?`, user_id: user }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 200, "tracing never fails a request");
    await res.arrayBuffer();
  }
}

async function metric(svc: SpawnedService, name: string): Promise<number> {
  const text = await fetch(`${svc.url}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
  let total = 0;
  for (const line of text.split("\n"))
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) total += Number(line.split(" ").pop());
  return total;
}

async function setFaults(receiver: SpawnedReceiver, faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${receiver.url}/_receiver/faults`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: basicAuthHeader(receiver.keys) },
    body: JSON.stringify(faults),
  });
  assert.equal(res.status, 200, await res.text());
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test(
  "an outage of 503s, then refused connections, then recovery: every span stored exactly once",
  { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "once-outage-"));
    const port = await freePort();
    let receiver = await spawnReceiver(port, join(dir, "receiver.db"));
    const svc = await spawnService(env(port, join(dir, "spool")));
    try {
      await turns(svc, 5, "steady");
      await setFaults(receiver, { failRatio: 1, failStatus: 503, retryAfterSeconds: 1 });
      await turns(svc, 10, "during-503");
      await waitFor("503s seen", async () => ((await receiver.stats()).requests.byStatus["503"] ?? 0) >= 2, 20_000);
      await receiver.stop();
      await turns(svc, 10, "during-refused");
      await sleep(1500);
      receiver = await spawnReceiver(port, join(dir, "receiver.db"));
      const created = await metric(svc, "switchboard_tracing_observations_created_total");
      await waitFor(
        "every span delivered",
        async () =>
          (await receiver.stats()).store.observations >= created &&
          (await metric(svc, "switchboard_tracing_queue_spans")) === 0,
        60_000,
      );
      const stats = await receiver.stats();
      assert.equal(stats.store.observations, created, "every span created is a row");
      assert.equal(stats.store.duplicateRows, 0, "no span stored twice");
      assert.equal(
        await metric(svc, "switchboard_tracing_spans_resent_total"),
        0,
        "503 and refused mean not stored: nothing was re-sent",
      );
      assert.equal(await metric(svc, "switchboard_tracing_spans_dropped_total"), 0);
      assert.equal(stats.requests.byIngestionVersion["none"], 0);
    } finally {
      await svc.stop("SIGKILL");
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "a restart (SIGTERM) during an outage: the next run delivers everything, each span once",
  { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "once-restart-"));
    const port = await freePort();
    let receiver = await spawnReceiver(port, join(dir, "receiver.db"));
    const spool = join(dir, "spool");
    const first = await spawnService(env(port, spool));
    let second: SpawnedService | undefined;
    try {
      await turns(first, 3, "before");
      await waitFor("the first turns delivered", async () => (await receiver.stats()).store.observations >= 15, 10_000);
      await receiver.stop();
      await turns(first, 12, "outage");
      const created = await metric(first, "switchboard_tracing_observations_created_total");
      assert.equal(await first.stop("SIGTERM"), 0);
      receiver = await spawnReceiver(port, join(dir, "receiver.db"));
      second = await spawnService(env(port, spool));
      await waitFor(
        "the journal replayed",
        async () =>
          (await receiver.stats()).store.observations >= created &&
          (await metric(second!, "switchboard_tracing_journal_batches")) === 0,
        60_000,
      );
      const stats = await receiver.stats();
      assert.equal(stats.store.observations, created);
      assert.equal(stats.store.duplicateRows, 0);
    } finally {
      await second?.stop("SIGKILL");
      await first.stop("SIGKILL");
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "unknown outcomes (stored, then no answer): every re-send is counted, and the counts match the duplicate rows",
  { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "once-unknown-"));
    const port = await freePort();
    const receiver = await spawnReceiver(port, join(dir, "receiver.db"));
    const svc = await spawnService(
      env(port, join(dir, "spool"), { LANGFUSE_TIMEOUT: "0.3", LANGFUSE_FLUSH_INTERVAL: "0.1" }),
    );
    try {
      // Langfuse stores each request and then never answers: the client cannot know.
      await setFaults(receiver, { afterStore: "hang" });
      await turns(svc, 6, "unknown");
      await waitFor(
        "attempts that stored and hung",
        async () => (await receiver.stats()).requests.afterStore.hung >= 3,
        20_000,
      );
      await setFaults(receiver, { afterStore: "answer" });
      const created = await metric(svc, "switchboard_tracing_observations_created_total");
      await waitFor(
        "everything acknowledged",
        async () => (await metric(svc, "switchboard_tracing_queue_spans")) === 0,
        60_000,
      );
      const stats = await receiver.stats();
      const resent = await metric(svc, "switchboard_tracing_spans_resent_total");
      assert.ok(resent > 0, "the hung attempts were re-sent");
      assert.equal(stats.store.observationIds, created, "every span is there");
      assert.equal(
        stats.store.duplicateRows,
        resent,
        "each counted re-send is one duplicate row, and no duplicate is uncounted",
      );
      assert.ok((await metric(svc, "switchboard_tracing_export_failures_total")) >= 3);
    } finally {
      await svc.stop("SIGKILL");
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
