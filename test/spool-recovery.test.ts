import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnReceiver } from "./support/spawn-receiver.js";
import { spawnService, type SpawnedService } from "./support/spawn-service.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tracingEnv(receiverPort: number, spoolDir: string): Record<string, string> {
  return {
    SESSION_STORE: "memory",
    SIM_TTFT_MS: "0",
    SIM_TOKEN_MS: "0",
    LANGFUSE_BASE_URL: `http://127.0.0.1:${receiverPort}`,
    LANGFUSE_PUBLIC_KEY: "pk-lf-local",
    LANGFUSE_SECRET_KEY: "sk-lf-local",
    LANGFUSE_FLUSH_INTERVAL: "0.5",
    LANGFUSE_TIMEOUT: "0.5",
    LANGFUSE_RETRY_DELAY: "0.2",
    LANGFUSE_SPOOL_DIR: spoolDir,
    LANGFUSE_SHUTDOWN_TIMEOUT: "2",
  };
}

/** Steady load: one chat turn every `everyMs`, until stopped. Every answer must be 200. */
function steadyLoad(svc: SpawnedService, everyMs: number) {
  let running = true;
  let sent = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      try {
        const res = await fetch(`${svc.url}/api/v1/chat`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: `Where is my order ${sent}?`, user_id: "spool-user" }),
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status !== 200) failures.push(`status ${res.status}`);
        await res.arrayBuffer();
      } catch (err) {
        failures.push(String(err));
      }
      sent++;
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { sent, failures };
    },
  };
}

async function metric(svc: SpawnedService, name: string): Promise<number> {
  const text = await fetch(`${svc.url}/metrics`).then((r) => r.text());
  let total = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) total += Number(line.split(" ").pop());
  return total;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test("receiver down for 20 s under steady load: after the drain it holds every span created, once", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "spool-outage-"));
  const port = await freePort();
  let receiver = await spawnReceiver(port, join(dir, "receiver.db"));
  const svc = await spawnService(tracingEnv(port, join(dir, "spool")));
  try {
    const load = steadyLoad(svc, 50);
    await sleep(2000);
    await receiver.stop();
    await sleep(20_000);
    receiver = await spawnReceiver(port, join(dir, "receiver.db"));
    await sleep(2000);
    const { sent, failures } = await load.stop();
    assert.deepEqual(failures, [], "every request answered 200 through the outage");
    assert.ok(sent > 100, `steady load sent ${sent} turns`);
    const created = await metric(svc, "switchboard_tracing_observations_created_total");
    // Drained means the spool is empty too: a batch that timed out on the client after the receiver
    // stored it is sent again (at least once), and must not linger.
    await waitFor("the spool to drain into the receiver", async () => (await receiver.stats()).store.observations >= created && (await metric(svc, "switchboard_tracing_spool_batches")) === 0, 60_000);
    const stats = await receiver.stats();
    assert.equal(stats.store.observations, created, "exactly the spans created: no loss, no visible duplicates");
    assert.equal(await metric(svc, "switchboard_tracing_spans_dropped_total"), 0);
    assert.equal(await metric(svc, "switchboard_tracing_spool_batches"), 0, "the spool drained");
    assert.ok((await metric(svc, "switchboard_tracing_spool_batches_replayed_total")) > 0, "the outage went through the journal's backlog");
  } finally {
    await svc.stop("SIGKILL");
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("receiver down, service stopped with SIGTERM, receiver back, service restarted: everything delivered", { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "spool-restart-"));
  const port = await freePort();
  let receiver = await spawnReceiver(port, join(dir, "receiver.db"));
  const env = tracingEnv(port, join(dir, "spool"));
  const first = await spawnService(env);
  let second: SpawnedService | undefined;
  try {
    await receiver.stop();
    const load = steadyLoad(first, 30);
    await sleep(3000);
    const { failures } = await load.stop();
    assert.deepEqual(failures, []);
    const created = await metric(first, "switchboard_tracing_observations_created_total");
    assert.equal(await first.stop("SIGTERM"), 0);
    receiver = await spawnReceiver(port, join(dir, "receiver.db"));
    second = await spawnService(env);
    await waitFor("the spool from the first run to be replayed", async () => (await receiver.stats()).store.observations >= created, 60_000);
    assert.equal((await receiver.stats()).store.observations, created);
    assert.match(second.output().stdout, /replaying/);
  } finally {
    await second?.stop("SIGKILL");
    await first.stop("SIGKILL");
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("kill -9 during an outage loses at most the documented window", { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "spool-kill-"));
  const port = await freePort();
  let receiver = await spawnReceiver(port, join(dir, "receiver.db"));
  const env = tracingEnv(port, join(dir, "spool"));
  const first = await spawnService(env);
  let second: SpawnedService | undefined;
  try {
    await receiver.stop();
    const load = steadyLoad(first, 20);
    await sleep(6000);
    const { sent } = await load.stop();
    const created = await metric(first, "switchboard_tracing_observations_created_total");
    await first.stop("SIGKILL");
    receiver = await spawnReceiver(port, join(dir, "receiver.db"));
    second = await spawnService(env);
    await waitFor("the replay to finish", async () => (await metric(second!, "switchboard_tracing_spool_batches")) === 0 && (await receiver.stats()).store.observations > 0, 60_000);
    await sleep(1000);
    const delivered = (await receiver.stats()).store.observations;
    const lost = created - delivered;
    const perTurn = created / sent;
    // Documented window: what had not reached the spool, at most LANGFUSE_FLUSH_INTERVAL plus one
    // attempt's LANGFUSE_TIMEOUT of traffic (0.5 s + 0.5 s here), plus one event-loop turn.
    const turnsPerSecond = sent / 6;
    const windowSpans = Math.ceil((0.5 + 0.5 + 0.5) * turnsPerSecond * perTurn);
    console.log(`kill -9: created ${created}, delivered ${delivered}, lost ${lost} (window bound ${windowSpans})`);
    assert.ok(lost >= 0);
    assert.ok(lost <= windowSpans, `lost ${lost} spans, more than the ${windowSpans} the window allows`);
  } finally {
    await second?.stop("SIGKILL");
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a corrupted spool file is moved aside and the service keeps tracing", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "spool-corrupt-"));
  const spoolDir = join(dir, "spool");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(spoolDir, { recursive: true });
  writeFileSync(join(spoolDir, "spool.db"), Buffer.from("this is not a sqlite database, it is garbage ".repeat(200)));
  const port = await freePort();
  const receiver = await spawnReceiver(port, join(dir, "receiver.db"));
  const svc = await spawnService(tracingEnv(port, spoolDir));
  try {
    const res = await fetch(`${svc.url}/api/v1/chat`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "hi", user_id: "u" }) });
    assert.equal(res.status, 200);
    assert.match(svc.output().stdout, /moved aside/);
    assert.equal(await metric(svc, "switchboard_tracing_spool_available"), 1);
    assert.equal(await metric(svc, "switchboard_tracing_spool_entries_corrupt_total"), 1);
    await waitFor("the trace to arrive", async () => (await receiver.stats()).store.observations >= 5, 10_000);
  } finally {
    await svc.stop("SIGKILL");
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an unwritable spool folder degrades to memory-only; every request is still answered", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "spool-unwritable-"));
  // A regular file where the folder should be: no user, root included, can create a folder there.
  const blocked = join(dir, "not-a-folder");
  writeFileSync(blocked, "x");
  chmodSync(blocked, 0o444);
  const port = await freePort();
  const svc = await spawnService(tracingEnv(port, join(blocked, "spool")));
  try {
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${svc.url}/api/v1/chat`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "hello", user_id: "u" }) });
      assert.equal(res.status, 200);
    }
    assert.equal(await metric(svc, "switchboard_tracing_spool_available"), 0);
    const lines = svc.output().stdout.split("\n").filter((l) => l.includes("trace spool folder unusable"));
    assert.equal(lines.length, 1, "one clear log line");
  } finally {
    await svc.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
