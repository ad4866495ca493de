// Aggregation of runs into one row per (profile, connections, scenario): the median and min-max
// spread over repetitions of every figure, and the overheads against `off` of the same cell,
// taken repetition by repetition (round by round for paired windows), measured the same way;
// a fresh process's peak RSS against the median of the cell's fresh `off` runs (rssBaselineOf).
import {
  OVERHEAD_METRICS,
  SUMMARY_METRICS,
  type OverheadMetric,
  type RunMethod,
  type RunResult,
  type SpreadJson,
  type SummaryMetric,
  type SummaryRow,
} from "./result-schema.js";
import { PROFILE_NAMES, SCENARIO_NAMES, type CellGroup, type ScenarioName } from "./scenarios.js";
import { lossPct, median, overheadPct, spread } from "./stats.js";

const MiB = 1024 * 1024;
const MB = 1_000_000;
const n = (v: number | null | undefined): number => (v === null || v === undefined ? Number.NaN : v);

/** One figure of one run (NaN when not measured). */
export function runMetric(run: RunResult, metric: SummaryMetric): number {
  switch (metric) {
    case "throughputRps":
      return n(run.throughputRps);
    case "latencyP50Ms":
      return n(run.latencyMs?.p50);
    case "latencyP95Ms":
      return n(run.latencyMs?.p95);
    case "latencyP99Ms":
      return n(run.latencyMs?.p99);
    case "latencyAvgMs":
      return n(run.latencyMs?.avg);
    case "latencyMaxMs":
      return n(run.latencyMs?.max);
    case "failedRequests":
      return n(run.requests?.failed);
    case "cpuMsPerRequest":
      return n(run.service?.cpuMsPerRequest);
    case "rssPeakMiB":
      return n(run.service?.rssPeakBytes) / MiB;
    case "rssFinalMiB":
      return n(run.service?.rssFinalBytes) / MiB;
    case "eventLoopP99Ms":
      return n(run.service?.eventLoopP99Ms);
    case "serviceBusyPct":
      return n(run.service?.busyPct);
    case "spansCreated":
      return n(run.tracing?.created);
    case "spansExported":
      return n(run.tracing?.exported);
    case "spansDropped":
      return n(run.tracing?.dropped);
    case "completenessPct":
      return n(run.tracing?.completenessPct);
    case "completenessAfterStopPct":
      return n(run.tracing?.completenessAfterStopPct);
  }
}

/** One overhead of a run against its baseline run, in percent (MiB / MB for the rssPeakOverOff* differences). */
export function runOverhead(run: RunResult, off: RunResult, metric: OverheadMetric): number {
  switch (metric) {
    case "latencyP50Pct":
      return overheadPct(runMetric(run, "latencyP50Ms"), runMetric(off, "latencyP50Ms"));
    case "latencyP95Pct":
      return overheadPct(runMetric(run, "latencyP95Ms"), runMetric(off, "latencyP95Ms"));
    case "latencyP99Pct":
      return overheadPct(runMetric(run, "latencyP99Ms"), runMetric(off, "latencyP99Ms"));
    case "throughputLossPct":
      return lossPct(runMetric(run, "throughputRps"), runMetric(off, "throughputRps"));
    case "cpuPerRequestPct":
      return overheadPct(runMetric(run, "cpuMsPerRequest"), runMetric(off, "cpuMsPerRequest"));
    case "cpuPerRequestAddedUs":
      return (runMetric(run, "cpuMsPerRequest") - runMetric(off, "cpuMsPerRequest")) * 1000;
    case "rssPeakPct":
      return overheadPct(runMetric(run, "rssPeakMiB"), runMetric(off, "rssPeakMiB"));
    case "rssPeakOverOffMiB":
      return runMetric(run, "rssPeakMiB") - runMetric(off, "rssPeakMiB");
    case "rssPeakOverOffMB":
      return (n(run.service?.rssPeakBytes) - n(off.service?.rssPeakBytes)) / MB;
  }
}

export function toSpreadJson(values: readonly number[]): SpreadJson {
  const s = spread(values);
  const j = (v: number) => (Number.isFinite(v) ? v : null);
  return { median: j(s.median), min: j(s.min), max: j(s.max), n: s.n };
}

/** How a run was measured; files written before issue 19 hold fresh-process runs only. */
export function methodOf(run: RunResult): RunMethod {
  return run.method ?? "fresh-process";
}

/** The paired cell a window ran in ("ours" for fresh-process runs and for files written before the split). */
export function groupOf(run: RunResult): CellGroup {
  return run.group ?? "ours";
}

/**
 * The runs of a scenario that make its row. A cell measured in paired windows also holds the
 * fresh-process `off` runs the degraded scenarios are compared with, and may hold a second `off`,
 * the peers' (see paired-plan.ts): `off`'s row is the windows of our cell (the peers' when it is
 * the only one), the `off` the budgets judge against.
 */
export function rowRuns(cell: readonly RunResult[], scenario: ScenarioName): RunResult[] {
  const mine = cell.filter((r) => r.scenario === scenario);
  const windows = mine.filter((r) => methodOf(r) === "paired-window");
  if (scenario !== "off" || windows.length === 0) return mine;
  const ours = windows.filter((r) => groupOf(r) === "ours");
  return ours.length > 0 ? ours : windows;
}

/** The `off` run a run is compared with: same cell, same repetition (round), measured the same way. */
export function baselineOf(cell: readonly RunResult[], run: RunResult): RunResult | undefined {
  return cell.find(
    (r) =>
      r.scenario === "off" &&
      r.ok &&
      r.repetition === run.repetition &&
      methodOf(r) === methodOf(run) &&
      groupOf(r) === groupOf(run),
  );
}

const RSS_METRICS: ReadonlySet<OverheadMetric> = new Set(["rssPeakPct", "rssPeakOverOffMiB", "rssPeakOverOffMB"]);

/**
 * The `off` run a run's peak RSS is compared with. Pairing by repetition cancels what the machine
 * does to runs minutes apart, which moves CPU and latency. A fresh process's peak RSS moves with
 * its own garbage collections instead (in the 2026-12-06 19:50 reference one fresh `off` peaked at
 * 186 MiB, its two siblings at 213 and 215), so one `off` run is a noisier baseline than the median
 * of the cell's fresh `off` runs (`freshOffPeakBytes`), which a fresh run's peak is compared with.
 * Paired windows keep their round's `off`: both processes are warm and measured the same minute.
 */
function rssBaselineOf(run: RunResult, off: RunResult, freshOffPeakBytes: number): RunResult {
  if (methodOf(run) !== "fresh-process" || !Number.isFinite(freshOffPeakBytes) || !off.service) return off;
  return { ...off, service: { ...off.service, rssPeakBytes: freshOffPeakBytes } };
}

/** The median peak RSS of a cell's fresh `off` runs (NaN when it has none). */
function freshOffPeakBytes(cell: readonly RunResult[]): number {
  return median(
    cell
      .filter((r) => r.scenario === "off" && r.ok && methodOf(r) === "fresh-process")
      .map((r) => n(r.service?.rssPeakBytes)),
  );
}

export function summarize(runs: readonly RunResult[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const profile of PROFILE_NAMES) {
    const connectionCounts = [...new Set(runs.filter((r) => r.profile === profile).map((r) => r.connections))].sort(
      (a, b) => a - b,
    );
    for (const connections of connectionCounts) {
      const cell = runs.filter((r) => r.profile === profile && r.connections === connections);
      const offPeak = freshOffPeakBytes(cell);
      for (const scenario of SCENARIO_NAMES) {
        const mine = rowRuns(cell, scenario);
        if (mine.length === 0) continue;
        const good = mine.filter((r) => r.ok);
        const metrics = Object.fromEntries(
          SUMMARY_METRICS.map((m) => [m, toSpreadJson(good.map((r) => runMetric(r, m)))]),
        ) as Record<SummaryMetric, SpreadJson>;
        let overheads: SummaryRow["overheads"] = null;
        if (scenario !== "off") {
          const pairs = good
            .map((r) => ({ run: r, off: baselineOf(cell, r) }))
            .filter((p): p is { run: RunResult; off: RunResult } => p.off !== undefined)
            .map((p) => ({ ...p, rssOff: rssBaselineOf(p.run, p.off, offPeak) }));
          overheads = Object.fromEntries(
            OVERHEAD_METRICS.map((m) => [
              m,
              toSpreadJson(pairs.map((p) => runOverhead(p.run, RSS_METRICS.has(m) ? p.rssOff : p.off, m))),
            ]),
          ) as Record<OverheadMetric, SpreadJson>;
        }
        rows.push({
          profile,
          connections,
          scenario,
          runs: mine.length,
          failedRuns: mine.length - good.length,
          metrics,
          overheads,
        });
      }
    }
  }
  return rows;
}
