// `npm run bench:outage [-- --repeat N --outage SEC --quick --reference]`: Langfuse down under
// steady load, then back. Measures what users feel (request latency before, during and after the
// outage, against tracing off on the same timeline) and what Langfuse ends up with (delivery %
// after the spool drains). Separate processes on loopback: the service, the receiver (stopped
// for the outage and started again on the same port and store), and the load generator here.
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
import { median, percentile } from "./phase-stats.js";
import { steadyLoad, type Completion } from "./steady-load.js";
import { OUTAGE_REFERENCE_FILE, renderOutageMarkdown, type OutageResult, type OutageRun } from "./outage-report.js";

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

const cpuPlan = planCpus(true);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stdout.write(`${msg}\n`);

async function gauge(service: ServiceProcess, name: string): Promise<number> {
  const snap = await service.metrics();
  return snap.sum(name) ?? 0;
}

async function oneRun(mode: "off" | "outage", rep: number, workRoot: string): Promise<OutageRun> {
  const work = join(workRoot, `${rep}-${mode}`);
  mkdirSync(work, { recursive: true });
  const receiverPort = await freePort();
  const servicePort = await freePort();
  const receiverDb = join(work, "receiver.db");
  const startReceiver = () => ReceiverProcess.start({ root: ROOT, port: receiverPort, env: {}, dbPath: receiverDb, logFile: join(work, "receiver.log"), cpus: cpuPlan.others });
  let receiver: ReceiverProcess | null = await startReceiver();
  const service = await ServiceProcess.start({
    root: ROOT,
    port: servicePort,
    logFile: join(work, "service.log"),
    cpus: cpuPlan.service,
    env: {
      ...PROFILE,
      SESSION_STORE: "memory",
      LANGFUSE_ENABLED: mode === "off" ? "false" : "true",
      LANGFUSE_BASE_URL: `http://127.0.0.1:${receiverPort}`,
      LANGFUSE_PUBLIC_KEY: RECEIVER_PUBLIC_KEY,
      LANGFUSE_SECRET_KEY: RECEIVER_SECRET_KEY,
      LANGFUSE_SPOOL_DIR: join(work, "spool"),
    },
  });
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
        created = (snap.sum("switchboard_tracing_observations_created_total") ?? 0);
        const spooled = (snap.sum("switchboard_tracing_spool_batches") ?? 0);
        const queued = (snap.sum("switchboard_tracing_queue_spans") ?? 0);
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
      p99BeforeMs: percentile(before, 99),
      p99OutageMs: percentile(during, 99),
      p99AfterMs: percentile(after, 99),
      p50OutageMs: percentile(during, 50),
      eventLoopP99OutageMs: lag["outage"] ?? null,
      eventLoopP99AfterMs: lag["after"] ?? null,
      spansCreated: created,
      spansReceivedUnique: received,
      deliveryPct: mode === "outage" && created > 0 ? (received / created) * 100 : null,
      spooledBatches: (snap.sum("switchboard_tracing_spool_batches_spooled_total") ?? 0),
      replayedBatches: (snap.sum("switchboard_tracing_spool_batches_replayed_total") ?? 0),
      droppedSpans: (snap.sum("switchboard_tracing_spans_dropped_total") ?? 0),
      drainSecondsAfterLoad: drainedAt === null ? null : (drainedAt - loadEnd) / 1000,
      finalRssMiB: (snap.sum("process_resident_memory_bytes") ?? 0) / 1048576,
    };
  } finally {
    await load.stop();
    await service.stop();
    await receiver?.stop();
  }
}

async function main(): Promise<void> {
  const workRoot = mkdtempSync(join(tmpdir(), "switchboard-outage-"));
  pinSelf(cpuPlan.others);
  log(`outage bench: ${cpuPlan.description}`);
  const runs: OutageRun[] = [];
  const started = Date.now();
  log(`outage bench: ${repeat} repetition(s) x (off, outage); ${beforeSeconds}s steady, ${outageSeconds}s Langfuse down, ${afterSeconds}s after; ${connections} connections, realistic model`);
  try {
    for (let rep = 1; rep <= repeat; rep++) {
      for (const mode of ["off", "outage"] as const) {
        log(`[rep ${rep}] ${mode} ...`);
        const run = await oneRun(mode, rep, workRoot);
        runs.push(run);
        log(`[rep ${rep}] ${mode}: ${run.requests} requests, ${run.failed} failed, p99 before/outage/after ${run.p99BeforeMs?.toFixed(0)}/${run.p99OutageMs?.toFixed(0)}/${run.p99AfterMs?.toFixed(0)} ms` + (run.deliveryPct === null ? "" : `, delivered ${run.deliveryPct.toFixed(2)}% of ${run.spansCreated} spans, drained ${run.drainSecondsAfterLoad?.toFixed(1)} s after the load`));
      }
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
}

main().catch((err) => {
  process.stderr.write(`outage bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
