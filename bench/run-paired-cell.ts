// One (profile, connections) cell in paired windows (see paired-plan.ts): every non-degraded
// scenario's service (and receiver) starts at once and stays up for its set's rounds (a cell's
// rounds are split over fresh sets of processes, one set after the other), each one is warmed up
// in turn, then every round gives each one a measured window of load, one at a time, and each
// window is drained before the next one opens (paired-rounds.ts). At the end of a set every
// pipeline gets the full grace to deliver what it holds, and completeness is read over the
// process's whole life.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { heldSpans, waitForDelivery, type GraceOutcome } from "./grace.js";
import { runLoad, type LoadResult } from "./load.js";
import type { PairedCell, PlannedWindow } from "./paired-plan.js";
import { measureRounds } from "./paired-rounds.js";
import { pairedWindows, processSets, roundOrder, warmupSlices } from "./paired-plan.js";
import { pinProcess } from "./cpu-affinity.js";
import { readCpuSeconds, RssSampler } from "./process-sampler.js";
import type { MetricsSnapshot } from "./prometheus.js";
import type { ReceiverStatsView } from "./receiver-process.js";
import type { RunResult, TracingFigures } from "./result-schema.js";
import {
  emptyRunResult,
  finite,
  loadFigures,
  M,
  MetricsPoller,
  pct,
  startScenarioProcesses,
  type RunContext,
  type ScenarioProcesses,
} from "./run-scenario.js";
import { SCENARIOS, type ScenarioName } from "./scenarios.js";
import { median } from "./stats.js";

/**
 * Longest wait after a window for its service to settle before its CPU is read and the next
 * window opens: the turns still running when the window closed end (a realistic turn takes about
 * 1.5 s) and the pipeline drains (ours in about a second). The official SDK exports a partial
 * batch on its 5 s timer, so its last few spans of a window may go out after this, on its own
 * process, during a later window of another service.
 */
export const DRAIN_MAX_SECONDS = 3;

/** Chat turns ended, whatever their outcome (client_gone included). */
const TURNS = "switchboard_chat_turns_total";

interface Member {
  scenario: ScenarioName;
  workDir: string;
  processes: ScenarioProcesses | null;
  error: string | null;
  /** The member's latest window, which carries its completeness over the whole cell. */
  lastWindow: RunResult | null;
}

interface Loaded {
  member: Member & { processes: ScenarioProcesses };
  before: MetricsSnapshot;
  /** CPU seconds when the load began (before its lead-in), the service idle and settled. */
  cpuAtLoadStart: number | null;
  receiverBefore: ReceiverStatsView | null;
  load: LoadResult;
  opened: { procCpu: number | null; receiverCpu: number | null; harnessCpu: NodeJS.CpuUsage; rss: number | null };
  closed: { procCpu: number | null; harnessCpu: NodeJS.CpuUsage };
  sampler: RssSampler;
  poller: MetricsPoller;
}

function emptyResult(window: PlannedWindow): RunResult {
  return {
    ...emptyRunResult(window, "paired-window"),
    positionInRound: window.positionInRound,
    generation: window.generation,
    group: window.group,
  };
}

const delta = (after: number | null, before: number | null): number | null =>
  after === null ? null : after - (before ?? 0);

function deltaByLabel(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

/** The window's own tracing counters (differences across it); completeness is read at the end of the cell. */
function windowTracing(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
  poller: MetricsPoller,
  receiverBefore: ReceiverStatsView | null,
  receiverAfter: ReceiverStatsView | null,
): TracingFigures {
  const d = (name: string) => delta(after.sum(name), before.sum(name));
  return {
    created: d(M.created),
    createdByType: deltaByLabel(after.byLabel(M.created, "type"), before.byLabel(M.created, "type")),
    exported: d(M.exported),
    dropped: d(M.dropped),
    droppedByReason: deltaByLabel(after.byLabel(M.dropped, "reason"), before.byLabel(M.dropped, "reason")),
    exportAttempts: d(M.attempts),
    exportFailures: d(M.failures),
    exportFailuresByReason: deltaByLabel(after.byLabel(M.failures, "reason"), before.byLabel(M.failures, "reason")),
    errors: d(M.errors),
    queueSpansPeak: poller.queueSpansPeak,
    queueBytesPeak: poller.queueBytesPeak,
    received: receiverAfter ? receiverAfter.spans.received - (receiverBefore?.spans.received ?? 0) : null,
    receivedUnique: receiverAfter ? receiverAfter.spans.unique - (receiverBefore?.spans.unique ?? 0) : null,
    duplicates: receiverAfter ? receiverAfter.spans.duplicates - (receiverBefore?.spans.duplicates ?? 0) : null,
    completenessPct: null,
    receivedUniqueAfterStop: null,
    completenessAfterStopPct: null,
    receiverRequestsByStatus: {},
    graceSeconds: 0,
  };
}

/**
 * Gives the service core(s) to `loaded` alone: every other service of the cell goes to the other
 * cores while it idles. An idle service is not idle on the CPU: its garbage collector shrinks the
 * heap the last window grew, the official SDK exports its last batch on its 5 s timer; on the
 * service core, that ran inside the next service's window. In the first warm reference with every
 * service on CPU 0 (de31817), a window that followed naive's or sdk-defaults' read up to 1.9x
 * another of the same process (off at instant@64: 4.50-4.67 ms per request after them, 2.42-2.72
 * otherwise).
 */
function giveServiceCores(members: readonly Member[], loaded: Member, cpus: RunContext["cpus"]): void {
  for (const m of members) {
    const service = m.processes?.service;
    if (!service || service.process.hasExited()) continue;
    try {
      pinProcess(service.pid, m === loaded ? cpus.service : cpus.others);
    } catch {
      // The process ended between the check and the call: its next window reports it.
    }
  }
}

/** Stops what started: every member's service and receiver. */
async function stopAll(members: readonly Member[]): Promise<void> {
  await Promise.all(
    members.map(async (m) => {
      await m.processes?.service.stop(5000).catch(() => {});
      await m.processes?.receiver?.stop().catch(() => {});
      m.processes = null;
    }),
  );
}

export interface PairedHooks {
  begin(window: PlannedWindow): void;
  end(run: RunResult): void;
}

/**
 * Runs one cell; returns one result per window, in the order they ran. The rounds are split over
 * the cell's generations: each one a fresh set of processes, started, warmed up, measured in its
 * rounds, given its grace and stopped before the next set starts.
 */
export async function runPairedCell(
  cell: PairedCell,
  ctx: Omit<RunContext, "workDir"> & { workDir: string },
  hooks: PairedHooks,
): Promise<RunResult[]> {
  const windows = pairedWindows(cell);
  const sets = processSets(cell);
  const runs: RunResult[] = [];
  for (let generation = 1; generation <= sets; generation++) {
    if (ctx.aborted()) break;
    const workDir = sets > 1 ? join(ctx.workDir, `processes-${generation}`) : ctx.workDir;
    const own = windows.filter((w) => w.generation === generation);
    runs.push(...(await runGeneration(cell, own, { ...ctx, workDir }, hooks)));
  }
  return runs;
}

/** One set of processes of a cell: start, warm-up, its rounds, the grace, stop. */
async function runGeneration(
  cell: PairedCell,
  windows: readonly PlannedWindow[],
  ctx: Omit<RunContext, "workDir"> & { workDir: string },
  hooks: PairedHooks,
): Promise<RunResult[]> {
  const members: Member[] = cell.scenarios.map((scenario) => ({
    scenario,
    workDir: join(ctx.workDir, scenario),
    processes: null,
    error: null,
    lastWindow: null,
  }));
  const drainMax = DRAIN_MAX_SECONDS;
  const memberOf = (s: ScenarioName) => members.find((m) => m.scenario === s)!;
  try {
    ctx.onStatus(`starting ${members.length} services${windows[0] ? ` (set ${windows[0].generation})` : ""}`);
    const started = await Promise.allSettled(
      members.map((m) => {
        mkdirSync(m.workDir, { recursive: true });
        return startScenarioProcesses({ profile: cell.profile, scenario: m.scenario }, { ...ctx, workDir: m.workDir });
      }),
    );
    for (const [i, s] of started.entries()) {
      if (s.status === "fulfilled") members[i]!.processes = s.value;
      else members[i]!.error = `start: ${s.reason instanceof Error ? s.reason.message : String(s.reason)}`;
    }

    // Warm-up, one process at a time (each alone on the service core), each drained before the next,
    // in slices taken in turn: a process left idle cools again (see PROFILES' leadIn), and warmed
    // in one piece the first one waited through every other's warm-up before its first window
    // (spans-off, 45 s idle: 10.6 ms per request in round 1 against 2.8-3.4 after). Each pass
    // runs in the first round's order, so before its first window every process idles as long as
    // between any two of its windows.
    const slices = warmupSlices(cell);
    const sliceLeadIn = Math.min(cell.leadIn, cell.warmup / slices / 2);
    const warmOrder = roundOrder(members.length, windows[0]?.repetition ?? 1).map((i) => members[i]!);
    for (let slice = 1; slice <= slices; slice++) {
      for (const m of warmOrder) {
        if (ctx.aborted() || !m.processes || m.error) continue;
        ctx.onStatus(`warm-up ${m.scenario} ${slice}/${slices} of ${cell.warmup}s`);
        giveServiceCores(members, m, ctx.cpus);
        const { service, receiver } = m.processes;
        try {
          const load = runLoad({
            baseUrl: service.baseUrl,
            connections: cell.connections,
            warmup: sliceLeadIn,
            duration: Math.max(0.5, cell.warmup / slices - sliceLeadIn),
            timeoutSeconds: ctx.timeoutSeconds,
            runTag: `w${slice}${cell.profile[0]}${cell.connections}${m.scenario}`,
          });
          await load.done;
          await drain(service, receiver, SCENARIOS[m.scenario].traced, drainMax, ctx.aborted);
        } catch (err) {
          m.error = `warm-up: ${err instanceof Error ? err.message : String(err)}`;
        }
      }
    }

    const runs = await measureRounds<Loaded>(
      windows,
      {
        load: async (window) => {
          const member = memberOf(window.scenario);
          if (!member.processes) throw new Error(member.error ?? "the service is not running");
          if (member.processes.service.process.hasExited())
            throw new Error(`the service had exited:\n${member.processes.service.process.logTail()}`);
          ctx.onStatus("load");
          giveServiceCores(members, member, ctx.cpus);
          return loadWindow(member as Loaded["member"], window, ctx);
        },
        drain: async (window, loaded) => {
          ctx.onStatus("drain");
          const run = await finishWindow(window, loaded, drainMax, ctx);
          loaded.member.lastWindow = run;
          return run;
        },
        failed: (window, err) => {
          const run = emptyResult(window);
          run.error = err instanceof Error ? err.message : String(err);
          return run;
        },
      },
      { aborted: ctx.aborted, begin: (w) => hooks.begin(w), end: (r) => hooks.end(r) },
    );

    if (!ctx.aborted()) {
      ctx.onStatus("grace: every pipeline delivers what it holds; then the services stop");
      await Promise.all(members.map((m) => completeness(m, ctx)));
    }
    return runs;
  } finally {
    await stopAll(members);
  }
}

/**
 * Waits until the service has settled: no chat turn ended since the previous poll (the turns in
 * flight when the load stopped have ended), the pipeline holds nothing more, and the receiver's
 * count stands still; or the limit. Every scenario waits alike, `off` included, so the end of the
 * turns in flight at the window's close is charged to every scenario in full.
 */
async function drain(
  service: ScenarioProcesses["service"],
  receiver: ScenarioProcesses["receiver"],
  traced: boolean,
  maxSeconds: number,
  aborted: () => boolean,
  onScrape?: (m: MetricsSnapshot) => void,
): Promise<GraceOutcome & { held: number | null }> {
  let held: number | null = null;
  let turns: number | null | undefined;
  const probe = {
    held: async () => {
      const m = await service.metrics();
      onScrape?.(m);
      const turnsNow = m.sum(TURNS);
      const turnsSettled = turns !== undefined && turnsNow === turns;
      turns = turnsNow;
      held = traced ? heldSpans(m) : 0;
      // Turns still ending count as held: one more poll is needed.
      return turnsSettled ? held : Math.max(1, held ?? 1);
    },
    receiverUnique: async () => (receiver ? (await receiver.stats()).spans.unique : null),
  };
  const outcome = await waitForDelivery(probe, { maxSeconds, aborted });
  return { ...outcome, held };
}

async function loadWindow(member: Loaded["member"], window: PlannedWindow, ctx: Omit<RunContext, "workDir">) {
  const { service, receiver } = member.processes;
  // The service is idle and drained here: the counters the window's differences start from.
  const before = await service.metrics();
  const cpuAtLoadStart = readCpuSeconds(service.pid);
  const receiverBefore = receiver ? await receiver.stats() : null;
  const sampler = new RssSampler(service.pid);
  // Set from the load's callbacks.
  const edges: { poller: MetricsPoller | null; opened: Loaded["opened"] | null; closed: Loaded["closed"] | null } = {
    poller: null,
    opened: null,
    closed: null,
  };
  const load = runLoad({
    baseUrl: service.baseUrl,
    connections: window.connections,
    warmup: window.warmup,
    duration: window.duration,
    timeoutSeconds: ctx.timeoutSeconds,
    runTag: `r${window.repetition}${window.profile[0]}${window.connections}${window.scenario}`,
    onWindowStart: () => {
      sampler.start();
      // A scrape opens a fresh event-loop delay window; the poller closes one about every second.
      service
        .metrics()
        .then(() => (edges.poller = new MetricsPoller(service)))
        .catch(() => {});
      edges.opened = {
        procCpu: readCpuSeconds(service.pid),
        receiverCpu: receiver ? readCpuSeconds(receiver.pid) : null,
        harnessCpu: process.cpuUsage(),
        rss: sampler.sample(),
      };
    },
    onWindowEnd: () => {
      edges.closed = {
        procCpu: readCpuSeconds(service.pid),
        harnessCpu: process.cpuUsage(edges.opened?.harnessCpu),
      };
    },
    onTick: (n, phase) => ctx.onStatus(phase === "warm-up" ? "load: lead-in" : `load: ${n} answered`),
  });
  const stopLoad = setInterval(() => ctx.aborted() && load.stop(), 250);
  let result: LoadResult;
  try {
    result = await load.done;
  } finally {
    clearInterval(stopLoad);
  }
  if (ctx.aborted()) {
    await edges.poller?.stop();
    throw new Error("interrupted");
  }
  const { opened, closed } = edges;
  if (opened === null || closed === null) throw new Error("the measured window never started");
  // The scrape that opened the event-loop window may still be on its way.
  for (let i = 0; i < 40 && edges.poller === null; i++) await new Promise((r) => setTimeout(r, 50));
  const poller = edges.poller as MetricsPoller | null;
  if (poller === null) throw new Error("sampling did not start");
  return {
    member,
    before,
    cpuAtLoadStart,
    receiverBefore,
    load: result,
    opened,
    closed,
    sampler,
    poller,
  } satisfies Loaded;
}

/**
 * The load's whole CPU (from its lead-in's start, the service settled, until it settled again) /
 * every chat turn that ended meanwhile: no turn is cut at either edge, unlike cpuMsPerRequest,
 * which charges the rest of the turns in flight at the window's close but not the start of those
 * in flight at its opening. Recorded to compare the two; the lead-in's ramp is in it.
 */
function wholeLoadCpuMsPerTurn(loaded: Loaded, cpuSettled: number | null, final: MetricsSnapshot): number | null {
  const turns = delta(final.sum(TURNS), loaded.before.sum(TURNS));
  if (loaded.cpuAtLoadStart === null || cpuSettled === null || turns === null || turns <= 0) return null;
  return ((cpuSettled - loaded.cpuAtLoadStart) * 1000) / turns;
}

async function finishWindow(
  window: PlannedWindow,
  loaded: Loaded,
  drainMax: number,
  ctx: Omit<RunContext, "workDir">,
): Promise<RunResult> {
  const { service, receiver } = loaded.member.processes;
  const { poller, sampler, opened, closed, load } = loaded;
  const scenario = SCENARIOS[window.scenario];
  const after = await service.metrics();
  poller.observe(after, true);
  await poller.stop();
  const drained = await drain(service, receiver, scenario.traced, drainMax, ctx.aborted, (m) =>
    poller.observe(m, false),
  );
  // CPU from the window's opening until its pipeline drained: the export work of its requests is its own.
  const cpuDrained = readCpuSeconds(service.pid);
  const receiverCpu = receiver ? readCpuSeconds(receiver.pid) : null;
  const rss = sampler.stop();
  const final = await service.metrics();
  const receiverAfter = receiver ? await receiver.stats() : null;

  const run = emptyResult(window);
  Object.assign(run, loadFigures(load));
  const cpuSeconds = opened.procCpu !== null && cpuDrained !== null ? cpuDrained - opened.procCpu : null;
  const windowCpu = opened.procCpu !== null && closed.procCpu !== null ? closed.procCpu - opened.procCpu : null;
  run.drain = { seconds: drained.seconds, end: drained.end, heldAfter: drained.held };
  run.service = {
    startupMs: service.startupMs,
    cpuSeconds,
    cpuMsPerRequest: cpuSeconds !== null && load.answered > 0 ? (cpuSeconds * 1000) / load.answered : null,
    cpuMsPerTurnWholeLoad: wholeLoadCpuMsPerTurn(loaded, cpuDrained, final),
    // Busy: the share of the core(s) inside the window itself (the drain is mostly idle).
    cpuPct: windowCpu !== null ? (windowCpu / load.seconds) * 100 : null,
    busyPct: windowCpu !== null ? (windowCpu / load.seconds / ctx.cpus.serviceCores) * 100 : null,
    rssStartBytes: opened.rss,
    rssPeakBytes: rss.peakBytes,
    rssFinalBytes: rss.lastBytes,
    eventLoopP99Ms: finite(median(poller.elP99)),
    eventLoopP99MaxMs: poller.elP99.length > 0 ? Math.max(...poller.elP99) : null,
    eventLoopMaxMs: poller.elMax,
    stopMs: null,
    exit: null,
    killed: null,
  };
  run.tracing = scenario.traced
    ? windowTracing(loaded.before, final, poller, loaded.receiverBefore, receiverAfter)
    : null;
  run.contention = {
    receiverCpuSeconds: opened.receiverCpu !== null && receiverCpu !== null ? receiverCpu - opened.receiverCpu : null,
    loadGeneratorCpuSeconds: (closed.harnessCpu.user + closed.harnessCpu.system) / 1e6,
  };
  run.ok = true;
  return run;
}

/**
 * After the last round: the full grace for the member's pipeline, then its completeness over the
 * process's whole life (warm-up and every window), before and after its shutdown flush, written
 * into its last window (the only window whose completeness is not null).
 */
async function completeness(member: Member, ctx: Omit<RunContext, "workDir">): Promise<void> {
  const last = member.lastWindow;
  const processes = member.processes;
  if (!processes) return;
  const { service, receiver } = processes;
  try {
    if (last?.ok && last.tracing) {
      const grace = await drain(service, receiver, true, ctx.graceMaxSeconds, ctx.aborted);
      const m = await service.metrics();
      const stats = receiver ? await receiver.stats() : null;
      const created = m.sum(M.created);
      const stopped = await service.stop();
      const afterStop = receiver ? await receiver.stats().catch(() => null) : null;
      const unique = stats?.spans.unique ?? null;
      const uniqueAfter = afterStop?.spans.unique ?? null;
      Object.assign(last.tracing, {
        completenessPct: pct(unique, created),
        receivedUniqueAfterStop: uniqueAfter,
        completenessAfterStopPct: pct(uniqueAfter, created),
        receiverRequestsByStatus: (afterStop ?? stats)?.requests.byStatus ?? {},
        graceSeconds: grace.seconds,
        graceEnd: grace.end,
        heldAfterGrace: heldSpans(m),
      } satisfies Partial<TracingFigures>);
      Object.assign(last.service!, { stopMs: stopped.ms, exit: stopped.exit, killed: stopped.killed });
    } else {
      const stopped = await service.stop();
      if (last?.ok && last.service)
        Object.assign(last.service, { stopMs: stopped.ms, exit: stopped.exit, killed: stopped.killed });
    }
  } catch (err) {
    if (last) last.error = `completeness: ${err instanceof Error ? err.message : String(err)}`;
    if (last) last.ok = false;
  }
}
