// Where the load benchmark judges tracing's cost as one process against another, bench:tracing-share
// reads it inside one traced process (docs/tracing-share.md), free of the process-to-process noise
// the A/A control shows. Its reading is shown beside the load check, not in its place: the check's
// verdict stays the load benchmark's.
import { existsSync, readFileSync } from "node:fs";
import { TRACING_SHARE_REFERENCE } from "./paths.js";
import { shareCell, type TracingShareResult } from "./profile/tracing-share-report.js";
import type { SpreadJson } from "./result-schema.js";
import { median } from "./stats.js";

/**
 * The load metrics tracing's CPU share stands beside. On a saturated core throughput is the
 * inverse of CPU per turn, and with the instant model a turn is all CPU, so tracing's share over
 * the untraced work is the CPU per request it adds and the throughput it takes, both.
 */
const CPU_METRICS: ReadonlySet<string> = new Set(["overhead.cpuPerRequestPct", "overhead.throughputLossPct"]);
/** The tail latency checks: beside them, how long tracing held the loop at a time (its longest hold). */
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
}

/** What stands beside a load check: tracing's CPU share, or its longest hold of the loop. */
export type ShareFigure = { kind: "cpu-share"; pct: SpreadJson } | { kind: "longest-hold"; ms: SpreadJson };

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
      return {
        scenario: s.scenario,
        cell: shareCell(s),
        overheadPct: spreadOf(s.runs.map((r) => r.cost.overheadOfUntraced * 100)),
        longestHoldMs: holds.length > 0 ? spreadOf(holds) : null,
      };
    });
}

/** The readings of the committed tracing-share reference; none when there is no such file. */
export function committedShareReadings(): ShareReading[] {
  if (!existsSync(TRACING_SHARE_REFERENCE)) return [];
  return shareReadings(JSON.parse(readFileSync(TRACING_SHARE_REFERENCE, "utf8")) as TracingShareResult);
}

/** The reading beside a load check of `metric` for `scenario` in `profile@connections`, if there is one. */
export function shareFigureFor(
  readings: readonly ShareReading[],
  metric: string,
  scenario: string,
  profile: string,
  connections: number,
): ShareFigure | null {
  const cell = shareCell({ profile, connections });
  const reading = readings.find((r) => r.scenario === scenario && r.cell === cell);
  if (!reading) return null;
  if (CPU_METRICS.has(metric)) return { kind: "cpu-share", pct: reading.overheadPct };
  if (TAIL_METRICS.has(metric) && reading.longestHoldMs) return { kind: "longest-hold", ms: reading.longestHoldMs };
  return null;
}
