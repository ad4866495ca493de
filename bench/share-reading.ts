// Where the load benchmark judges tracing's cost as one process against another, bench:tracing-share
// reads it inside one traced process (docs/tracing-share.md), free of the process-to-process noise
// the A/A control shows. Its reading stands beside every load check it bears on, and judges the
// checks whose budget asks for it (Budget.judgedBy), when it measured the same service as the
// load result did.
import { existsSync, readFileSync } from "node:fs";
import { ROOT, TRACING_SHARE_REFERENCE } from "./paths.js";
import { shareCell, type TracingShareResult } from "./profile/tracing-share-report.js";
import type { MachineInfo, SpreadJson } from "./result-schema.js";
import { sameServiceSource } from "./source-state.js";
import { median } from "./stats.js";

/**
 * The load metrics tracing's CPU share stands beside. On a saturated core throughput is the
 * inverse of CPU per turn, and with the instant model a turn is all CPU, so tracing's share over
 * the untraced work is the CPU per request it adds and the throughput it takes, both.
 */
const CPU_METRICS: ReadonlySet<string> = new Set(["overhead.cpuPerRequestPct", "overhead.throughputLossPct"]);
/**
 * The tail latency checks: beside them, tracing's part of the p99 of the requests (the p99 over
 * the p99 of the same requests less tracing's work), or in a result written before that was
 * recorded, how long tracing held the loop at a time (its longest hold).
 */
const TAIL_METRICS: ReadonlySet<string> = new Set(["overhead.latencyP99Pct"]);

/** One scenario in one cell of a tracing-share result. */
export interface ShareReading {
  scenario: string;
  /** "profile@connections", as the load benchmark names its cells. */
  cell: string;
  /** Tracing's CPU over the untraced work, %, over the processes. */
  overheadPct: SpreadJson;
  /** Tracing's longest hold of the main thread, ms, over the processes that recorded it (null: none did). */
  longestHoldMs: SpreadJson | null;
  /** Tracing's part of the latency p99, %, over the processes, when every one recorded it (null otherwise). */
  p99OverheadPct: SpreadJson | null;
}

/** What stands beside a load check: tracing's CPU share, its part of the p99, or its longest hold of the loop. */
export type ShareFigure =
  | { kind: "cpu-share"; pct: SpreadJson }
  | { kind: "p99-part"; pct: SpreadJson }
  | { kind: "longest-hold"; ms: SpreadJson };

const spreadOf = (values: readonly number[]): SpreadJson => ({
  median: median(values),
  min: Math.min(...values),
  max: Math.max(...values),
  n: values.length,
});

export function shareReadings(result: Pick<TracingShareResult, "scenarios">): ShareReading[] {
  return result.scenarios
    .filter((s) => s.runs.length > 0)
    .map((s) => {
      const holds = s.runs.flatMap((r) => (r.stretches ? [r.stretches.longestMs] : []));
      const tails = s.runs.flatMap((r) => (r.tail ? [r.tail.p99OverheadPct] : []));
      return {
        scenario: s.scenario,
        cell: shareCell(s),
        overheadPct: spreadOf(s.runs.map((r) => r.cost.overheadOfUntraced * 100)),
        longestHoldMs: holds.length > 0 ? spreadOf(holds) : null,
        // A median of some processes only would not be the scenario's.
        p99OverheadPct: tails.length === s.runs.length ? spreadOf(tails) : null,
      };
    });
}

/** The committed tracing-share reference's readings and the build it measured. */
export interface InsideProcess {
  readings: ShareReading[];
  /**
   * Whether those readings measured the service the judged load result measured (the same src/
   * and package-lock.json at both commits, both trees clean); null: unknown. Only then may they
   * judge its checks: a reading of another build says nothing about this one.
   */
  sameService: boolean | null;
  /** The commit the readings measured, for the report. */
  commit: string | null;
}

/**
 * The committed tracing-share reference's readings, and whether they measured the service
 * `loadMachine` names; no readings when there is no such file.
 */
export function committedInsideProcess(
  loadMachine: Pick<MachineInfo, "gitCommit" | "gitDirty" | "serviceSource">,
): InsideProcess {
  if (!existsSync(TRACING_SHARE_REFERENCE)) return { readings: [], sameService: null, commit: null };
  const result = JSON.parse(readFileSync(TRACING_SHARE_REFERENCE, "utf8")) as TracingShareResult;
  const share = result.machine;
  return {
    readings: shareReadings(result),
    sameService: sameServiceSource(
      ROOT,
      { commit: loadMachine.gitCommit, dirty: loadMachine.gitDirty, service: loadMachine.serviceSource },
      { commit: share.gitCommit, dirty: share.gitDirty, service: share.serviceSource },
    ),
    commit: share.gitCommit,
  };
}

function readingOf(
  readings: readonly ShareReading[],
  scenario: string,
  profile: string,
  connections: number,
): ShareReading | undefined {
  const cell = shareCell({ profile, connections });
  return readings.find((r) => r.scenario === scenario && r.cell === cell);
}

/** The reading beside a load check of `metric` for `scenario` in `profile@connections`, if there is one. */
export function shareFigureFor(
  readings: readonly ShareReading[],
  metric: string,
  scenario: string,
  profile: string,
  connections: number,
): ShareFigure | null {
  const reading = readingOf(readings, scenario, profile, connections);
  if (!reading) return null;
  if (CPU_METRICS.has(metric)) return { kind: "cpu-share", pct: reading.overheadPct };
  if (!TAIL_METRICS.has(metric)) return null;
  if (reading.p99OverheadPct) return { kind: "p99-part", pct: reading.p99OverheadPct };
  if (reading.longestHoldMs) return { kind: "longest-hold", ms: reading.longestHoldMs };
  return null;
}

/**
 * A load check's figure read inside the traced process, in the check's own unit (%), or null when
 * there is no reading for it: tracing's CPU over the untraced work for CPU per request and
 * throughput loss, tracing's part of the requests' latency p99 for latency p99 (a result written
 * before it was recorded has none). The median or the worst process, as the budget aggregates.
 */
export function insideProcessValue(
  readings: readonly ShareReading[],
  check: { metric: string; aggregate: "median" | "max"; scenario: string; profile: string; connections: number },
): number | null {
  const figure = shareFigureFor(readings, check.metric, check.scenario, check.profile, check.connections);
  // A longest hold stands beside a p99 check but is no share of the p99: it judges nothing.
  if (!figure || figure.kind === "longest-hold") return null;
  return check.aggregate === "max" ? figure.pct.max : figure.pct.median;
}
