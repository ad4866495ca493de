// The tracing-share benchmark's budgets (the `tracingShare` section of bench/budgets.json),
// their validation and their checks against a result (tracing-share-report.ts).
import { validateBudgetSection } from "../budget-entry.js";
import { shareCell, type TracingShareResult } from "./tracing-share-report.js";

/** The cell a budget judges when it names none: where the issue's 3 % is stated. */
export const DEFAULT_SHARE_CELL = "instant@16";

export interface TracingShareBudget {
  id: string;
  source?: string;
  /** The sentence the checks show. */
  description: string;
  /** The scenario judged. */
  scenario: string;
  /** Its load-benchmark cell, "profile@connections" (default DEFAULT_SHARE_CELL). */
  cell?: string;
  /** Tracing's CPU over the untraced work, in the worst of the scenario's processes. */
  metric: "overheadOfUntracedPct";
  max: number;
  unit: "%";
}

export interface TracingShareCheck {
  budget: TracingShareBudget;
  /** Null when the result has no such scenario. */
  value: number | null;
  pass: boolean;
}

export function validateTracingShareBudgets(value: unknown, ids: Set<string> = new Set()): TracingShareBudget[] {
  return validateBudgetSection<TracingShareBudget>(value, "tracingShare", "tracing-share", ids, (b, where) => {
    if (typeof b.scenario !== "string" || b.scenario === "") throw new Error(`${where}: scenario must be named`);
    if (b.cell !== undefined && (typeof b.cell !== "string" || !/^[a-z]+@[1-9][0-9]*$/.test(b.cell)))
      throw new Error(`${where}: cell must read profile@connections, e.g. ${DEFAULT_SHARE_CELL}`);
    if (b.metric !== "overheadOfUntracedPct") throw new Error(`${where}: metric must be overheadOfUntracedPct`);
    if (b.unit !== "%") throw new Error(`${where}: unit must be %`);
  });
}

/** The cell a budget judges. */
export const budgetCell = (b: Pick<TracingShareBudget, "cell">): string => b.cell ?? DEFAULT_SHARE_CELL;

/** One check per budget: the worst process of its scenario in its cell; one not in the result fails. */
export function checkTracingShare(
  budgets: readonly TracingShareBudget[],
  result: Pick<TracingShareResult, "scenarios">,
): TracingShareCheck[] {
  return budgets.map((budget) => {
    const runs =
      result.scenarios.find((s) => s.scenario === budget.scenario && shareCell(s) === budgetCell(budget))?.runs ?? [];
    if (runs.length === 0) return { budget, value: null, pass: false };
    const value = Math.max(...runs.map((r) => r.cost.overheadOfUntraced * 100));
    return { budget, value, pass: value <= budget.max };
  });
}

export function formatTracingShareChecks(checks: readonly TracingShareCheck[]): string {
  const lines = checks.map(
    (c) =>
      `${c.pass ? "PASS" : "FAIL"}  ${c.budget.id.padEnd(44)} ${budgetCell(c.budget).padEnd(14)} worst ${c.value === null ? "n/a (scenario not measured)" : `${c.value.toFixed(2)}%`} (limit ${c.budget.max}%)  ${c.budget.description}`,
  );
  const failed = checks.filter((c) => !c.pass).length;
  lines.push(
    failed === 0 ? `all ${checks.length} budget checks passed` : `${failed} of ${checks.length} budget checks FAILED`,
  );
  return lines.join("\n");
}
