// The journal (spool) through an outage and across restarts, with the real service and the real
// receiver as separate processes: what waited during an outage is replayed oldest first at
// LANGFUSE_REPLAY_RATE while live traces keep flowing, every turn arrives whole and once; a
// damaged journal (a whole file, or one entry) is set aside and counted, never sent.
// Crashes: crash-trace-loss.test.ts. Wrong keys: wrong-keys.test.ts. Bounds and disk faults:
// spool-limits.test.ts, spool-disk-faults.test.ts. Restarts during outages and unknown outcomes:
// delivery-once.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { chatTurns, startChatLoad } from "./support/chat-load.js";
import { rowsByTrace } from "./support/receiver-rows.js";
import { scrapeMetrics, untilDrained } from "./support/service-metrics.js";
import { freePort, spawnReceiver, type SpawnedReceiver } from "./support/spawn-receiver.js";
import { spawnService, type SpawnedService } from "./support/spawn-service.js";
import { sleep } from "./support/tracing-helpers.js";
import { DEV_KEY_PAIR } from "../src/receiver/basic-auth.js";

function tracingEnv(
  receiverPort: number,
  spoolDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    SESSION_STORE: "memory",
    SIM_TTFT_MS: "0",
    SIM_TOKEN_MS: "0",
    LANGFUSE_BASE_URL: `http://127.0.0.1:${receiverPort}`,
    LANGFUSE_PUBLIC_KEY: DEV_KEY_PAIR.publicKey,
    LANGFUSE_SECRET_KEY: DEV_KEY_PAIR.secretKey,
    LANGFUSE_JOURNAL_DIR: spoolDir,
    LANGFUSE_SHUTDOWN_TIMEOUT: "2",
    ...extra,
  };
}

const REPLAY_RATE = 300; // spans per second

test(
  "Langfuse down under steady load, then back: the backlog replays oldest first at LANGFUSE_REPLAY_RATE; every turn arrives whole, once",
  { timeout: 150_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "spool-outage-"));
    const port = await freePort();
    let receiver: SpawnedReceiver | undefined;
    let svc: SpawnedService | undefined;
    try {
      receiver = await spawnReceiver(port, join(dir, "receiver.db"));
      svc = await spawnService(tracingEnv(port, join(dir, "spool"), { LANGFUSE_REPLAY_RATE: String(REPLAY_RATE) }));
      const load = startChatLoad(svc.url, { clients: 2, pauseMs: 40 });
      await sleep(1500);
      await receiver.stop();
      receiver = undefined;
      const downAt = Date.now();
      await sleep(8000);
      receiver = await spawnReceiver(port, join(dir, "receiver.db"));
      const upAt = Date.now();
      await sleep(3000);
      await load.stop();
      const turns = load.answered;
      assert.deepEqual(load.unanswered, []);
      assert.deepEqual(
        turns.filter((t) => t.status !== 200),
        [],
        "every request answered 200 through the outage",
      );
      assert.ok(turns.length > 100, `steady load answered ${turns.length} turns`);

      await untilDrained(svc.url, 90_000);
      const m = await scrapeMetrics(svc.url);
      const created = m.sum("switchboard_tracing_observations_created_total")!;
      const perTurn = created / turns.length;
      const stats = await receiver.stats();
      const rows = await rowsByTrace(receiver.url);
      assert.deepEqual(
        turns.filter((t) => rows.get(t.traceId!)?.ids.size !== perTurn).map((t) => t.traceId),
        [],
        "every turn's trace whole",
      );
      assert.equal(stats.store.observations, created, "exactly the spans created");
      assert.equal(stats.store.duplicateRows, 0, "each once");
      assert.equal(m.sum("switchboard_tracing_spans_dropped_total"), 0);
      assert.ok(
        m.sum("switchboard_tracing_journal_batches_replayed_total")! > 0,
        "the outage went through the journal's backlog",
      );

      // The backlog: turns that ended while Langfuse was down (a second after it went, so the
      // exporter knew). Each root row's createdAt is when the receiver stored it.
      const stored = (traceId: string) =>
        Date.parse(rows.get(traceId)!.rows.find((r) => r.parentObservationId === null)!.createdAt!);
      const backlog = turns
        .filter((t) => t.sentAt > downAt + 1000 && t.answeredAt < upAt)
        .sort((a, b) => a.answeredAt - b.answeredAt);
      const backlogSpans = backlog.length * perTurn;
      const first = Math.min(...backlog.map((t) => stored(t.traceId!)));
      const last = Math.max(...backlog.map((t) => stored(t.traceId!)));
      console.log(
        `outage: ${turns.length} turns, backlog ${backlog.length} turns (${backlogSpans} spans) replayed in ${last - first} ms at ${REPLAY_RATE} spans/s, ${m.sum("switchboard_tracing_journal_batches_replayed_total")} batches`,
      );
      // Paced: one batch, then a wait of its spans / rate. Half the ideal time leaves room for the
      // last batch and for batches that left the backlog early; an unpaced replay takes ~0.
      assert.ok(
        last - first >= (0.5 * backlogSpans * 1000) / REPLAY_RATE,
        `the backlog of ${backlogSpans} spans replayed in ${last - first} ms`,
      );
      // Oldest first: a turn answered before another was sent went in the same or an earlier batch.
      const outOfOrder: string[] = [];
      for (const a of backlog)
        for (const b of backlog)
          if (a.answeredAt < b.sentAt && stored(a.traceId!) > stored(b.traceId!))
            outOfOrder.push(`${a.traceId} after ${b.traceId}`);
      assert.deepEqual(outOfOrder, [], "replayed oldest first");
    } finally {
      await svc?.stop("SIGKILL");
      await receiver?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "a spool file that is not a database is moved aside, counted, and the service keeps tracing",
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "spool-corrupt-"));
    const spoolDir = join(dir, "spool");
    mkdirSync(spoolDir, { recursive: true });
    writeFileSync(join(spoolDir, "spool.db"), Buffer.from("this is not a sqlite database, it is garbage ".repeat(200)));
    const port = await freePort();
    let receiver: SpawnedReceiver | undefined;
    let svc: SpawnedService | undefined;
    try {
      receiver = await spawnReceiver(port, join(dir, "receiver.db"));
      const running = receiver;
      svc = await spawnService(tracingEnv(port, spoolDir));
      const turns = await chatTurns(svc.url, 3);
      assert.deepEqual(
        turns.map((t) => t.status),
        [200, 200, 200],
      );
      const warnings = svc
        .output()
        .stdout.split("\n")
        .filter((l) => l.includes("moved aside"));
      assert.equal(warnings.length, 1, "one warning");
      const aside = readdirSync(spoolDir).filter((f) => f.startsWith("spool.db.corrupt-"));
      assert.equal(aside.length, 1, "the unreadable file is kept aside, not deleted");
      const m = await scrapeMetrics(svc.url);
      assert.equal(m.sum("switchboard_tracing_journal_available"), 1, "a fresh journal is in use");
      assert.equal(m.sum("switchboard_tracing_journal_entries_corrupt_total"), 1);
      await untilDrained(svc.url, 15_000);
      const rows = await rowsByTrace(running.url);
      assert.ok(turns.every((t) => rows.has(t.traceId!)));
    } finally {
      await svc?.stop("SIGKILL");
      await receiver?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "one damaged journal entry is skipped and counted; the rest of the journal is replayed",
  { timeout: 90_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "spool-entry-"));
    const spoolDir = join(dir, "spool");
    const port = await freePort(); // Langfuse down for the first run
    let first: SpawnedService | undefined;
    let second: SpawnedService | undefined;
    let receiver: SpawnedReceiver | undefined;
    try {
      first = await spawnService(tracingEnv(port, spoolDir));
      const url = first.url;
      // Turns in three bursts, so the journal holds several batches.
      const turns = [];
      for (let burst = 0; burst < 3; burst++) {
        turns.push(...(await chatTurns(url, 4)));
        await sleep(700);
      }
      assert.equal(turns.length, 12);
      const created = (await scrapeMetrics(url)).sum("switchboard_tracing_observations_created_total")!;
      assert.equal(await first.stop("SIGTERM"), 0);

      // Damage one entry's payload on disk (as a bad sector would), leaving its checksum as it was.
      const db = new Database(join(spoolDir, "spool.db"));
      const entries = db.prepare("SELECT id, count FROM batches ORDER BY id").all() as { id: number; count: number }[];
      assert.ok(entries.length >= 3, `${entries.length} batches in the journal`);
      const damaged = entries[1]!;
      // A batch's bytes are parts keyed id * 1024 + part (sqlite-journal.ts): its first part is hit.
      db.prepare("UPDATE payload_parts SET data = ? || substr(data, 2) WHERE key = ?").run("#", damaged.id * 1024);
      db.close();

      receiver = await spawnReceiver(port, join(dir, "receiver.db"));
      second = await spawnService(tracingEnv(port, spoolDir));
      await untilDrained(second.url, 30_000);
      const m = await scrapeMetrics(second.url);
      assert.equal(m.sum("switchboard_tracing_journal_entries_corrupt_total"), 1);
      assert.equal(
        m.sum("switchboard_tracing_spans_dropped_total", { reason: "journal_corrupt" }),
        damaged.count,
        "the damaged batch's spans, counted as dropped",
      );
      const stats = await receiver.stats();
      assert.equal(stats.store.observations, created - damaged.count, "every other span arrived");
      assert.equal(stats.store.duplicateRows, 0);
      assert.equal(stats.requests.byStatus["400"] ?? 0, 0, "nothing damaged was sent");
      assert.ok(existsSync(join(spoolDir, "spool.db")));
    } finally {
      await first?.stop("SIGKILL");
      await second?.stop("SIGKILL");
      await receiver?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
