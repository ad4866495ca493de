// The tracing-cost benchmark's budgets (the `tracingCost` section of bench/budgets.json) and
// their evaluation into PASS/FAIL targets, with the completeness checks of exporting variants.
import type { CallsOnlyResult, CellResult, TargetResult } from "./result.js";
import { validateBudgetSection } from "../budget-entry.js";
import { median } from "../stats.js";

/** What a budget can judge, each a median over rounds. */
export const TRACING_COST_METRICS = {
  addedMainThreadCpuUs:
    "main-thread CPU per request, export drain included, minus the `none` variant's in the same round; median over rounds",
  addedProcessCpuUs:
    "CPU of every thread of the process per request, export drain included, minus the `none` variant's in the same round; median over rounds",
  eventLoopP99Ms: "event-loop delay p99 while the concurrent requests run; median over rounds",
  addedProcessCpuVsFloor:
    "CPU of every thread per request added vs `none`, divided by the `floor` variant's in the same round; median over rounds",
  callsOnlyUs:
    "main-thread CPU of the Tracing calls of one request alone, minus an empty loop; median over rounds of each round's median of 5 repetitions",
} as const;
export type TracingCostMetric = keyof typeof TRACING_COST_METRICS;

export interface TracingCostBudget {
  id: string;
  source?: string;
  /** The sentence the report shows. */
  description: string;
  variant: string;
  /** Payload of the cell; absent for callsOnlyUs (no payload involved). */
  payload?: string;
  metric: TracingCostMetric;
  max: number;
  unit: string;
}

/** Throws naming the first problem; `ids` are the ids already taken by the load suite's budgets. */
export function validateTracingCostBudgets(value: unknown, ids: Set<string> = new Set()): TracingCostBudget[] {
  return validateBudgetSection<TracingCostBudget>(value, "tracingCost", "tracing-cost", ids, (b, where) => {
    if (typeof b.variant !== "string" || b.variant === "") throw new Error(`${where}: variant must be named`);
    if (!(b.metric in TRACING_COST_METRICS))
      throw new Error(`${where}: metric must be one of ${Object.keys(TRACING_COST_METRICS).join(", ")}`);
    if (b.metric === "callsOnlyUs" ? b.payload !== undefined : typeof b.payload !== "string")
      throw new Error(
        `${where}: ${b.metric === "callsOnlyUs" ? "callsOnlyUs has no payload" : "payload must be named"}`,
      );
    if (typeof b.unit !== "string") throw new Error(`${where}: unit must be given`);
  });
}

function cellValue(
  cell: CellResult,
  cells: readonly CellResult[],
  metric: Exclude<TracingCostMetric, "callsOnlyUs">,
): { value: number; note?: string } {
  const summary = cell.summary;
  switch (metric) {
    case "addedProcessCpuVsFloor": {
      const floor = cells.find((c) => c.variant === "floor" && c.payload === cell.payload);
      if (!floor) return { value: Number.NaN, note: "not measured: the floor variant did not run" };
      const ratios = cell.rounds.flatMap((r, i) => {
        const f = floor.rounds[i]?.overhead.processCpuInclDrainUs;
        return f && f > 0 ? [r.overhead.processCpuInclDrainUs / f] : [];
      });
      return ratios.length ? { value: median(ratios) } : { value: Number.NaN, note: "no round with a floor" };
    }
    case "addedMainThreadCpuUs":
      return summary.overheadMainThreadCpuInclDrainUs
        ? { value: summary.overheadMainThreadCpuInclDrainUs.median }
        : { value: Number.NaN, note: "not measured: no main-thread CPU clock on this machine" };
    case "addedProcessCpuUs":
      return { value: summary.overheadProcessCpuInclDrainUs.median };
    case "eventLoopP99Ms":
      return { value: summary.eventLoopP99Ms.median };
  }
}

/**
 * PASS/FAIL of every budget whose cell was measured (a run of some variants only has no row for
 * the others), plus completeness (every span delivered) of every exporting cell.
 */
export function evaluateTargets(
  budgets: readonly TracingCostBudget[],
  cells: readonly CellResult[],
  callsOnly: readonly CallsOnlyResult[],
  exportingVariants: readonly string[],
): TargetResult[] {
  const out: TargetResult[] = [];
  for (const b of budgets) {
    let measured: number;
    let note: string | undefined;
    if (b.metric === "callsOnlyUs") {
      const calls = callsOnly.find((c) => c.variant === b.variant);
      if (!calls) continue;
      measured = calls.summary.median;
    } else {
      const cell = cells.find((c) => c.variant === b.variant && c.payload === b.payload);
      if (!cell) continue;
      ({ value: measured, note } = cellValue(cell, cells, b.metric));
    }
    if (note === undefined && !Number.isFinite(measured)) note = "not measured";
    out.push({
      id: b.id,
      description: b.description,
      variant: b.variant,
      payload: b.payload ?? null,
      metric: TRACING_COST_METRICS[b.metric],
      limit: b.max,
      unit: b.unit,
      measured,
      pass: note === undefined && measured <= b.max,
      ...(note ? { note } : {}),
    });
  }
  for (const cell of cells) {
    if (!exportingVariants.includes(cell.variant)) continue;
    const { spansExpected, spansUnique } = cell.summary;
    out.push({
      id: `${cell.variant}-${cell.payload}-complete`,
      description: `${cell.variant}: every span delivered to the receiver, ${cell.payload}`,
      variant: cell.variant,
      payload: cell.payload,
      metric: "unique spans received / 5 x requests traced",
      limit: 1,
      unit: "ratio",
      measured: spansExpected === 0 ? Number.NaN : spansUnique / spansExpected,
      pass: spansExpected > 0 && spansUnique === spansExpected,
    });
  }
  return out;
}

/** The targets as text, one line each, and a verdict (the --check output). */
export function formatTargets(targets: readonly TargetResult[]): string {
  const lines = targets.map((t) => {
    const measured =
      t.unit === "ratio"
        ? Number.isFinite(t.measured)
          ? t.measured.toFixed(4)
          : "n/a"
        : Number.isFinite(t.measured)
          ? `${t.measured.toFixed(2)} ${t.unit}`
          : "n/a";
    const limit = t.unit === "ratio" ? "= 1" : `<= ${t.limit} ${t.unit}`;
    return `${t.pass ? "PASS" : "FAIL"}  ${t.id.padEnd(44)} ${measured} (limit ${limit})${t.note ? `  [${t.note}]` : ""}`;
  });
  const failed = targets.filter((t) => !t.pass).length;
  lines.push(
    targets.length === 0
      ? "no tracing-cost budget applies to this result"
      : failed === 0
        ? `all ${targets.length} tracing-cost checks passed`
        : `${failed} of ${targets.length} tracing-cost checks FAILED`,
  );
  return lines.join("\n");
}
