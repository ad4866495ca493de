// Budget checks: bench/budgets.json against a result file's summary.
import { readFileSync } from "node:fs";
import { OVERHEAD_METRICS, SUMMARY_METRICS, type BenchResultFile, type OverheadMetric, type SummaryMetric, type SummaryRow } from "./result-schema.js";
import { PROFILE_NAMES, SCENARIO_NAMES, type ProfileName, type ScenarioName } from "./scenarios.js";

export interface Budget {
  id: string;
  source?: string;
  profiles: ProfileName[];
  scenarios: ScenarioName[];
  /** "overhead.<OverheadMetric>" or "metric.<SummaryMetric>". */
  metric: string;
  /** median (default) over repetitions, or max: the worst repetition. */
  aggregate?: "median" | "max";
  max: number;
  unit?: string;
}

export interface BudgetFile {
  description?: string;
  budgets: Budget[];
}

export interface BudgetCheck {
  budget: Budget;
  profile: ProfileName;
  connections: number;
  scenario: ScenarioName;
  value: number | null;
  pass: boolean;
  note: string | null;
}

function parseMetric(metric: string): { kind: "overhead"; name: OverheadMetric } | { kind: "metric"; name: SummaryMetric } {
  const [kind, name] = metric.split(".");
  if (kind === "overhead" && (OVERHEAD_METRICS as readonly string[]).includes(name ?? "")) return { kind, name: name as OverheadMetric };
  if (kind === "metric" && (SUMMARY_METRICS as readonly string[]).includes(name ?? "")) return { kind, name: name as SummaryMetric };
  throw new Error(`budget metric "${metric}" is not overhead.<${OVERHEAD_METRICS.join("|")}> or metric.<${SUMMARY_METRICS.join("|")}>`);
}

/** Validates the budget file's content; throws naming the first problem. */
export function validateBudgets(value: unknown): BudgetFile {
  if (typeof value !== "object" || value === null || !Array.isArray((value as BudgetFile).budgets)) throw new Error("budgets: expected { budgets: [...] }");
  const ids = new Set<string>();
  for (const b of (value as BudgetFile).budgets) {
    const where = `budget ${JSON.stringify(b?.id)}`;
    if (typeof b.id !== "string" || b.id === "") throw new Error(`${where}: id must be a non-empty string`);
    if (ids.has(b.id)) throw new Error(`${where}: duplicate id`);
    ids.add(b.id);
    if (!Array.isArray(b.profiles) || b.profiles.some((p) => !(PROFILE_NAMES as readonly string[]).includes(p))) throw new Error(`${where}: profiles must list ${PROFILE_NAMES.join(", ")}`);
    if (!Array.isArray(b.scenarios) || b.scenarios.some((s) => !(SCENARIO_NAMES as readonly string[]).includes(s))) throw new Error(`${where}: scenarios must list ${SCENARIO_NAMES.join(", ")}`);
    if (typeof b.max !== "number" || !Number.isFinite(b.max)) throw new Error(`${where}: max must be a number`);
    if (b.aggregate !== undefined && b.aggregate !== "median" && b.aggregate !== "max") throw new Error(`${where}: aggregate must be median or max`);
    parseMetric(b.metric);
  }
  return value as BudgetFile;
}

export function loadBudgets(path: string): BudgetFile {
  return validateBudgets(JSON.parse(readFileSync(path, "utf8")));
}

function valueOf(row: SummaryRow, budget: Budget): number | null {
  const metric = parseMetric(budget.metric);
  const spread = metric.kind === "overhead" ? row.overheads?.[metric.name] : row.metrics[metric.name];
  if (!spread) return null;
  return budget.aggregate === "max" ? spread.max : spread.median;
}

/** One check per budget and matching summary row. Rows not measured are simply absent. */
export function checkBudgets(result: Pick<BenchResultFile, "summary">, budgets: BudgetFile): BudgetCheck[] {
  const checks: BudgetCheck[] = [];
  for (const budget of budgets.budgets) {
    for (const row of result.summary) {
      if (!budget.profiles.includes(row.profile) || !budget.scenarios.includes(row.scenario)) continue;
      const value = valueOf(row, budget);
      let note: string | null = null;
      if (row.failedRuns > 0) note = `${row.failedRuns} of ${row.runs} runs failed`;
      else if (value === null) note = "not measured";
      const pass = note === null && value !== null && value <= budget.max;
      checks.push({ budget, profile: row.profile, connections: row.connections, scenario: row.scenario, value, pass, note });
    }
  }
  return checks;
}

function fmt(value: number | null, unit = ""): string {
  if (value === null) return "n/a";
  const text = Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
  return unit === "%" ? `${value > 0 ? "+" : ""}${text}%` : `${text}${unit ? ` ${unit}` : ""}`;
}

/** The check as text: one line per budget and cell, and a verdict. */
export function formatChecks(checks: readonly BudgetCheck[]): string {
  const lines = checks.map((c) => {
    const cell = `${c.profile}@${c.connections} ${c.scenario}`;
    const aggregate = c.budget.aggregate === "max" ? "worst" : "median";
    return `${c.pass ? "PASS" : "FAIL"}  ${c.budget.id.padEnd(28)} ${cell.padEnd(28)} ${aggregate} ${fmt(c.value, c.budget.unit)} (limit ${fmt(c.budget.max, c.budget.unit)})${c.note ? `  [${c.note}]` : ""}`;
  });
  const failed = checks.filter((c) => !c.pass).length;
  lines.push(checks.length === 0 ? "no budget applies to this result (nothing measured that is budgeted)" : failed === 0 ? `all ${checks.length} budget checks passed` : `${failed} of ${checks.length} budget checks FAILED`);
  return lines.join("\n");
}
