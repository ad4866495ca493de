// One scenario run: a fresh receiver (unless off/down) and a fresh service process, a warm-up,
// the measured load with the service sampled from outside and from /metrics, a grace period for
// the pipeline to deliver what it holds, the counters read, and everything stopped again.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { runLoad, type LoadResult } from "./load.js";
import { heldSpans, waitForDelivery, type GraceOutcome } from "./grace.js";
import { freePort } from "./ports.js";
import { readCpuSeconds, RssSampler } from "./process-sampler.js";
import type { MetricsSnapshot } from "./prometheus.js";
import {
  RECEIVER_PUBLIC_KEY,
  RECEIVER_SECRET_KEY,
  ReceiverProcess,
  type ReceiverStatsView,
} from "./receiver-process.js";
import type { RunMethod, RunResult, TracingFigures } from "./result-schema.js";
import { PROFILES, SCENARIOS, type PlannedRun } from "./scenarios.js";
import { ServiceProcess } from "./service-process.js";
import { median } from "./stats.js";
import { sleep } from "./http.js";
import type { CpuPlan } from "./cpu-affinity.js";
import { TRACING_METRICS } from "../src/tracing/index.js";

export interface RunContext {
  root: string;
  /** Scratch folder of this run (logs, SQLite files). */
  workDir: string;
  sessionStore: "memory" | "sqlite";
  /** Cores of the service and of the receiver (taskset lists; null: no pinning). */
  cpus: Pick<CpuPlan, "service" | "others" | "serviceCores">;
  timeoutSeconds: number;
  /** Longest wait after the load for the pipeline to deliver what it holds. */
  graceMaxSeconds: number;
  /** Progress callback: a short status text. */
  onStatus: (text: string) => void;
  /** Set when the user pressed Ctrl-C: stop as soon as possible. */
  aborted: () => boolean;
}

export const M = {
  cpu: "process_cpu_seconds_total",
  elP99: "nodejs_eventloop_lag_p99_seconds",
  elMax: "nodejs_eventloop_lag_max_seconds",
  created: TRACING_METRICS.observationsCreated,
  exported: TRACING_METRICS.spansExported,
  dropped: TRACING_METRICS.spansDropped,
  attempts: TRACING_METRICS.exportAttempts,
  failures: TRACING_METRICS.exportFailures,
  queueSpans: TRACING_METRICS.queueSpans,
  queueBytes: TRACING_METRICS.queueBytes,
  errors: TRACING_METRICS.errors,
} as const;

export const finite = (v: number | null | undefined): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : v;
export const pct = (part: number | null, whole: number | null): number | null =>
  part === null || whole === null || whole <= 0 ? null : (part / whole) * 100;
const maxOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

/** Scrapes /metrics about once a second during the load: event-loop delay windows, queue peaks. */
export class MetricsPoller {
  readonly elP99: number[] = [];
  elMax: number | null = null;
  queueSpansPeak: number | null = null;
  queueBytesPeak: number | null = null;
  #running = true;
  #loop: Promise<void>;

  constructor(service: ServiceProcess, intervalMs = 1000) {
    this.#loop = (async () => {
      while (this.#running) {
        await sleep(intervalMs);
        if (!this.#running) break;
        try {
          this.observe(await service.metrics(), true);
        } catch {}
      }
    })();
  }

  /** Records one scrape; `window` when it closes an event-loop window of the load. */
  observe(m: MetricsSnapshot, window: boolean): void {
    if (window) {
      const p99 = m.sum(M.elP99);
      if (p99 !== null) this.elP99.push(p99 * 1000);
      const max = m.sum(M.elMax);
      if (max !== null) this.elMax = maxOf(this.elMax, max * 1000);
    }
    this.queueSpansPeak = maxOf(this.queueSpansPeak, m.sum(M.queueSpans));
    this.queueBytesPeak = maxOf(this.queueBytesPeak, m.sum(M.queueBytes));
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }
}

function cpuOf(m: MetricsSnapshot | null, pid: number): number | null {
  return finite(m?.sum(M.cpu)) ?? readCpuSeconds(pid);
}

export function tracingFigures(
  m: MetricsSnapshot,
  poller: MetricsPoller,
  stats: ReceiverStatsView | null,
  afterStop: ReceiverStatsView | null,
  grace: GraceOutcome,
): TracingFigures {
  const created = m.sum(M.created);
  const unique = stats?.spans.unique ?? null;
  const uniqueAfter = afterStop?.spans.unique ?? null;
  return {
    created,
    createdByType: m.byLabel(M.created, "type"),
    exported: m.sum(M.exported),
    dropped: m.sum(M.dropped),
    droppedByReason: m.byLabel(M.dropped, "reason"),
    exportAttempts: m.sum(M.attempts),
    exportFailures: m.sum(M.failures),
    exportFailuresByReason: m.byLabel(M.failures, "reason"),
    errors: m.sum(M.errors),
    queueSpansPeak: poller.queueSpansPeak,
    queueBytesPeak: poller.queueBytesPeak,
    received: stats?.spans.received ?? null,
    receivedUnique: unique,
    duplicates: stats?.spans.duplicates ?? null,
    completenessPct: pct(unique, created),
    receivedUniqueAfterStop: uniqueAfter,
    completenessAfterStopPct: pct(uniqueAfter, created),
    receiverRequestsByStatus: (afterStop ?? stats)?.requests.byStatus ?? {},
    graceSeconds: grace.seconds,
    graceEnd: grace.end,
    heldAfterGrace: heldSpans(m),
  };
}

/** What a run reports from its load: the window's length, requests, throughput and latency. */
export function loadFigures(
  loadResult: LoadResult,
): Pick<RunResult, "seconds" | "requests" | "throughputRps" | "latencyMs"> {
  const l = loadResult.latencyMs;
  return {
    seconds: loadResult.seconds,
    requests: {
      answered: loadResult.answered,
      failed: loadResult.failed,
      non2xx: loadResult.non2xx,
      errors: loadResult.errors,
      timeouts: loadResult.timeouts,
      statusCodes: loadResult.statusCodes,
    },
    throughputRps: finite(loadResult.throughputRps),
    latencyMs: {
      avg: finite(l.avg),
      min: finite(l.min),
      max: finite(l.max),
      p50: finite(l.p50),
      p90: finite(l.p90),
      p95: finite(l.p95),
      p99: finite(l.p99),
      p999: finite(l.p999),
    },
  };
}

/** The processes of one scenario: its service and, where it has one, its receiver. */
export interface ScenarioProcesses {
  service: ServiceProcess;
  receiver: ReceiverProcess | null;
}

/**
 * Starts a scenario's receiver (where it has one) and service at once, the service on the
 * service core(s) and the receiver on the others; a failure of either stops the other.
 */
export async function startScenarioProcesses(
  plan: Pick<PlannedRun, "profile" | "scenario">,
  ctx: Pick<RunContext, "root" | "workDir" | "sessionStore" | "cpus">,
): Promise<ScenarioProcesses> {
  const scenario = SCENARIOS[plan.scenario];
  const profile = PROFILES[plan.profile];
  const receiverPort = await freePort();
  const servicePort = await freePort();
  const tracingEnv: Record<string, string> = scenario.traced
    ? {
        LANGFUSE_BASE_URL: `http://127.0.0.1:${receiverPort}`,
        LANGFUSE_PUBLIC_KEY: RECEIVER_PUBLIC_KEY,
        LANGFUSE_SECRET_KEY: RECEIVER_SECRET_KEY,
      }
    : {};
  // Both start at once (the service exports nothing before the load begins).
  const receiverStart =
    scenario.receiver.kind === "running"
      ? ReceiverProcess.start({
          root: ctx.root,
          port: receiverPort,
          env: scenario.receiver.env,
          dbPath: ":memory:",
          logFile: join(ctx.workDir, "receiver.log"),
          cpus: ctx.cpus.others,
        })
      : Promise.resolve(null);
  const serviceStart = ServiceProcess.start({
    root: ctx.root,
    port: servicePort,
    logFile: join(ctx.workDir, "service.log"),
    cpus: ctx.cpus.service,
    env: {
      ...profile.serviceEnv,
      SESSION_STORE: ctx.sessionStore,
      SESSION_DB_PATH: join(ctx.workDir, "sessions.db"),
      // Each run gets its own spool: a spool left by an earlier scenario (hung, down) would
      // otherwise replay into this run's receiver and inflate its completeness.
      LANGFUSE_JOURNAL_DIR: join(ctx.workDir, "spool"),
      ...scenario.serviceEnv,
      ...tracingEnv,
    },
  });
  const [r, s] = await Promise.allSettled([receiverStart, serviceStart]);
  if (r.status === "rejected" || s.status === "rejected") {
    if (r.status === "fulfilled") await r.value?.stop().catch(() => {});
    if (s.status === "fulfilled") await s.value.stop(5000).catch(() => {});
    throw r.status === "rejected" ? r.reason : (s as PromiseRejectedResult).reason;
  }
  return { service: s.value, receiver: r.value };
}

/** A run's result before anything is measured: what was planned, and no figures yet. */
export function emptyRunResult(plan: PlannedRun, method: RunMethod): RunResult {
  return {
    repetition: plan.repetition,
    method,
    profile: plan.profile,
    connections: plan.connections,
    scenario: plan.scenario,
    duration: plan.duration,
    warmup: plan.warmup,
    ok: false,
    error: null,
    seconds: null,
    requests: null,
    throughputRps: null,
    latencyMs: null,
    service: null,
    tracing: null,
    contention: null,
  };
}

export async function runScenario(plan: PlannedRun, ctx: RunContext): Promise<RunResult> {
  const scenario = SCENARIOS[plan.scenario];
  const result = emptyRunResult(plan, "fresh-process");
  mkdirSync(ctx.workDir, { recursive: true });
  let receiver: ReceiverProcess | null = null;
  let service: ServiceProcess | null = null;
  let sampler: RssSampler | null = null;
  let poller: MetricsPoller | null = null;
  // What the run is doing, for the error message.
  let phase = "start";
  // When the phase began and the service's CPU seconds then: a failure says whether it was busy.
  let phaseAt = performance.now();
  let phaseCpu: number | null = null;
  const status = (text: string) => {
    phase = text;
    phaseAt = performance.now();
    phaseCpu = service ? readCpuSeconds(service.pid) : null;
    ctx.onStatus(text);
  };
  try {
    status(scenario.receiver.kind === "running" ? "starting receiver and service" : "starting service");
    ({ receiver, service } = await startScenarioProcesses(plan, ctx));
    const startupMs = service.startupMs;
    const runTag = `r${plan.repetition}${plan.profile[0]}${plan.connections}${plan.scenario}`;
    status(`load: warm-up ${plan.warmup}s`);
    // Counters at the edges of the measured window. CPU is read from /proc at the exact moments
    // the window opens and closes (the requests counted are those answered inside it); a
    // /metrics scrape would wait behind the load's requests, and autocannon keeps loading the
    // service a little past the window. The scrape at the start still opens a fresh event-loop
    // delay window, and stands in for /proc where there is none.
    interface WindowStart {
      procCpu: number | null;
      receiverCpu: number | null;
      harnessCpu: NodeJS.CpuUsage;
      rssStart: number | null;
      scrape: Promise<MetricsSnapshot>;
    }
    let opened: WindowStart | null = null;
    let closed: { procCpu: number | null; receiverCpu: number | null; harnessCpu: NodeJS.CpuUsage } | null = null;
    const running = service;
    const load = runLoad({
      baseUrl: service.baseUrl,
      connections: plan.connections,
      warmup: plan.warmup,
      duration: plan.duration,
      timeoutSeconds: ctx.timeoutSeconds,
      runTag,
      onWindowStart: () => {
        phase = "load: measured window";
        sampler = new RssSampler(running.pid).start();
        const scrape = running.metrics().then((before) => {
          poller = new MetricsPoller(running);
          return before;
        });
        scrape.catch(() => {});
        opened = {
          procCpu: readCpuSeconds(running.pid),
          receiverCpu: receiver ? readCpuSeconds(receiver.pid) : null,
          harnessCpu: process.cpuUsage(),
          rssStart: sampler.sample(),
          scrape,
        };
      },
      onWindowEnd: () => {
        const start = opened as WindowStart | null;
        closed = {
          procCpu: readCpuSeconds(running.pid),
          receiverCpu: receiver ? readCpuSeconds(receiver.pid) : null,
          harnessCpu: process.cpuUsage(start?.harnessCpu),
        };
      },
      onTick: (n, loadPhase) => ctx.onStatus(loadPhase === "warm-up" ? "load: warm-up" : `load: ${n} answered`),
    });
    const stopLoad = setInterval(() => ctx.aborted() && load.stop(), 250);
    let loadResult: LoadResult;
    try {
      loadResult = await load.done;
    } finally {
      clearInterval(stopLoad);
    }
    if (ctx.aborted()) throw new Error("interrupted");
    const start = opened as WindowStart | null;
    const end = closed as { procCpu: number | null; receiverCpu: number | null; harnessCpu: NodeJS.CpuUsage } | null;
    if (start === null || end === null) throw new Error("the measured window never started");
    const before = await start.scrape;
    if (!poller || !sampler) throw new Error("sampling did not start");
    const activePoller: MetricsPoller = poller;
    const activeSampler: RssSampler = sampler;

    status("reading metrics after the load");
    const after = await service.metrics();
    activePoller.observe(after, true);
    await activePoller.stop();
    const [cpu0, cpu1] =
      start.procCpu !== null && end.procCpu !== null
        ? [start.procCpu, end.procCpu]
        : [cpuOf(before, running.pid), cpuOf(after, running.pid)];

    let grace: GraceOutcome = { seconds: 0, end: "drained" };
    if (scenario.traced) {
      status("grace: waiting for the pipeline to deliver what it holds");
      const probe = {
        held: async () => {
          const m = await running.metrics();
          activePoller.observe(m, false);
          return heldSpans(m);
        },
        receiverUnique: async () => (receiver ? (await receiver.stats()).spans.unique : null),
      };
      grace = await waitForDelivery(probe, { maxSeconds: ctx.graceMaxSeconds, aborted: ctx.aborted });
    }
    status("reading counters");
    const final = await service.metrics();
    activePoller.observe(final, false);
    const stats = receiver ? await receiver.stats() : null;
    const rss = activeSampler.stop();

    status("stopping service");
    const stopped = await service.stop();
    service = null;
    const afterStop = receiver ? await receiver.stats().catch(() => null) : null;

    const cpuSeconds = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
    Object.assign(result, loadFigures(loadResult));
    result.service = {
      startupMs,
      cpuSeconds,
      cpuMsPerRequest:
        cpuSeconds !== null && loadResult.answered > 0 ? (cpuSeconds * 1000) / loadResult.answered : null,
      cpuPct: cpuSeconds !== null ? (cpuSeconds / loadResult.seconds) * 100 : null,
      busyPct: cpuSeconds !== null ? (cpuSeconds / loadResult.seconds / ctx.cpus.serviceCores) * 100 : null,
      rssStartBytes: start.rssStart,
      rssPeakBytes: rss.peakBytes,
      rssFinalBytes: rss.lastBytes,
      eventLoopP99Ms: finite(median(activePoller.elP99)),
      eventLoopP99MaxMs: activePoller.elP99.length > 0 ? Math.max(...activePoller.elP99) : null,
      eventLoopMaxMs: activePoller.elMax,
      stopMs: stopped.ms,
      exit: stopped.exit,
      killed: stopped.killed,
    };
    result.tracing = scenario.traced ? tracingFigures(final, activePoller, stats, afterStop, grace) : null;
    result.contention = {
      receiverCpuSeconds:
        start.receiverCpu !== null && end.receiverCpu !== null ? end.receiverCpu - start.receiverCpu : null,
      loadGeneratorCpuSeconds: (end.harnessCpu.user + end.harnessCpu.system) / 1e6,
    };
    result.ok = true;
  } catch (err) {
    let diagnosis = "";
    if (service) {
      const cpuNow = readCpuSeconds(service.pid);
      const seconds = (performance.now() - phaseAt) / 1000;
      if (service.process.hasExited()) diagnosis = " (the service process had exited)";
      else if (cpuNow !== null && phaseCpu !== null && seconds > 0)
        diagnosis = ` (service used ${Math.round(((cpuNow - phaseCpu) / seconds) * 100)} % of a core during the last ${seconds.toFixed(1)} s of this phase)`;
    }
    result.error = `${phase}: ${err instanceof Error ? err.message : String(err)}${diagnosis}`;
  } finally {
    (sampler as RssSampler | null)?.stop();
    await (poller as MetricsPoller | null)?.stop();
    if (service) await service.stop(5000).catch(() => {});
    if (receiver) await receiver.stop().catch(() => {});
  }
  return result;
}
