// The tracing-cost result file's shape, and the per-cell summary of its rounds (pure).
import type { ContextSpec } from "./payload.js";
import type { MachineInfo as BaseMachineInfo } from "../result-schema.js";
import type { CallsOnlyMeasurement, ConcurrentMeasurement, SequentialMeasurement } from "./measure.js";
import { spread, type Spread } from "./stats.js";
import type { MainThreadClockKind } from "./thread-cpu.js";

/**
 * 3: event-loop sample counts per concurrent measurement (a phase of at least 2 s), distinct
 * texts per request, and the floor and plain OpenTelemetry variants.
 * 2: main-thread CPU (a per-thread clock) beside the whole process's CPU, the calls-only figure
 * per variant (median of its repetitions), targets from bench/budgets.json. Version 1 files
 * have neither main-thread CPU nor the calls-only repetitions: re-run to check them.
 */
export const RESULT_SCHEMA = "switchboard.tracing-cost/3";

/** The load suite's machine description, plus how busy the machine was. */
export interface MachineInfo extends BaseMachineInfo {
  /** 1-minute load average when the run started and ended: other processes share the cores. */
  loadAverageStart: number;
  loadAverageEnd: number;
}

export interface PayloadSpec {
  name: string;
  inputChars: number;
  outputChars: number;
  /** A system prompt and history in front of the user's message (the "turn" payload); absent: a short system prompt only. */
  context?: ContextSpec;
  sequentialRequests: number;
  concurrentRequests: number;
}

/** This round's value minus the `none` variant's in the same round and payload, per request. */
export interface RoundOverhead {
  inRequestUs: number;
  mainThreadCpuInclDrainUs: number | null;
  processCpuInclDrainUs: number;
}

export interface RoundResult {
  round: number;
  sequential: SequentialMeasurement;
  concurrent: ConcurrentMeasurement;
  overhead: RoundOverhead;
}

/** A spread of a figure that may not be measured (no main-thread clock): null then. */
export type MaybeSpread = Spread | null;

export interface CellSummary {
  inRequestUs: Spread;
  mainThreadCpuUs: MaybeSpread;
  mainThreadCpuInclDrainUs: MaybeSpread;
  processCpuUs: Spread;
  processCpuInclDrainUs: Spread;
  eventLoopActiveInclDrainUs: Spread;
  overheadInRequestUs: Spread;
  overheadMainThreadCpuInclDrainUs: MaybeSpread;
  overheadProcessCpuInclDrainUs: Spread;
  eventLoopP99Ms: Spread;
  eventLoopMaxMs: Spread;
  /** Event-loop delay samples per round (the percentiles' sample size). */
  eventLoopSamples: Spread;
  concurrentMainThreadCpuInclDrainUs: MaybeSpread;
  concurrentProcessCpuInclDrainUs: Spread;
  /** Over every measurement of the cell (sequential and concurrent, all rounds). */
  spansExpected: number;
  spansUnique: number;
  spansDropped: number;
  tracingErrors: number;
  exportFailures: number;
}

export interface CellResult {
  variant: string;
  payload: string;
  rounds: RoundResult[];
  summary: CellSummary;
}

/** disabled / sampled-out: the Tracing calls alone, once per round (no payload involved). */
export interface CallsOnlyResult {
  variant: string;
  rounds: ({ round: number } & CallsOnlyMeasurement)[];
  /** Median (min–max) over rounds of each round's median. */
  summary: Spread;
}

export interface TargetResult {
  id: string;
  description: string;
  variant: string;
  /** null: the figure does not depend on the payload (calls alone). */
  payload: string | null;
  metric: string;
  limit: number;
  unit: string;
  /** NaN when not measured. */
  measured: number;
  pass: boolean;
  /** Why it failed without a number, e.g. "not measured: no main-thread CPU clock". */
  note?: string;
}

export interface TracingCostResult {
  schema: typeof RESULT_SCHEMA;
  generatedAt: string;
  mode: "default" | "quick" | "custom";
  durationSeconds: number;
  machine: MachineInfo;
  method: {
    rounds: number;
    concurrency: number;
    payloads: PayloadSpec[];
    /** How main-thread CPU was read: schedstat (ns), stat (10 ms ticks), or null (not measured). */
    mainThreadClock: MainThreadClockKind | null;
    request: string;
    modelCall: string;
    receiver: string;
    metrics: Record<string, string>;
    exportingVariants: string[];
  };
  variants: { name: string; description: string }[];
  cells: CellResult[];
  callsOnly: CallsOnlyResult[];
  targets: TargetResult[];
  warnings: string[];
}

function maybeSpread(values: readonly (number | null)[]): MaybeSpread {
  return values.length > 0 && values.every((v): v is number => v !== null && Number.isFinite(v))
    ? spread(values)
    : null;
}

/** Summary of one variant x payload from its rounds: the median (min–max) over rounds of every figure. */
export function summarizeCell(rounds: readonly RoundResult[]): CellSummary {
  const pick = (f: (r: RoundResult) => number) => spread(rounds.map(f));
  const maybe = (f: (r: RoundResult) => number | null) => maybeSpread(rounds.map(f));
  let spansExpected = 0;
  let spansUnique = 0;
  let spansDropped = 0;
  let tracingErrors = 0;
  let exportFailures = 0;
  for (const r of rounds) {
    for (const m of [r.sequential, r.concurrent]) {
      exportFailures += m.exportFailures;
      spansExpected += m.spansExpected;
      spansUnique += m.spansUnique;
      spansDropped += m.spansDropped;
      tracingErrors += m.tracingErrors;
    }
  }
  return {
    inRequestUs: pick((r) => r.sequential.inRequestUs),
    mainThreadCpuUs: maybe((r) => r.sequential.mainThreadCpuUs),
    mainThreadCpuInclDrainUs: maybe((r) => r.sequential.mainThreadCpuInclDrainUs),
    processCpuUs: pick((r) => r.sequential.processCpuUs),
    processCpuInclDrainUs: pick((r) => r.sequential.processCpuInclDrainUs),
    eventLoopActiveInclDrainUs: pick((r) => r.sequential.eventLoopActiveInclDrainUs),
    overheadInRequestUs: pick((r) => r.overhead.inRequestUs),
    overheadMainThreadCpuInclDrainUs: maybe((r) => r.overhead.mainThreadCpuInclDrainUs),
    overheadProcessCpuInclDrainUs: pick((r) => r.overhead.processCpuInclDrainUs),
    eventLoopP99Ms: pick((r) => r.concurrent.eventLoopP99Ms),
    eventLoopMaxMs: pick((r) => r.concurrent.eventLoopMaxMs),
    eventLoopSamples: pick((r) => r.concurrent.eventLoopSamples ?? 0),
    concurrentMainThreadCpuInclDrainUs: maybe((r) => r.concurrent.mainThreadCpuInclDrainUs),
    concurrentProcessCpuInclDrainUs: pick((r) => r.concurrent.processCpuInclDrainUs),
    spansExpected,
    spansUnique,
    spansDropped,
    tracingErrors,
    exportFailures,
  };
}

/** Per-round overhead against the `none` round of the same payload (paired by round number). */
export function overheadAgainst(
  sequential: SequentialMeasurement,
  baseline: SequentialMeasurement | undefined,
): RoundOverhead {
  if (!baseline) return { inRequestUs: Number.NaN, mainThreadCpuInclDrainUs: null, processCpuInclDrainUs: Number.NaN };
  const main =
    sequential.mainThreadCpuInclDrainUs !== null && baseline.mainThreadCpuInclDrainUs !== null
      ? sequential.mainThreadCpuInclDrainUs - baseline.mainThreadCpuInclDrainUs
      : null;
  return {
    inRequestUs: sequential.inRequestUs - baseline.inRequestUs,
    mainThreadCpuInclDrainUs: main,
    processCpuInclDrainUs: sequential.processCpuInclDrainUs - baseline.processCpuInclDrainUs,
  };
}

/** The calls-only figure of one variant over its rounds. */
export function summarizeCallsOnly(variant: string, rounds: CallsOnlyResult["rounds"]): CallsOnlyResult {
  return { variant, rounds, summary: spread(rounds.map((r) => r.medianUs)) };
}
