// The shape of one result file (bench/results/<timestamp>.json). Numbers that could not be
// measured are null (JSON has no NaN).
import type { CellGroup, ProfileName, ScenarioName } from "./scenarios.js";

export const RESULT_SCHEMA = "switchboard-bench/1";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  os: string;
  nodeVersion: string;
  gitCommit: string | null;
  gitDirty: boolean | null;
  /**
   * The git objects of the service's source (src/, package-lock.json) at gitCommit, read as the
   * run started (source-state.ts, serviceSourceAt); null on a dirty tree. Absent in files written
   * before it was recorded.
   */
  serviceSource?: string | null;
  /**
   * True when commit and clean state were read as the run started, i.e. of the build that was
   * measured. Absent in files written before issue #11, which read them when the run ended.
   */
  sourceReadAtStart?: boolean;
}

/** Which cores the processes of a run could use (see cpu-affinity.ts). */
export interface CpuPlacement {
  /** taskset CPU list of the service; null: not pinned. */
  service: string | null;
  /** taskset CPU list of the receiver and the load generator; null: not pinned. */
  others: string | null;
  /** Cores the service could run on (its busy % is a share of these). */
  serviceCores: number;
  description: string;
}

export interface LatencyMs {
  avg: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
}

export interface TracingFigures {
  /** Observations created, total and by type (switchboard_tracing_observations_created_total). */
  created: number | null;
  createdByType: Record<string, number>;
  exported: number | null;
  dropped: number | null;
  droppedByReason: Record<string, number>;
  exportAttempts: number | null;
  exportFailures: number | null;
  exportFailuresByReason: Record<string, number>;
  /** Errors caught inside tracing, by kind. */
  errors: number | null;
  queueSpansPeak: number | null;
  queueBytesPeak: number | null;
  /** Receiver counters after the grace period (null when there is no receiver). */
  received: number | null;
  receivedUnique: number | null;
  duplicates: number | null;
  /** Unique spans received / spans created, in percent. */
  completenessPct: number | null;
  /** The same after the service stopped (its shutdown flush included). */
  receivedUniqueAfterStop: number | null;
  completenessAfterStopPct: number | null;
  receiverRequestsByStatus: Record<string, number>;
  /** Seconds waited after the load for the pipeline to deliver what it held. */
  graceSeconds: number;
  /**
   * How the grace ended: "drained" (the pipeline held nothing and the receiver's count stood
   * still) or "limit" (--grace ran out first: received % is cut short). Absent in older files.
   */
  graceEnd?: "drained" | "limit" | "aborted";
  /** Spans the pipeline still held when the counters were read (created − exported − dropped, or its queue gauge). */
  heldAfterGrace?: number | null;
}

/**
 * How a run was measured (issue 19). "paired-window": one measured window of a warm process that
 * lives through every round of its cell; `repetition` is the round (see paired-plan.ts).
 * "fresh-process": a service process started for this run alone (the degraded scenarios, and the
 * `off` they are compared with). Absent in files written before issue 19: all fresh-process.
 */
export type RunMethod = "paired-window" | "fresh-process";

export interface RunResult {
  /** The round of a paired window; the repetition of a fresh-process run. */
  repetition: number;
  /** Absent in files written before issue 19 (then "fresh-process"). */
  method?: RunMethod;
  /** A paired window's place in its round (1 = first); absent for fresh-process runs. */
  positionInRound?: number;
  /**
   * The set of processes a paired window ran on (1 = first; a cell's rounds may be split over
   * fresh sets, see PROFILES' generations). Absent for fresh-process runs and in files
   * written before it: one set.
   */
  generation?: number;
  /**
   * The paired cell a window ran in: ours, or the peers' (naive, sdk-defaults) with an `off` of its
   * own (see paired-plan.ts). Absent for fresh-process runs and in files written before the split:
   * one cell for all ("ours").
   */
  group?: CellGroup;
  /**
   * A paired window's drain: the wait after its load until the service's pipeline held nothing
   * (or the limit); its CPU is read at the end of it. Absent for fresh-process runs.
   */
  drain?: { seconds: number; end: "drained" | "limit" | "aborted"; heldAfter: number | null };
  profile: ProfileName;
  connections: number;
  scenario: ScenarioName;
  /** Planned measured seconds; `seconds` is what autocannon actually ran. */
  duration: number;
  warmup: number;
  ok: boolean;
  error: string | null;
  seconds: number | null;
  requests: {
    answered: number;
    failed: number;
    non2xx: number;
    errors: number;
    timeouts: number;
    statusCodes: Record<string, number>;
  } | null;
  throughputRps: number | null;
  latencyMs: LatencyMs | null;
  service: {
    startupMs: number | null;
    /** CPU seconds the service used during the measured load. */
    cpuSeconds: number | null;
    cpuMsPerRequest: number | null;
    /**
     * Paired windows: the whole load's CPU (lead-in, window, and until the service settled) / every
     * chat turn that ended in that time (switchboard_chat_turns_total, any outcome): no turn cut at
     * either edge. Absent for fresh-process runs and in files written before issue 19.
     */
    cpuMsPerTurnWholeLoad?: number | null;
    /** Share of one core, in percent, during the measured load. */
    cpuPct: number | null;
    /**
     * Share of the cores the service could use, in percent, during the measured window: how
     * loaded the service was. Absent in files written before issue #11.
     */
    busyPct?: number | null;
    rssStartBytes: number | null;
    rssPeakBytes: number | null;
    /** After the load and the grace period, just before stopping. */
    rssFinalBytes: number | null;
    /** Event-loop delay p99 per ~1 s window (prom-client, 10 ms resolution): median and worst window. */
    eventLoopP99Ms: number | null;
    eventLoopP99MaxMs: number | null;
    eventLoopMaxMs: number | null;
    stopMs: number | null;
    exit: number | string | null;
    /** Killed with SIGKILL because SIGTERM did not end it in time. */
    killed: boolean | null;
  } | null;
  tracing: TracingFigures | null;
  /** CPU seconds used by the receiver and by the load generator (this process) during the load: they share the cores. */
  contention: { receiverCpuSeconds: number | null; loadGeneratorCpuSeconds: number | null } | null;
}

/** Median and min-max spread over repetitions. */
export interface SpreadJson {
  median: number | null;
  min: number | null;
  max: number | null;
  n: number;
}

export interface SummaryRow {
  profile: ProfileName;
  connections: number;
  scenario: ScenarioName;
  runs: number;
  failedRuns: number;
  metrics: Record<SummaryMetric, SpreadJson>;
  /** Against `off` of the same cell and repetition (a fresh run's peak RSS: the median fresh `off`), in percent; absent for `off`. */
  overheads: Record<OverheadMetric, SpreadJson> | null;
}

export const SUMMARY_METRICS = [
  "throughputRps",
  "latencyP50Ms",
  "latencyP95Ms",
  "latencyP99Ms",
  "latencyAvgMs",
  "latencyMaxMs",
  "failedRequests",
  "cpuMsPerRequest",
  "rssPeakMiB",
  "rssFinalMiB",
  "eventLoopP99Ms",
  "serviceBusyPct",
  "spansCreated",
  "spansExported",
  "spansDropped",
  "completenessPct",
  "completenessAfterStopPct",
] as const;
export type SummaryMetric = (typeof SUMMARY_METRICS)[number];

export const OVERHEAD_METRICS = [
  "latencyP50Pct",
  "latencyP95Pct",
  "latencyP99Pct",
  "throughputLossPct",
  "cpuPerRequestPct",
  "cpuPerRequestAddedUs",
  "rssPeakPct",
  "rssPeakOverOffMiB",
  "rssPeakOverOffMB",
] as const;
export type OverheadMetric = (typeof OVERHEAD_METRICS)[number];

export interface BenchOptionsJson {
  quick: boolean;
  profiles: ProfileName[];
  scenarios: ScenarioName[];
  repeat: number;
  connections: number[] | null;
  duration: number | null;
  warmup: number | null;
  graceMaxSeconds: number;
  /** Session store of the paired windows' services (and, in files without degradedSessionStore, of every run). */
  sessionStore: "memory" | "sqlite";
  /** Session store of the fresh-process runs (degraded scenarios and their `off`); absent before it was separate. */
  degradedSessionStore?: "memory" | "sqlite";
  timeoutSeconds: number;
}

export interface BenchResultFile {
  schema: typeof RESULT_SCHEMA;
  createdAt: string;
  finishedAt: string;
  totalSeconds: number;
  machine: MachineInfo;
  options: BenchOptionsJson;
  /** Which cores the processes could use; absent in files written before issue #11. */
  placement?: CpuPlacement;
  /** Notes that explain how to read the numbers (shared cores, resolutions). */
  notes: string[];
  runs: RunResult[];
  summary: SummaryRow[];
}

/** Throws with a readable message when `value` is not a result file this code understands. */
export function assertResultFile(value: unknown, source = "result"): asserts value is BenchResultFile {
  const fail = (what: string): never => {
    throw new Error(`${source}: not a benchmark result (${what})`);
  };
  if (typeof value !== "object" || value === null) fail("not an object");
  const v = value as Partial<BenchResultFile>;
  if (v.schema !== RESULT_SCHEMA) fail(`schema is ${JSON.stringify(v.schema)}, expected ${RESULT_SCHEMA}`);
  if (typeof v.machine !== "object" || v.machine === null) fail("no machine");
  if (typeof v.options !== "object" || v.options === null) fail("no options");
  if (!Array.isArray(v.runs)) fail("no runs");
  if (!Array.isArray(v.summary)) fail("no summary");
  for (const run of v.runs!) {
    if (
      typeof run.scenario !== "string" ||
      typeof run.profile !== "string" ||
      typeof run.connections !== "number" ||
      typeof run.ok !== "boolean"
    )
      fail("a run lacks scenario/profile/connections/ok");
  }
}
