// Where the load benchmark judges tracing's CPU or throughput as one process against another,
// bench:tracing-share reads the same cost inside one traced process (docs/tracing-share.md), free
// of the process-to-process noise the A/A control shows. Its reading is shown beside the load
// check, not in its place: the check's verdict stays the load benchmark's.
import { shareCell, type TracingShareResult } from "./profile/tracing-share-report.js";
import type { SpreadJson } from "./result-schema.js";
import { median } from "./stats.js";

/**
 * The load metrics a share stands beside. On a saturated core throughput is the inverse of CPU per
 * turn, and with the instant model a turn is all CPU, so tracing's share over the untraced work is
 * the CPU per request it adds and the throughput it takes, both.
 */
const SHARE_METRICS: ReadonlySet<string> = new Set(["overhead.cpuPerRequestPct", "overhead.throughputLossPct"]);

/** One scenario in one cell of a tracing-share result: tracing's CPU over the untraced work, %. */
export interface ShareReading {
  scenario: string;
  /** "profile@connections", as the load benchmark names its cells. */
  cell: string;
  overheadPct: SpreadJson;
}

export function shareReadings(result: Pick<TracingShareResult, "scenarios">): ShareReading[] {
  return result.scenarios
    .filter((s) => s.runs.length > 0)
    .map((s) => {
      const values = s.runs.map((r) => r.cost.overheadOfUntraced * 100);
      return {
        scenario: s.scenario,
        cell: shareCell(s),
        overheadPct: { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length },
      };
    });
}

/** The reading beside a load check of `metric` for `scenario` in `profile@connections`, if there is one. */
export function shareReadingFor(
  readings: readonly ShareReading[],
  metric: string,
  scenario: string,
  profile: string,
  connections: number,
): ShareReading | null {
  if (!SHARE_METRICS.has(metric)) return null;
  const cell = shareCell({ profile, connections });
  return readings.find((r) => r.scenario === scenario && r.cell === cell) ?? null;
}
