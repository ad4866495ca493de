// LANGFUSE_JOURNAL_MAX_BYTES bounds the journal: with Langfuse down and more trace data than the
// bound, the spool (the metric and the file on disk) stays bounded, the oldest batches are
// dropped and counted as journal_evicted, requests are all answered, and once Langfuse is back
// every span not counted as dropped arrives, once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChatLoad } from "./support/chat-load.js";
import { rowsByTrace } from "./support/receiver-rows.js";
import { scrapeMetrics, untilDrained } from "./support/service-metrics.js";
import { freePort, spawnReceiver, type SpawnedReceiver } from "./support/spawn-receiver.js";
import { spawnService, type SpawnedService } from "./support/spawn-service.js";
import { sleep } from "./support/tracing-helpers.js";
import { DEV_KEY_PAIR } from "../src/receiver/basic-auth.js";

const MiB = 1024 * 1024;
/** The smallest bound the option accepts. */
const SPOOL_MAX_BYTES = 1 * MiB;
/** Turns sent while Langfuse is down: with 7.5 KB messages about 16 times the bound of trace data. */
const TURNS = 500;
/**
 * The journal checkpoints SQLite's write-ahead log before it passes 4 MiB, and it is cut back to
 * 4 MiB after (journal_size_limit), so it adds up to ~4 MiB (plus the write that crossed the mark,
 * here a seal of well under 1 MiB) beside the database file, whatever the bound.
 */
const WAL_MAX_BYTES = 5 * MiB;

function fileBytes(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

test(
  "Langfuse down past LANGFUSE_JOURNAL_MAX_BYTES: the spool stays bounded, the oldest batches are evicted and counted, the rest arrives once",
  { timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "spool-limits-"));
    const spoolDir = join(dir, "spool");
    const port = await freePort(); // nothing listens there yet: Langfuse is down from the start
    let svc: SpawnedService | undefined;
    let receiver: SpawnedReceiver | undefined;
    try {
      svc = await spawnService({
        SESSION_STORE: "memory",
        SIM_TTFT_MS: "0",
        SIM_TOKEN_MS: "0",
        LANGFUSE_BASE_URL: `http://127.0.0.1:${port}`,
        LANGFUSE_PUBLIC_KEY: DEV_KEY_PAIR.publicKey,
        LANGFUSE_SECRET_KEY: DEV_KEY_PAIR.secretKey,
        LANGFUSE_JOURNAL_DIR: spoolDir,
        LANGFUSE_JOURNAL_MAX_BYTES: String(SPOOL_MAX_BYTES),
        // Batches of at most 64 KB, so the bound holds many of them and eviction is batch by batch.
        LANGFUSE_MAX_BATCH_BYTES: "65536",
        LANGFUSE_SHUTDOWN_TIMEOUT: "2",
      });
      const url = svc.url;
      const filler = "Where is my order? ".repeat(390); // ~7.5 KB per message (MAX_MESSAGE_CHARS is 8000), in several spans of each turn
      const load = startChatLoad(url, { clients: 4, pauseMs: 0, maxTurns: TURNS, message: (n) => `${n} ${filler}` });
      let maxSpoolBytes = 0;
      let maxDbBytes = 0;
      let maxWalBytes = 0;
      let maxDbAndWalBytes = 0;
      let samples = 0;
      const sample = async () => {
        const m = await scrapeMetrics(url);
        maxSpoolBytes = Math.max(maxSpoolBytes, m.sum("switchboard_tracing_journal_bytes") ?? 0);
        const db = fileBytes(join(spoolDir, "spool.db"));
        maxDbBytes = Math.max(maxDbBytes, db);
        const wal = fileBytes(join(spoolDir, "spool.db-wal"));
        maxWalBytes = Math.max(maxWalBytes, wal);
        maxDbAndWalBytes = Math.max(maxDbAndWalBytes, db + wal);
        samples++;
      };
      let loading = true;
      void load.finished.then(() => (loading = false));
      while (loading) {
        await sample();
        await sleep(200);
      }
      await sleep(1000); // the last seal
      await sample();
      assert.equal(load.answered.length, TURNS);
      assert.deepEqual(
        load.answered.filter((t) => t.status !== 200),
        [],
        "every request answered 200 with Langfuse down and the spool full",
      );

      const m = await scrapeMetrics(url);
      const created = m.sum("switchboard_tracing_observations_created_total")!;
      const evicted = m.sum("switchboard_tracing_spans_dropped_total", { reason: "journal_evicted" })!;
      const journalBytesAtEnd = m.sum("switchboard_tracing_journal_bytes")!;
      // What the journal was asked to hold: everything created (nothing was delivered).
      const perSpan = journalBytesAtEnd / m.sum("switchboard_tracing_queue_spans")!;
      console.log(
        `spool bound ${SPOOL_MAX_BYTES} B: ${created} spans created (~${Math.round((created * perSpan) / MiB)} MiB), ${evicted} evicted in ${m.sum("switchboard_tracing_journal_batches_evicted_total")} batches; ` +
          `journal_bytes max ${maxSpoolBytes}, at end ${journalBytesAtEnd}; spool.db max ${maxDbBytes} B, its WAL ${maxWalBytes} B, both ${maxDbAndWalBytes} B (${samples} samples)`,
      );
      assert.ok(created * perSpan > 10 * SPOOL_MAX_BYTES, "the load produced many times the bound");
      assert.equal(m.sum("switchboard_tracing_backend_state"), 1, "Langfuse seen as down");
      assert.ok(maxSpoolBytes <= SPOOL_MAX_BYTES, `journal_bytes reached ${maxSpoolBytes}, over the bound`);
      assert.ok(journalBytesAtEnd > SPOOL_MAX_BYTES / 2, "the journal kept the newest data up to the bound");
      // On disk: the pages of evicted batches are handed back once the evictions a seal causes are
      // done, so the database file stays near the bound (page and B-tree slack, about 1.2 times;
      // a seal is written before its evictions, and twice leaves room for one caught in between),
      // and the WAL under its own fixed bound: neither grows with the load.
      assert.ok(maxDbBytes <= 2 * SPOOL_MAX_BYTES, `spool.db grew to ${maxDbBytes} bytes`);
      assert.ok(maxWalBytes <= WAL_MAX_BYTES, `spool.db-wal grew to ${maxWalBytes} bytes`);
      assert.ok(maxDbAndWalBytes < (created * perSpan) / 2, `spool.db and its WAL took ${maxDbAndWalBytes} bytes`);
      assert.ok(evicted > 0 && evicted < created, `${evicted} of ${created} spans evicted`);
      assert.equal(
        m.sum("switchboard_tracing_spans_dropped_total"),
        evicted,
        "journal_evicted is the only reason anything was dropped",
      );

      // Langfuse is back: what the journal kept arrives; nothing more is dropped.
      receiver = await spawnReceiver(port, join(dir, "receiver.db"));
      await untilDrained(url, 90_000, "the journal to drain into the receiver");
      const stats = await receiver.stats();
      assert.equal(
        (await scrapeMetrics(url)).sum("switchboard_tracing_spans_dropped_total"),
        evicted,
        "nothing dropped after the outage",
      );
      assert.equal(stats.store.observations + evicted, created, "every span not counted as evicted arrived");
      assert.equal(stats.store.duplicateRows, 0, "each once");

      // Oldest first: the spans of a turn lost whole were all pushed before any span of a turn that
      // arrived whole (sentAt bounds a turn's first span, answeredAt its last).
      const rows = await rowsByTrace(receiver.url);
      const perTurn = created / TURNS;
      const lost = load.answered.filter((t) => !rows.has(t.traceId!));
      const whole = load.answered.filter((t) => rows.get(t.traceId!)?.ids.size === perTurn);
      assert.ok(lost.length > 0 && whole.length > 0);
      const lastLostSent = Math.max(...lost.map((t) => t.sentAt));
      const firstWholeAnswered = Math.min(...whole.map((t) => t.answeredAt));
      assert.ok(
        lastLostSent < firstWholeAnswered,
        `a turn sent at ${lastLostSent} was evicted while one answered at ${firstWholeAnswered} was kept`,
      );
      const newest = [...load.answered].sort((a, b) => b.answeredAt - a.answeredAt).slice(0, 10);
      assert.ok(
        newest.every((t) => rows.get(t.traceId!)?.ids.size === perTurn),
        "the newest turns are all kept",
      );
    } finally {
      await svc?.stop("SIGKILL");
      await receiver?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
