// The whole suite: plan the runs, run them one after the other, and assemble the result file.
import { pinSelf, planCpus, type CpuPlan } from "./cpu-affinity.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliOptions } from "./cli-options.js";
import { snapshotBuild } from "./build-snapshot.js";
import { machineInfo } from "./machine-info.js";
import { Progress } from "./progress.js";
import { RESULT_SCHEMA, type BenchResultFile, type CpuPlacement, type RunResult } from "./result-schema.js";
import {
  planSuite,
  processSets,
  plannedMeasurements,
  warmupSlices,
  type PairedCell,
  type SuiteStep,
} from "./paired-plan.js";
import { DRAIN_MAX_SECONDS, runPairedCell } from "./run-paired-cell.js";
import { runScenario } from "./run-scenario.js";
import { launchEnv } from "./launch-env.js";
import { PROFILES, SCENARIOS, type PlanOptions, type PlannedRun } from "./scenarios.js";
import type { SourceState } from "./source-state.js";
import { summarize } from "./summary.js";

/** --quick: two rounds (one repetition of the degraded runs), one connection count per profile, a few seconds each. */
export const QUICK_PLAN: Pick<PlanOptions, "profileOverrides"> = {
  profileOverrides: {
    instant: { connections: [16], focusConnections: 16, duration: 2, warmup: 1, processWarmup: 1, window: 2 },
    realistic: { connections: [64], focusConnections: 64, duration: 2, warmup: 2, processWarmup: 2, window: 2 },
  },
};

/**
 * --quick waits at most this long for delivery: shorter than the official SDK's 5 s batch
 * interval, so its received % in a quick run is cut short (and marked so).
 */
export const QUICK_GRACE_SECONDS = 1.5;

/**
 * Repetitions of the fresh-process runs (the degraded scenarios and their `off`): they measure
 * bounds under an outage, judged on the worst repetition, and each costs a process start-up, a
 * full grace and, for slow and hung, a 5 s shutdown flush.
 */
export const DEGRADED_REPEAT = 3;

export function planFor(options: CliOptions): SuiteStep[] {
  return planSuite({
    profiles: options.profiles,
    scenarios: options.scenarios,
    repeat: options.repeat,
    degradedRepeat: options.quick ? 1 : Math.min(options.repeat, DEGRADED_REPEAT),
    connections: options.connections ?? undefined,
    duration: options.duration ?? undefined,
    warmup: options.warmup ?? undefined,
    ...(options.quick ? QUICK_PLAN : {}),
  });
}

/** The official SDK exports on a 5 s timer (its documented default flushInterval). */
const SDK_FLUSH_INTERVAL_SECONDS = 5;

/** Expected grace of a scenario: our pipeline drains in about a second, the SDK on its timer, a degraded Langfuse never. */
function expectedGraceSeconds(scenario: (typeof SCENARIOS)[keyof typeof SCENARIOS], graceMaxSeconds: number): number {
  if (!scenario.traced) return 0;
  if (scenario.degraded) return graceMaxSeconds;
  return Math.min(graceMaxSeconds, scenario.name === "sdk-defaults" ? SDK_FLUSH_INTERVAL_SECONDS + 0.5 : 1);
}

/** Seconds a turn of the profile takes (time to first token + every token). */
function turnSeconds(profile: PairedCell["profile"]): number {
  const env = PROFILES[profile].serviceEnv;
  const ms = (name: string) => Number(env[name] ?? 0);
  return (ms("SIM_TTFT_MS") + ms("SIM_TOKEN_MS") * ms("SIM_REPLY_TOKENS")) / 1000;
}

/**
 * Expected drain after a paired window (see run-paired-cell.ts): the turns in flight end, our
 * pipeline drains in about a second, the SDK's waits for its timer up to the limit; then one
 * poll more to see it settled.
 */
function expectedDrainSeconds(
  scenario: (typeof SCENARIOS)[keyof typeof SCENARIOS],
  profile: PairedCell["profile"],
): number {
  const pipeline = scenario.name === "sdk-defaults" ? DRAIN_MAX_SECONDS : scenario.traced ? 1 : 0;
  return Math.min(DRAIN_MAX_SECONDS, Math.max(turnSeconds(profile), pipeline) + 0.5);
}

/** Seconds a fresh-process run takes (start/stop and grace included). */
function freshRunSeconds(r: PlannedRun, graceMaxSeconds: number): number {
  const scenario = SCENARIOS[r.scenario];
  const startStop = 2 + (scenario.traced ? 0.5 : 0);
  // A slow or hung receiver holds the shutdown flush for LANGFUSE_SHUTDOWN_TIMEOUT (5 s).
  const shutdownFlush = r.scenario === "slow" || r.scenario === "hung" ? 5 : 0;
  return r.duration + r.warmup + startStop + expectedGraceSeconds(scenario, graceMaxSeconds) + shutdownFlush;
}

/** Seconds a paired cell takes: per set of processes start, warm-ups, the final grace and stop; rounds of windows with their drains. */
function pairedCellSeconds(cell: PairedCell, graceMaxSeconds: number): number {
  const traced = cell.scenarios.map((s) => SCENARIOS[s]);
  // Every service starts at once, on the same core(s).
  const start = 2 + cell.scenarios.length * 0.5;
  const warmups = traced.reduce(
    (t, s) => t + cell.warmup + warmupSlices(cell) * expectedDrainSeconds(s, cell.profile),
    0,
  );
  // Per window: the counters before it, the lead-in, the window, the drain, the counters after it.
  const perRound = traced.reduce(
    (t, s) => t + 0.3 + cell.leadIn + cell.duration + expectedDrainSeconds(s, cell.profile),
    0,
  );
  // The final graces run side by side: the longest one counts; then the services stop.
  const final = Math.max(0, ...traced.map((s) => expectedGraceSeconds(s, graceMaxSeconds))) + 2;
  return processSets(cell) * (start + warmups + final) + cell.rounds * perRound;
}

/** Rough wall time of a plan, for the start-up message. */
export function estimateSeconds(plan: readonly SuiteStep[], graceMaxSeconds: number): number {
  return plan.reduce(
    (t, step) =>
      t +
      (step.kind === "paired"
        ? pairedCellSeconds(step.cell, graceMaxSeconds)
        : freshRunSeconds(step.run, graceMaxSeconds)),
    0,
  );
}

/** How to read the numbers; the first note depends on where the processes ran. */
export function methodNotes(
  placement: CpuPlacement,
  sessions: Pick<CliOptions, "sessionStore" | "degradedSessionStore"> = {
    sessionStore: "memory",
    degradedSessionStore: "sqlite",
  },
): string[] {
  const where =
    placement.service === null
      ? "Service, receiver and load generator (autocannon, in the harness process) run on the same machine and share all its cores (no CPU pinning). The receiver stands in for Langfuse, which in production runs elsewhere. Each run records the receiver's and the load generator's CPU time (contention)."
      : `Service, receiver and load generator (autocannon, in the harness process) run on the same machine: the service pinned to CPU ${placement.service}, the receiver and the load generator to CPU ${placement.others}, in every scenario alike (taskset; in a paired cell only the service being loaded or warmed holds that core: the others wait on the other cores, where an idle service's garbage collection and timers cannot run inside its window; the receivers stay there). The receiver stands in for Langfuse, which in production runs elsewhere. Each run records the receiver's and the load generator's CPU time.`;
  return [
    where,
    `Paired windows (off, naive, sdk-defaults, optimized, spans-off, every-turn): each (profile, connections) has two paired cells, ours (off, optimized, spans-off, every-turn) and then the peers' (off, naive, sdk-defaults), each with an \`off\` of its own: beside the peers' processes our defaults read +16.7 % CPU per request at instant@16, in cells of ours alone +3.3 %, +0.5 % and -7.8 % (bench/results/cell-composition/) and +4.5 % in the first reference with the split (ab736db): not proven, as a cell's median moves about as much from run to run, but the peers' exporting processes are kept out of our windows and ours out of theirs; \`off\`'s row is our cell's, and the peers' overheads are taken against theirs. In a cell every scenario gets its own service (and receiver) for a set of rounds, all started at once; each is warmed up in turn (${PROFILES.instant.processWarmup} s of load at instant, ${PROFILES.realistic.processWarmup} s at realistic: a fresh process is cold for thousands of turns); then every round gives each one measured window of load (a short unmeasured lead-in, then the window), one service at a time while the others idle, in an order that changes each round (round r starts at scenario r, and over the rounds every scenario follows every other one equally often). The rounds of a cell are split over fresh sets of processes (${PROFILES.instant.generations} at instant, ${PROFILES.realistic.generations} at realistic), each set started, warmed up, measured and stopped in turn: a process is one draw of V8's JIT and heap sizing, and identical untraced processes side by side differed by up to 9 % in CPU per turn, more than a 3 % budget. A window's overheads are taken against \`off\`'s window of the same round: the two ran a minute apart at most, on warm processes. Degraded scenarios (slow, hung, down, flaky) measure bounds under an outage that builds up over a run: each run is a fresh process (start, warm-up of ${PROFILES.instant.warmup} s at instant and ${PROFILES.realistic.warmup} s at realistic, measured window, grace, stop), against a fresh \`off\` run of the same repetition (not a row of its own: \`off\`'s row is its paired windows), their peak RSS against the median of the fresh \`off\` runs (a fresh process's peak moves with its own garbage collections, not with the machine), at most ${DEGRADED_REPEAT} repetitions. Sessions are kept in ${sessions.sessionStore === "memory" ? "memory" : "SQLite"} in the paired windows and in ${sessions.degradedSessionStore === "memory" ? "memory" : "SQLite"} in the fresh-process runs${sessions.degradedSessionStore === "sqlite" && sessions.sessionStore === "memory" ? " (the service's own default): memory sessions keep every turn of every session, so a process's peak RSS would grow with the turns it served, and an outage scenario that serves more of them would read as holding more trace data" : ""}.`,
    `Every service starts as \`npm start\` starts it: ${Object.entries(launchEnv())
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")} (glibc's allocator; see docs/deployment.md, "Memory").`,
    "Latency is measured by the load generator per response (HDR histogram, 2xx only); failed = non-2xx + connection errors + timeouts.",
    `CPU per request = the service's CPU time (all its threads, from /proc, 10 ms resolution) / 2xx responses answered inside the measured window. For a paired window the CPU time runs from the window's opening until the service has settled (no chat turn ended since the previous /metrics poll, the pipeline holds nothing and the receiver's count stands still; at most ${DRAIN_MAX_SECONDS} s; \`off\` waits alike), so the export work of the window's requests is charged to it; the next window opens only after that. So is the rest of the turns still in flight at the window's close, while the start of those in flight at its opening is not: the figure reads high by about half a turn's CPU per connection, spread over the window's requests (about 1 % at instant@16; about 20 % at realistic, where a turn lasts 1.5 s and every scenario of a cell has the same throughput, so there it scales every scenario alike: the overheads in % hold, the added microseconds are scaled with it). For a fresh-process run it runs from the opening to the closing of the window. Busy % = the CPU time inside the window / window / the ${placement.serviceCores} core(s) the service may use.`,
    "RSS is sampled from /proc every 250 ms. Paired window: the peak of a warm process within that window and its drain (the process lives on through the cell: its heap has grown to what earlier windows needed), final after the drain. Fresh-process run: peak over load and grace, final after the grace.",
    "Event-loop delay p99 comes from prom-client (10 ms resolution) in ~1 s windows during the load: the median window and the worst window.",
    "Completeness = unique spans the receiver stored / observations the service created, after a grace period that ends when the pipeline holds nothing more (created − exported − dropped, and our exporter's queue including its journal, reach 0) and the receiver's count stands still, or at the grace limit; a received % cut by the limit is marked. 'after stop' includes the shutdown flush. Paired windows: read once per scenario after its last round, over the process's whole life (warm-up and every window), and recorded on its last window: its received % is that one figure, not a median; spans created is the median of the windows' own counts. Fresh-process runs: per run.",
    "Overheads are taken against `off` of the same profile, connection count and repetition (round), measured the same way; figures are the median over rounds (repetitions) with the min-max spread.",
  ];
}

function placementOf(plan: CpuPlan): CpuPlacement {
  return { service: plan.service, others: plan.others, serviceCores: plan.serviceCores, description: plan.description };
}

/** `source`: the commit and clean state read when the run was asked for (see source-state.ts). */
export async function runSuite(
  options: CliOptions,
  root: string,
  source: SourceState,
  isAborted: () => boolean,
): Promise<BenchResultFile> {
  const plan = planFor(options);
  const graceMaxSeconds = options.quick
    ? Math.min(options.graceMaxSeconds, QUICK_GRACE_SECONDS)
    : options.graceMaxSeconds;
  const measurements = plannedMeasurements(plan);
  const progress = new Progress(measurements.length);
  const createdAt = new Date();
  // The machine and the source are recorded now, with the build that is about to be measured.
  const machine = { ...machineInfo(root, source), sourceReadAtStart: true };
  const build = snapshotBuild(root);
  const workRoot = mkdtempSync(join(tmpdir(), "switchboard-bench-"));
  const cpuPlan = planCpus(options.pin);
  pinSelf(cpuPlan.others);
  progress.log(`bench: ${cpuPlan.description}`);
  const cells = plan.filter((s) => s.kind === "paired").length;
  progress.log(
    `bench: ${cells} paired cell(s), ${options.repeat} round(s) each, and ${plan.length - cells} fresh-process run(s): ${measurements.length} measurements, about ${Math.ceil(estimateSeconds(plan, graceMaxSeconds) / 60)} min; scratch ${workRoot}`,
  );
  const runs: RunResult[] = [];
  const context = {
    root: build.root,
    sessionStore: options.sessionStore,
    cpus: cpuPlan,
    timeoutSeconds: options.timeoutSeconds,
    graceMaxSeconds,
    onStatus: (text: string) => progress.status(text),
    aborted: isAborted,
  };
  try {
    for (const [i, step] of plan.entries()) {
      if (isAborted()) break;
      const stepDir = join(workRoot, `${String(i + 1).padStart(3, "0")}-${describeStep(step)}`);
      if (step.kind === "paired") {
        const { cell } = step;
        progress.log(
          `bench: ${cell.profile}@${cell.connections} (${cell.group === "ours" ? "our cell" : "the peers' cell"}): ${cell.scenarios.join(", ")} as warm processes, ${cell.warmup} s warm-up each, then ${cell.rounds} round(s) of ${cell.duration} s windows${processSets(cell) > 1 ? `, over ${processSets(cell)} fresh sets of processes` : ""}`,
        );
        const cellRuns = await runPairedCell(
          cell,
          { ...context, workDir: stepDir },
          {
            begin: (w) =>
              progress.begin(
                runs.length + 1,
                `round ${w.repetition} #${w.positionInRound}${processSets(cell) > 1 ? ` (set ${w.generation})` : ""} ${w.profile}@${w.connections} ${w.scenario}${w.group === "peers" && w.scenario === "off" ? " (peers' off)" : ""}`,
              ),
            end: (run) => {
              runs.push(run);
              progress.end(describeRun(run));
            },
          },
        );
        for (const line of describeCompleteness(cellRuns)) progress.log(line);
        if (cellRuns.every((r) => r.ok)) rmSync(stepDir, { recursive: true, force: true });
        else progress.log(`  logs kept in ${stepDir}`);
        continue;
      }
      const planned = step.run;
      progress.begin(
        runs.length + 1,
        `rep ${planned.repetition} ${planned.profile}@${planned.connections} ${planned.scenario} (fresh process)`,
      );
      const run = await runScenario(planned, {
        ...context,
        sessionStore: options.degradedSessionStore,
        workDir: stepDir,
      });
      runs.push(run);
      progress.end(describeRun(run));
      if (run.ok) rmSync(stepDir, { recursive: true, force: true });
      else progress.log(`  logs kept in ${stepDir}`);
    }
  } finally {
    build.remove();
    if (runs.every((r) => r.ok)) rmSync(workRoot, { recursive: true, force: true });
  }
  const finishedAt = new Date();
  return {
    schema: RESULT_SCHEMA,
    createdAt: createdAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    totalSeconds: (finishedAt.getTime() - createdAt.getTime()) / 1000,
    machine,
    options: {
      quick: options.quick,
      profiles: options.profiles,
      scenarios: options.scenarios,
      repeat: options.repeat,
      connections: options.connections,
      duration: options.duration,
      warmup: options.warmup,
      graceMaxSeconds,
      sessionStore: options.sessionStore,
      degradedSessionStore: options.degradedSessionStore,
      timeoutSeconds: options.timeoutSeconds,
    },
    placement: placementOf(cpuPlan),
    notes: methodNotes(placementOf(cpuPlan), options),
    runs,
    summary: summarize(runs),
  };
}

function describeStep(step: SuiteStep): string {
  return step.kind === "paired"
    ? `${step.cell.profile}-${step.cell.connections}-paired-${step.cell.group}`
    : `${step.run.profile}-${step.run.connections}-${step.run.scenario}-rep${step.run.repetition}`;
}

/** After a paired cell: each traced scenario's completeness over its process's whole life. */
function describeCompleteness(runs: readonly RunResult[]): string[] {
  return runs
    .filter((r) => r.tracing?.completenessPct !== null && r.tracing?.completenessPct !== undefined)
    .map((r) => {
      const t = r.tracing!;
      const cut =
        t.graceEnd === "limit" && (t.heldAfterGrace ?? 1) > 0
          ? ` (grace limit ${t.graceSeconds.toFixed(1)} s reached, ${t.heldAfterGrace ?? "unknown"} still held)`
          : ` after ${t.graceSeconds.toFixed(1)} s`;
      return `  ${r.scenario}: ${t.completenessPct!.toFixed(1)}% of the process's spans received${cut}, ${t.completenessAfterStopPct?.toFixed(1) ?? "n/a"}% after stop`;
    });
}

function describeRun(run: RunResult): string {
  if (!run.ok) return `ERROR ${run.error?.split("\n")[0] ?? ""}`;
  const f = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? "n/a" : v.toFixed(d));
  const parts = [
    `${f(run.throughputRps, 0)} req/s`,
    `p50 ${f(run.latencyMs?.p50)} p99 ${f(run.latencyMs?.p99)} ms`,
    `failed ${run.requests?.failed ?? "n/a"}`,
    `cpu ${f(run.service?.cpuMsPerRequest, 2)} ms/req`,
    `rss ${f((run.service?.rssPeakBytes ?? Number.NaN) / 1048576, 0)} MiB`,
  ];
  if (run.drain) {
    const d = run.drain;
    parts.push(
      d.end === "drained"
        ? `settled in ${f(d.seconds)} s`
        : `drain limit ${f(d.seconds)} s reached${d.heldAfter ? `, ${d.heldAfter} spans still held` : ""}`,
    );
    parts.push(`whole load ${f(run.service?.cpuMsPerTurnWholeLoad, 2)} ms/turn`);
    if (run.tracing) parts.push(`spans ${run.tracing.created ?? "n/a"} created`);
    return parts.join(", ");
  }
  if (run.tracing) {
    const t = run.tracing;
    const cut =
      t.graceEnd === "limit" && (t.heldAfterGrace ?? 1) > 0
        ? ` (grace limit ${f(t.graceSeconds)} s reached, ${t.heldAfterGrace ?? "unknown"} still held)`
        : ` after ${f(t.graceSeconds)} s`;
    parts.push(`spans ${t.created ?? "n/a"} created, ${f(t.completenessPct)}% received${cut}`);
  }
  return parts.join(", ");
}
