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
import { runScenario } from "./run-scenario.js";
import { planRuns, SCENARIOS, type PlanOptions, type PlannedRun } from "./scenarios.js";
import type { SourceState } from "./source-state.js";
import { summarize } from "./summary.js";

/** --quick: every scenario once, at one connection count per profile, a few seconds each. */
export const QUICK_PLAN: Pick<PlanOptions, "profileOverrides"> = {
  profileOverrides: {
    instant: { connections: [16], focusConnections: 16, duration: 2, warmup: 1 },
    realistic: { connections: [64], focusConnections: 64, duration: 2, warmup: 2 },
  },
};

/**
 * --quick waits at most this long for delivery: shorter than the official SDK's 5 s batch
 * interval, so its received % in a quick run is cut short (and marked so).
 */
export const QUICK_GRACE_SECONDS = 1.5;

export function planFor(options: CliOptions): PlannedRun[] {
  return planRuns({
    profiles: options.profiles,
    scenarios: options.scenarios,
    repeat: options.repeat,
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

/** Rough wall time of a plan, for the start-up message (start/stop and grace included). */
export function estimateSeconds(plan: readonly PlannedRun[], graceMaxSeconds: number): number {
  return plan.reduce((t, r) => {
    const scenario = SCENARIOS[r.scenario];
    const startStop = 2 + (scenario.traced ? 0.5 : 0);
    // A slow or hung receiver holds the shutdown flush for LANGFUSE_SHUTDOWN_TIMEOUT (5 s).
    const shutdownFlush = r.scenario === "slow" || r.scenario === "hung" ? 5 : 0;
    return t + r.duration + r.warmup + startStop + expectedGraceSeconds(scenario, graceMaxSeconds) + shutdownFlush;
  }, 0);
}

/** How to read the numbers; the first note depends on where the processes ran. */
export function methodNotes(placement: CpuPlacement): string[] {
  const where =
    placement.service === null
      ? "Service, receiver and load generator (autocannon, in the harness process) run on the same machine and share all its cores (no CPU pinning). The receiver stands in for Langfuse, which in production runs elsewhere. Each run records the receiver's and the load generator's CPU time (contention)."
      : `Service, receiver and load generator (autocannon, in the harness process) run on the same machine: the service pinned to CPU ${placement.service}, the receiver and the load generator to CPU ${placement.others}, in every scenario alike (taskset). The receiver stands in for Langfuse, which in production runs elsewhere. Each run records the receiver's and the load generator's CPU time.`;
  return [
    where,
    "Latency is measured by the load generator per response (HDR histogram, 2xx only); failed = non-2xx + connection errors + timeouts.",
    `CPU per request = the service's CPU time (all its threads, from /proc, 10 ms resolution) between the opening and the closing of the measured window / 2xx responses answered inside it. Busy % = that CPU time / window / the ${placement.serviceCores} core(s) the service may use. RSS is sampled from /proc every 250 ms (peak over load and grace; final after the grace).`,
    "Event-loop delay p99 comes from prom-client (10 ms resolution) in ~1 s windows during the load: the median window and the worst window.",
    "Completeness = unique spans the receiver stored / observations the service created, after a grace period that ends when the pipeline holds nothing more (created − exported − dropped, and our exporter's queue including its journal, reach 0) and the receiver's count stands still, or at the grace limit; a received % cut by the limit is marked. 'after stop' includes the shutdown flush.",
    "Overheads are taken against `off` of the same profile, connection count and repetition; figures are the median over repetitions with the min-max spread.",
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
  const progress = new Progress(plan.length);
  const createdAt = new Date();
  // The machine and the source are recorded now, with the build that is about to be measured.
  const machine = { ...machineInfo(root, source), sourceReadAtStart: true };
  const build = snapshotBuild(root);
  const workRoot = mkdtempSync(join(tmpdir(), "switchboard-bench-"));
  const cpuPlan = planCpus(options.pin);
  pinSelf(cpuPlan.others);
  progress.log(`bench: ${cpuPlan.description}`);
  progress.log(
    `bench: ${plan.length} runs, about ${Math.ceil(estimateSeconds(plan, graceMaxSeconds) / 60)} min; scratch ${workRoot}`,
  );
  const runs: RunResult[] = [];
  try {
    for (const [i, planned] of plan.entries()) {
      if (isAborted()) break;
      progress.begin(i + 1, `rep ${planned.repetition} ${planned.profile}@${planned.connections} ${planned.scenario}`);
      const workDir = join(
        workRoot,
        `${String(i + 1).padStart(3, "0")}-${planned.profile}-${planned.connections}-${planned.scenario}`,
      );
      const run = await runScenario(planned, {
        root: build.root,
        workDir,
        sessionStore: options.sessionStore,
        cpus: cpuPlan,
        timeoutSeconds: options.timeoutSeconds,
        graceMaxSeconds,
        onStatus: (text) => progress.status(text),
        aborted: isAborted,
      });
      runs.push(run);
      progress.end(describeRun(run));
      if (run.ok) rmSync(workDir, { recursive: true, force: true });
      else progress.log(`  logs kept in ${workDir}`);
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
      timeoutSeconds: options.timeoutSeconds,
    },
    placement: placementOf(cpuPlan),
    notes: methodNotes(placementOf(cpuPlan)),
    runs,
    summary: summarize(runs),
  };
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
