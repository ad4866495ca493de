// kill -9 at steady load loses at most the documented window (docs/architecture.md, "What a crash
// can lose"): spans that ended within LANGFUSE_FLUSH_INTERVAL (0.5 s) plus LANGFUSE_JOURNAL_DELAY
// (1 s: batches not yet acknowledged nor written) before the kill, plus the timers' lateness. Measured turn by turn: every turn answered before the kill is looked up
// in the receiver once the next run has replayed the journal, and a turn with any span missing
// must have been answered within the window. The service and the receiver are separate
// processes; the journal is the real SQLite file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chatTurns, startChatLoad } from "./support/chat-load.js";
import {
  describeCrashWindow,
  documentedWindowMs,
  measureCrashWindow,
  SCHEDULING_MARGIN_MS,
} from "../bench/outage/crash-window.js";
import { rowsByTrace } from "./support/receiver-rows.js";
import { scrapeMetrics, untilDrained } from "./support/service-metrics.js";
import { freePort, spawnReceiver, type SpawnedReceiver } from "./support/spawn-receiver.js";
import { spawnService, type SpawnedService } from "./support/spawn-service.js";
import { sleep } from "./support/tracing-helpers.js";
import type { ReceiverFaults } from "../src/receiver/faults.js";
import { DEV_KEY_PAIR } from "../src/receiver/basic-auth.js";
import { TRACING_DEFAULTS } from "../src/tracing/index.js";

/** LANGFUSE_FLUSH_INTERVAL's documented default (the service runs with its default). */
const FLUSH_INTERVAL_MS = 500;

function serviceEnv(receiverPort: number, spoolDir: string): Record<string, string> {
  return {
    SESSION_STORE: "memory",
    SIM_TTFT_MS: "0",
    SIM_TOKEN_MS: "0",
    LANGFUSE_BASE_URL: `http://127.0.0.1:${receiverPort}`,
    LANGFUSE_PUBLIC_KEY: DEV_KEY_PAIR.publicKey,
    LANGFUSE_SECRET_KEY: DEV_KEY_PAIR.secretKey,
    LANGFUSE_JOURNAL_DIR: spoolDir,
    LANGFUSE_SHUTDOWN_TIMEOUT: "2",
  };
}

interface Scenario {
  label: string;
  /** Stop the receiver this long after the load starts (an outage), before the kill. */
  outageAfterMs?: number;
  faults?: Partial<ReceiverFaults>;
  loadMs: number;
}

async function killDuringLoad(s: Scenario) {
  const dir = mkdtempSync(join(tmpdir(), "crash-window-"));
  const port = await freePort();
  const receiverDb = join(dir, "receiver.db");
  const env = serviceEnv(port, join(dir, "spool"));
  let receiver: SpawnedReceiver | undefined;
  let first: SpawnedService | undefined;
  let second: SpawnedService | undefined;
  try {
    receiver = await spawnReceiver(port, receiverDb);
    if (s.faults) await receiver.setFaults(s.faults);
    first = await spawnService(env);
    // Spans per turn, as the service counts them (one routed turn).
    const warm = await chatTurns(first.url, 1);
    assert.equal(warm[0]?.status, 200);
    const answered = [...warm];
    const spansPerTurn = (await scrapeMetrics(first.url)).sum("switchboard_tracing_observations_created_total") ?? 0;
    assert.ok(spansPerTurn >= 4, `a routed turn creates ${spansPerTurn} observations`);

    const load = startChatLoad(first.url, { clients: 4, pauseMs: 20 });
    await scrapeMetrics(first.url); // restarts the event-loop delay histogram
    if (s.outageAfterMs !== undefined) {
      await sleep(s.outageAfterMs);
      await receiver.stop();
      receiver = undefined;
    }
    // At a random phase of the seal timer, so that runs together cover the whole interval.
    await sleep(s.loadMs - (s.outageAfterMs ?? 0) + Math.random() * FLUSH_INTERVAL_MS);
    const last = await scrapeMetrics(first.url);
    const killAt = Date.now();
    await first.stop("SIGKILL");
    await load.stop();
    answered.push(...load.answered);
    assert.deepEqual(
      answered.filter((t) => t.status !== 200),
      [],
      "every answer before the kill was a 200",
    );
    const lagMs = Math.round((last.sum("nodejs_eventloop_lag_max_seconds") ?? 0) * 1000);
    const windowMs = documentedWindowMs(
      { flushIntervalMs: FLUSH_INTERVAL_MS, journalDelayMs: TRACING_DEFAULTS.journalDelayMs },
      lagMs,
    );

    // Langfuse is back (and fast) for the next run.
    receiver ??= await spawnReceiver(port, receiverDb);
    if (s.faults) await receiver.setFaults({ delayMs: 0 });
    second = await spawnService(env);
    const next = second;
    await untilDrained(next.url, 60_000, "the next run to replay the journal");
    const after = await scrapeMetrics(second.url);
    const stats = await receiver.stats();
    const window = measureCrashWindow(answered, killAt, await rowsByTrace(receiver.url), spansPerTurn);
    const resent =
      (last.sum("switchboard_tracing_spans_resent_total") ?? 0) +
      (after.sum("switchboard_tracing_spans_resent_total") ?? 0);
    console.log(
      describeCrashWindow(s.label, window, {
        "event-loop delay max before the kill, ms": lagMs,
        "window asserted, ms": windowMs,
        "batches replayed by the next run": after.sum("switchboard_tracing_journal_batches_replayed_total") ?? 0,
        "spans re-sent (counted)": resent,
        "receiver duplicate rows": stats.store.duplicateRows,
      }),
    );
    for (const t of window.lostTurns.slice(0, 5))
      console.log(
        `  lost: ${t.missing}/${spansPerTurn} spans of a turn answered ${t.ageMs} ms before the kill (turn took ${t.turnMs} ms)`,
      );

    // The load was live at the kill, so there was something to lose: the test measures a window.
    assert.ok(
      window.turnsInLastSecond >= 10,
      `only ${window.turnsInLastSecond} turns answered in the second before the kill`,
    );
    const late = window.lostTurns.filter((t) => t.ageMs > windowMs);
    assert.deepEqual(
      late,
      [],
      `spans lost from turns answered more than ${windowMs} ms (LANGFUSE_FLUSH_INTERVAL ${FLUSH_INTERVAL_MS} ms + LANGFUSE_JOURNAL_DELAY ${TRACING_DEFAULTS.journalDelayMs} ms + event-loop delay ${lagMs} ms + ${SCHEDULING_MARGIN_MS} ms) before the kill`,
    );
    // Whatever Langfuse holds twice was sent again knowingly (a batch in flight at the kill) and counted.
    assert.ok(
      stats.store.duplicateRows <= resent,
      `${stats.store.duplicateRows} duplicate rows, only ${resent} re-sent spans counted`,
    );
    assert.equal(after.sum("switchboard_tracing_spans_dropped_total"), 0, "the next run dropped nothing");
    return { ...window, resentCounted: resent };
  } finally {
    await first?.stop("SIGKILL");
    await second?.stop("SIGKILL");
    await receiver?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test(
  "kill -9 at steady load with Langfuse up: only spans that ended within the flush interval and the journal delay are lost",
  { timeout: 120_000 },
  async () => {
    await killDuringLoad({ label: "kill -9, Langfuse up", loadMs: 3000 });
  },
);

test(
  "kill -9 at steady load during an outage: the journal keeps everything older than its delay; only the last window is lost",
  { timeout: 120_000 },
  async () => {
    await killDuringLoad({ label: "kill -9, Langfuse down", outageAfterMs: 1000, loadMs: 4000 });
  },
);

test(
  "kill -9 at steady load with a slow Langfuse (2 s answers): batches in flight are sent again and counted; the window holds",
  { timeout: 120_000 },
  async () => {
    // The receiver stores a batch before it waits, so a batch in flight at the kill is stored and
    // unacknowledged: the next run must send it again (its outcome is unknown) and count it.
    const w = await killDuringLoad({ label: "kill -9, Langfuse slow", faults: { delayMs: 2000 }, loadMs: 3000 });
    assert.ok(w.resentCounted > 0, "batches were in flight at the kill and were sent again");
  },
);
