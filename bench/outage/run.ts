// `npm run bench:outage [-- --repeat N --outage SEC --quick --reference]`: Langfuse down under
// steady load, then back. Measures what users feel (request latency before, during and after the
// outage, against tracing off on the same timeline) and what Langfuse ends up with (delivery %
// after the spool drains). Then the crash window: the same outage, the service killed with
// SIGKILL halfway through it and started again on its journal; every turn answered before the
// kill is looked up in Langfuse, and what is missing is set against the documented window.
// Separate processes on loopback: the service, the receiver (stopped for the outage and started
// again on the same port and store), and the load generator here.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { pinSelf, planCpus } from "../cpu-affinity.js";
import { machineInfo } from "../machine-info.js";
import { freePort } from "../ports.js";
import { ROOT, RESULTS_DIR } from "../paths.js";
import { ReceiverProcess, RECEIVER_PUBLIC_KEY, RECEIVER_SECRET_KEY } from "../receiver-process.js";
import { ServiceProcess } from "../service-process.js";
import { documentedWindowMs, measureCrashWindow } from "./crash-window.js";
import { median, percentile } from "../stats.js";

/** A percentile, or null when there were no samples (the result file's "not measured"). */
const percentileOrNull = (values: readonly number[], p: number) => (values.length === 0 ? null : percentile(values, p));
import { receiverRowsByTrace } from "./receiver-rows.js";
import { steadyLoad, type Completion } from "./steady-load.js";
import {
  OUTAGE_REFERENCE_FILE,
  renderOutageMarkdown,
  type CrashResult,
  type OutageResult,
  type OutageRun,
} from "./outage-report.js";
import { TRACING_DEFAULTS, TRACING_METRICS } from "../../src/tracing/index.js";

const { values: args } = parseArgs({
  options: {
    repeat: { type: "string" },
    outage: { type: "string" },
    quick: { type: "boolean", default: false },
    reference: { type: "boolean", default: false },
    connections: { type: "string" },
  },
});
const quick = args.quick ?? false;
const repeat = Number(args.repeat ?? (quick ? 1 : 3));
const outageSeconds = Number(args.outage ?? (quick ? 5 : 20));
const beforeSeconds = quick ? 3 : 10;
const afterSeconds = quick ? 5 : 15;
const connections = Number(args.connections ?? 32);
// The realistic model profile: steady traffic whose latency is the model's, like production.
const PROFILE = { SIM_TTFT_MS: "300", SIM_TOKEN_MS: "20", SIM_REPLY_TOKENS: "60" };
/** LANGFUSE_FLUSH_INTERVAL's default, which the service runs with: what a kill -9 may lose. */
const FLUSH_INTERVAL_MS = 500;

const cpuPlan = planCpus(true);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stdout.write(`${msg}\n`);

async function gauge(service: ServiceProcess, name: string): Promise<number> {
  const snap = await service.metrics();
  return snap.sum(name) ?? 0;
}

/**
 * One run's folder, ports and processes: the receiver (restartable on the same port and store,
 * as Langfuse coming back) and the service pointed at it with its own journal.
 */
async function runPlaces(workRoot: string, name: string, tracing: boolean) {
  const work = join(workRoot, name);
  mkdirSync(work, { recursive: true });
  const receiverPort = await freePort();
  const servicePort = await freePort();
  const receiverDb = join(work, "receiver.db");
  return {
    startReceiver: () =>
      ReceiverProcess.start({
        root: ROOT,
        port: receiverPort,
        env: {},
        dbPath: receiverDb,
        logFile: join(work, "receiver.log"),
        cpus: cpuPlan.others,
      }),
    startService: () =>
      ServiceProcess.start({
        root: ROOT,
        port: servicePort,
        logFile: join(work, "service.log"),
        cpus: cpuPlan.service,
        env: {
          ...PROFILE,
          SESSION_STORE: "memory",
          LANGFUSE_ENABLED: tracing ? "true" : "false",
          LANGFUSE_BASE_URL: `http://127.0.0.1:${receiverPort}`,
          LANGFUSE_PUBLIC_KEY: RECEIVER_PUBLIC_KEY,
          LANGFUSE_SECRET_KEY: RECEIVER_SECRET_KEY,
          LANGFUSE_JOURNAL_DIR: join(work, "spool"),
        },
      }),
  };
}

async function oneRun(mode: "off" | "outage", rep: number, workRoot: string): Promise<OutageRun> {
  const { startReceiver, startService } = await runPlaces(workRoot, `${rep}-${mode}`, mode !== "off");
  let receiver: ReceiverProcess | null = await startReceiver();
  const service = await startService();
  const completions: Completion[] = [];
  const load = steadyLoad(`${service.baseUrl}/api/v1/chat`, connections, `${mode}${rep}`, completions);
  const t0 = Date.now();
  const lag: Record<string, number> = {};
  try {
    await sleep(beforeSeconds * 1000);
    await service.metrics(); // prom-client's event-loop histogram restarts at each scrape
    if (mode === "outage") await receiver.stop();
    const outageStart = Date.now();
    await sleep(outageSeconds * 1000);
    lag["outage"] = (await gauge(service, "nodejs_eventloop_lag_p99_seconds")) * 1000;
    if (mode === "outage") receiver = await startReceiver();
    const outageEnd = Date.now();
    await sleep(afterSeconds * 1000);
    lag["after"] = (await gauge(service, "nodejs_eventloop_lag_p99_seconds")) * 1000;
    await load.stop();
    const loadEnd = Date.now();
    // Drain: wait for the spool to empty and the receiver to hold what was created.
    let created = 0;
    let received = 0;
    let drainedAt: number | null = null;
    if (mode === "outage") {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const snap = await service.metrics();
        created = snap.sum(TRACING_METRICS.observationsCreated) ?? 0;
        const spooled = snap.sum(TRACING_METRICS.journalBatches) ?? 0;
        const queued = snap.sum(TRACING_METRICS.queueSpans) ?? 0;
        // The store, not the counters: the counters restart with the receiver after the outage.
        received = (await receiver!.stats()).store?.observations ?? 0;
        if ((spooled === 0 && queued === 0 && received >= created) || Date.now() > deadline) {
          drainedAt = Date.now();
          break;
        }
        await sleep(500);
      }
    }
    const snap = await service.metrics();
    const phase = (from: number, to: number) => completions.filter((c) => c.at >= from && c.at < to);
    const lat = (list: Completion[]) => list.filter((c) => c.ok).map((c) => c.ms);
    const before = lat(phase(t0 + 2000, outageStart));
    const during = lat(phase(outageStart, outageEnd));
    const after = lat(phase(outageEnd, loadEnd));
    return {
      mode,
      repetition: rep,
      requests: completions.length,
      failed: completions.filter((c) => !c.ok).length,
      p99BeforeMs: percentileOrNull(before, 99),
      p99OutageMs: percentileOrNull(during, 99),
      p99AfterMs: percentileOrNull(after, 99),
      p50OutageMs: percentileOrNull(during, 50),
      eventLoopP99OutageMs: lag["outage"] ?? null,
      eventLoopP99AfterMs: lag["after"] ?? null,
      spansCreated: created,
      spansReceivedUnique: received,
      deliveryPct: mode === "outage" && created > 0 ? (received / created) * 100 : null,
      replayedBatches: snap.sum(TRACING_METRICS.journalBatchesReplayed) ?? 0,
      droppedSpans: snap.sum(TRACING_METRICS.spansDropped) ?? 0,
      drainSecondsAfterLoad: drainedAt === null ? null : (drainedAt - loadEnd) / 1000,
      finalRssMiB: (snap.sum("process_resident_memory_bytes") ?? 0) / 1048576,
    };
  } finally {
    await load.stop();
    await service.stop();
    await receiver?.stop();
  }
}

/**
 * The crash window: `beforeSeconds` with Langfuse up, then Langfuse down, and halfway through the
 * outage kill -9. Langfuse comes back, the service starts again on the same journal and replays
 * it; then each turn answered before the kill is looked up by its trace id.
 */
async function crashRun(rep: number, workRoot: string): Promise<OutageRun> {
  const { startReceiver, startService } = await runPlaces(workRoot, `${rep}-crash`, true);
  let receiver: ReceiverProcess | null = await startReceiver();
  let service: ServiceProcess | null = await startService();
  const completions: Completion[] = [];
  const load = steadyLoad(`${service.baseUrl}/api/v1/chat`, connections, `crash${rep}`, completions);
  const t0 = Date.now();
  const killAfterSeconds = outageSeconds / 2;
  try {
    await sleep(beforeSeconds * 1000);
    await receiver.stop();
    receiver = null;
    const outageStart = Date.now();
    await service.metrics(); // restarts the event-loop delay histogram: its max then covers the outage
    await sleep(killAfterSeconds * 1000);
    const last = await service.metrics();
    const killAt = Date.now();
    service.process.child.kill("SIGKILL");
    await service.process.exited;
    service = null;
    await load.stop();
    const eventLoopMaxMs = Math.round((last.sum("nodejs_eventloop_lag_max_seconds") ?? 0) * 1000);
    const created = last.sum(TRACING_METRICS.observationsCreated) ?? 0;
    const answered = completions.filter((c) => c.ok && c.traceId !== null);

    receiver = await startReceiver();
    const restartedAt = Date.now();
    service = await startService();
    let replaySeconds: number | null = null;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const snap = await service.metrics();
      if ((snap.sum(TRACING_METRICS.journalBatches) ?? 0) === 0 && (snap.sum(TRACING_METRICS.queueSpans) ?? 0) === 0) {
        replaySeconds = (Date.now() - restartedAt) / 1000;
        break;
      }
      await sleep(250);
    }
    const after = await service.metrics();
    const rows = await receiverRowsByTrace(receiver.baseUrl);
    // Spans per turn: the mode of the whole traces of turns answered well before the kill.
    const counts = new Map<number, number>();
    for (const c of answered)
      if (killAt - c.at > 5000)
        counts.set(rows.get(c.traceId!)?.ids.size ?? 0, (counts.get(rows.get(c.traceId!)?.ids.size ?? 0) ?? 0) + 1);
    const spansPerTurn = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
    const window = measureCrashWindow(
      answered.map((c) => ({ traceId: c.traceId, status: c.status, sentAt: c.sentAt, answeredAt: c.at })),
      killAt,
      rows,
      spansPerTurn,
    );
    const windowMs = documentedWindowMs(
      { flushIntervalMs: FLUSH_INTERVAL_MS, journalDelayMs: TRACING_DEFAULTS.journalDelayMs },
      eventLoopMaxMs,
    );
    const crash: CrashResult = {
      killAfterOutageSeconds: killAfterSeconds,
      turnsAnswered: window.turns,
      turnsInLastSecond: window.turnsInLastSecond,
      spansPerTurn,
      spansLost: window.lostSpans,
      turnsLost: window.lostTurns.length,
      maxLostAgeMs: window.maxLostAgeMs,
      youngestCompleteAgeMs: window.youngestCompleteAgeMs,
      flushIntervalMs: FLUSH_INTERVAL_MS,
      eventLoopMaxMs,
      windowMs,
      spansLostBeyondWindow: window.lostTurns.filter((t) => t.ageMs > windowMs).reduce((n, t) => n + t.missing, 0),
      strayRows: window.strayRows,
      duplicateRows: window.duplicateRows,
      replayedBatches: after.sum(TRACING_METRICS.journalBatchesReplayed) ?? 0,
      replaySeconds,
    };
    const phase = (from: number, to: number) =>
      completions.filter((c) => c.ok && c.at >= from && c.at < to).map((c) => c.ms);
    return {
      mode: "crash",
      repetition: rep,
      requests: completions.length,
      // Requests cut by the kill are expected; they are not the service failing.
      failed: completions.filter((c) => !c.ok && c.at < killAt).length,
      p99BeforeMs: percentileOrNull(phase(t0 + 2000, outageStart), 99),
      p99OutageMs: percentileOrNull(phase(outageStart, killAt), 99),
      p99AfterMs: null,
      p50OutageMs: percentileOrNull(phase(outageStart, killAt), 50),
      eventLoopP99OutageMs: (last.sum("nodejs_eventloop_lag_p99_seconds") ?? 0) * 1000,
      eventLoopP99AfterMs: null,
      spansCreated: created,
      spansReceivedUnique: [...rows.values()].reduce((n, t) => n + t.ids.size, 0),
      deliveryPct: null,
      replayedBatches: crash.replayedBatches,
      droppedSpans: after.sum(TRACING_METRICS.spansDropped) ?? 0,
      drainSecondsAfterLoad: replaySeconds,
      finalRssMiB: (after.sum("process_resident_memory_bytes") ?? 0) / 1048576,
      crash,
    };
  } finally {
    await load.stop();
    if (service) await service.stop();
    await receiver?.stop();
  }
}

async function main(): Promise<void> {
  const workRoot = mkdtempSync(join(tmpdir(), "switchboard-outage-"));
  pinSelf(cpuPlan.others);
  log(`outage bench: ${cpuPlan.description}`);
  const runs: OutageRun[] = [];
  const started = Date.now();
  log(
    `outage bench: ${repeat} repetition(s) x (off, outage); ${beforeSeconds}s steady, ${outageSeconds}s Langfuse down, ${afterSeconds}s after; ${connections} connections, realistic model`,
  );
  try {
    for (let rep = 1; rep <= repeat; rep++) {
      for (const mode of ["off", "outage"] as const) {
        log(`[rep ${rep}] ${mode} ...`);
        const run = await oneRun(mode, rep, workRoot);
        runs.push(run);
        log(
          `[rep ${rep}] ${mode}: ${run.requests} requests, ${run.failed} failed, p99 before/outage/after ${run.p99BeforeMs?.toFixed(0)}/${run.p99OutageMs?.toFixed(0)}/${run.p99AfterMs?.toFixed(0)} ms` +
            (run.deliveryPct === null
              ? ""
              : `, delivered ${run.deliveryPct.toFixed(2)}% of ${run.spansCreated} spans, drained ${run.drainSecondsAfterLoad?.toFixed(1)} s after the load`),
        );
      }
      log(`[rep ${rep}] crash ...`);
      const crash = await crashRun(rep, workRoot);
      runs.push(crash);
      const c = crash.crash!;
      log(
        `[rep ${rep}] crash: kill -9 ${c.killAfterOutageSeconds} s into the outage; ${c.turnsAnswered} turns answered, ${c.spansLost} spans lost in ${c.turnsLost} turns, oldest ${c.maxLostAgeMs ?? "-"} ms before the kill (window ${c.windowMs} ms, event-loop delay max ${c.eventLoopMaxMs} ms), ${c.spansLostBeyondWindow} lost beyond it; ${c.duplicateRows} duplicate rows; replay ${c.replaySeconds?.toFixed(1)} s`,
      );
    }
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }
  const result: OutageResult = {
    schema: "switchboard-outage/1",
    createdAt: new Date().toISOString(),
    totalSeconds: (Date.now() - started) / 1000,
    machine: machineInfo(ROOT),
    options: { repeat, outageSeconds, beforeSeconds, afterSeconds, connections, profile: PROFILE, quick },
    runs,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `outage-${result.createdAt.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  log(`wrote ${relative(ROOT, file)}`);
  if (args.reference) {
    writeFileSync(OUTAGE_REFERENCE_FILE, JSON.stringify(result, null, 2) + "\n");
    log(`wrote ${relative(ROOT, OUTAGE_REFERENCE_FILE)}`);
  }
  log(renderOutageMarkdown(result));
  const outageRuns = runs.filter((r) => r.mode === "outage");
  log(`median delivery ${median(outageRuns.map((r) => r.deliveryPct ?? 0)).toFixed(2)}%`);
  const beyond = runs.reduce((n, r) => n + (r.crash?.spansLostBeyondWindow ?? 0), 0);
  if (beyond > 0) {
    // The benchmark measures; this is the one result that contradicts the docs outright.
    log(`kill -9 lost ${beyond} spans older than the documented window`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  process.stderr.write(`outage bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
