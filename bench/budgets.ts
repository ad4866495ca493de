// Budget checks: bench/budgets.json against a result file's summary (the load suite), and the
// file's validation (its tracing-cost section is checked by tracing-cost/budgets.ts).
import { readFileSync } from "node:fs";
import { cellLoads, loadOf } from "./cell-load.js";
import {
  OVERHEAD_METRICS,
  SUMMARY_METRICS,
  type BenchResultFile,
  type OverheadMetric,
  type SummaryMetric,
  type SummaryRow,
} from "./result-schema.js";
import { PROFILE_NAMES, SCENARIO_NAMES, type ProfileName, type ScenarioName } from "./scenarios.js";
import { validateTracingShareBudgets, type TracingShareBudget } from "./profile/tracing-share-budgets.js";
import { validateTracingCostBudgets, type TracingCostBudget } from "./tracing-cost/budgets.js";
import { insideProcessValue, type InsideProcess } from "./share-reading.js";

export interface Budget {
  id: string;
  source?: string;
  profiles: ProfileName[];
  scenarios: ScenarioName[];
  /** Only these connection counts; absent: every measured one. */
  connections?: number[];
  /**
   * "loaded": only the cells that load the service (see cell-load.ts and
   * BudgetFile.loadedServiceBusyPct); absent or "all": every cell.
   */
  cells?: "all" | "loaded";
  /** "overhead.<OverheadMetric>" or "metric.<SummaryMetric>". */
  metric: string;
  /** median (default) over repetitions, or max: the worst repetition. */
  aggregate?: "median" | "max";
  max: number;
  unit?: string;
  /**
   * "same-process": judged by bench:tracing-share's reading inside one traced process of the same
   * service (share-reading.ts, insideProcessValue) wherever it has one for the cell and scenario,
   * the load figure shown beside it; elsewhere, or when the reading measured another build, by the
   * load figure. For the checks whose A/A control (two identical `off` services) spreads wider
   * than the budget, so that the load figure cannot tell a cost of the budget's size from the
   * machine. Absent or "load": the load figure.
   */
  judgedBy?: "load" | "same-process";
  /** Why the budget is judged as it is, for the report (with judgedBy "same-process"). */
  judgedByReason?: string;
}

export interface BudgetFile {
  description?: string;
  /** A cell loads the service when `off` keeps it at least this busy (% of its cores, median over repetitions). */
  loadedServiceBusyPct?: number;
  budgets: Budget[];
  /** The tracing-cost benchmark's budgets (bench/tracing-cost/budgets.ts). */
  tracingCost?: TracingCostBudget[];
  /** The tracing-share benchmark's budgets (bench/profile/tracing-share-budgets.ts). */
  tracingShare?: TracingShareBudget[];
}

export interface BudgetCheck {
  budget: Budget;
  profile: ProfileName;
  connections: number;
  scenario: ScenarioName;
  /** The load benchmark's figure (median or worst over repetitions). */
  value: number | null;
  /**
   * The reading inside the traced process that judged the check in the load figure's place
   * (Budget.judgedBy "same-process"), in the budget's unit; null: the load figure judged it.
   */
  inside: number | null;
  /** Why a budget judged inside the process was judged by the load figure here; null otherwise. */
  insideMissing: string | null;
  pass: boolean;
  note: string | null;
}

/** A cell a budget matches but does not judge, and why (shown in the report, never a pass). */
export interface BudgetExemption {
  budget: Budget;
  profile: ProfileName;
  connections: number;
  scenario: ScenarioName;
  reason: string;
}

/** A budget's metric ("overhead.<OverheadMetric>" or "metric.<SummaryMetric>"); throws on any other. */
export function parseMetric(
  metric: string,
): { kind: "overhead"; name: OverheadMetric } | { kind: "metric"; name: SummaryMetric } {
  const [kind, name] = metric.split(".");
  if (kind === "overhead" && (OVERHEAD_METRICS as readonly string[]).includes(name ?? ""))
    return { kind, name: name as OverheadMetric };
  if (kind === "metric" && (SUMMARY_METRICS as readonly string[]).includes(name ?? ""))
    return { kind, name: name as SummaryMetric };
  throw new Error(
    `budget metric "${metric}" is not overhead.<${OVERHEAD_METRICS.join("|")}> or metric.<${SUMMARY_METRICS.join("|")}>`,
  );
}

/** Validates the budget file's content; throws naming the first problem. */
export function validateBudgets(value: unknown): BudgetFile {
  if (typeof value !== "object" || value === null || !Array.isArray((value as BudgetFile).budgets))
    throw new Error("budgets: expected { budgets: [...] }");
  const file = value as BudgetFile;
  const ids = new Set<string>();
  for (const b of file.budgets) {
    const where = `budget ${JSON.stringify(b?.id)}`;
    if (typeof b.id !== "string" || b.id === "") throw new Error(`${where}: id must be a non-empty string`);
    if (ids.has(b.id)) throw new Error(`${where}: duplicate id`);
    ids.add(b.id);
    if (!Array.isArray(b.profiles) || b.profiles.some((p) => !(PROFILE_NAMES as readonly string[]).includes(p)))
      throw new Error(`${where}: profiles must list ${PROFILE_NAMES.join(", ")}`);
    if (!Array.isArray(b.scenarios) || b.scenarios.some((s) => !(SCENARIO_NAMES as readonly string[]).includes(s)))
      throw new Error(`${where}: scenarios must list ${SCENARIO_NAMES.join(", ")}`);
    if (
      b.connections !== undefined &&
      (!Array.isArray(b.connections) ||
        b.connections.length === 0 ||
        b.connections.some((c) => !Number.isInteger(c) || c <= 0))
    )
      throw new Error(`${where}: connections must list positive integers`);
    if (b.cells !== undefined && b.cells !== "all" && b.cells !== "loaded")
      throw new Error(`${where}: cells must be all or loaded`);
    if (b.cells === "loaded" && typeof file.loadedServiceBusyPct !== "number")
      throw new Error(`${where}: cells "loaded" needs loadedServiceBusyPct in the file`);
    if (typeof b.max !== "number" || !Number.isFinite(b.max)) throw new Error(`${where}: max must be a number`);
    if (b.aggregate !== undefined && b.aggregate !== "median" && b.aggregate !== "max")
      throw new Error(`${where}: aggregate must be median or max`);
    if (b.judgedBy !== undefined && b.judgedBy !== "load" && b.judgedBy !== "same-process")
      throw new Error(`${where}: judgedBy must be load or same-process`);
    if (b.judgedBy === "same-process" && (typeof b.judgedByReason !== "string" || b.judgedByReason === ""))
      throw new Error(`${where}: judgedBy same-process needs a judgedByReason`);
    parseMetric(b.metric);
  }
  if (
    file.loadedServiceBusyPct !== undefined &&
    !(
      typeof file.loadedServiceBusyPct === "number" &&
      file.loadedServiceBusyPct > 0 &&
      file.loadedServiceBusyPct <= 100
    )
  ) {
    throw new Error("budgets: loadedServiceBusyPct must be a percentage in (0, 100]");
  }
  if (file.tracingCost !== undefined) validateTracingCostBudgets(file.tracingCost, ids);
  if (file.tracingShare !== undefined) validateTracingShareBudgets(file.tracingShare, ids);
  return file;
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

export interface BudgetEvaluation {
  checks: BudgetCheck[];
  exemptions: BudgetExemption[];
}

/**
 * The reading inside the traced process that judges a check of a "same-process" budget, or why
 * there is none (then the load figure judges it).
 */
function insideFigure(
  budget: Budget,
  row: SummaryRow,
  inside: InsideProcess | undefined,
): { inside: number | null; insideMissing: string | null } {
  if (budget.judgedBy !== "same-process") return { inside: null, insideMissing: null };
  if (!inside || inside.readings.length === 0)
    return { inside: null, insideMissing: "no tracing-share reference: judged by the load figure" };
  if (inside.sameService !== true)
    return {
      inside: null,
      insideMissing: `${inside.sameService === false ? "the tracing-share reference measured another build of the service" : "cannot tell whether the tracing-share reference measured this build of the service"}: judged by the load figure`,
    };
  const value = insideProcessValue(inside.readings, {
    ...row,
    metric: budget.metric,
    aggregate: budget.aggregate ?? "median",
  });
  return value === null
    ? { inside: null, insideMissing: "no tracing-share reading of this cell and scenario: judged by the load figure" }
    : { inside: value, insideMissing: null };
}

/**
 * One check per budget and matching summary row. Rows not measured are simply absent. A budget
 * on loaded cells skips the cells that do not load the service (listed as exemptions), and
 * fails on a profile none of whose cells loads it: a result that cannot judge a budget does not
 * pass it. `inside`: the tracing-share readings, for the budgets judged inside the process.
 */
export function evaluateBudgets(
  result: Pick<BenchResultFile, "summary">,
  budgets: BudgetFile,
  inside?: InsideProcess,
): BudgetEvaluation {
  const checks: BudgetCheck[] = [];
  const exemptions: BudgetExemption[] = [];
  const loads = cellLoads(result.summary, budgets.loadedServiceBusyPct ?? 100);
  const threshold = budgets.loadedServiceBusyPct;
  for (const budget of budgets.budgets) {
    for (const row of result.summary) {
      if (!budget.profiles.includes(row.profile) || !budget.scenarios.includes(row.scenario)) continue;
      if (budget.connections && !budget.connections.includes(row.connections)) continue;
      const value = valueOf(row, budget);
      let note: string | null = null;
      if (budget.cells === "loaded") {
        const load = loadOf(loads, row.profile, row.connections);
        if (!load || load.loaded === null) {
          note =
            "the service's busy % in off is not recorded in this result: cannot tell whether the cell loads the service";
        } else if (!load.loaded) {
          const busy = `off keeps the service ${load.busyPct!.toFixed(0)} % busy, under ${threshold} %`;
          if (loads.some((l) => l.profile === row.profile && l.loaded === true)) {
            exemptions.push({
              budget,
              profile: row.profile,
              connections: row.connections,
              scenario: row.scenario,
              reason: `mostly idle: ${busy}`,
            });
            continue;
          }
          note = `no ${row.profile} cell loads the service (${busy} here): nothing measured that this budget can judge`;
        }
      }
      if (note === null && row.failedRuns > 0) note = `${row.failedRuns} of ${row.runs} runs failed`;
      else if (note === null && value === null) note = "not measured";
      const judged = insideFigure(budget, row, inside);
      const verdict = judged.inside ?? value;
      const pass = note === null && verdict !== null && verdict <= budget.max;
      checks.push({
        budget,
        profile: row.profile,
        connections: row.connections,
        scenario: row.scenario,
        value,
        ...judged,
        pass,
        note,
      });
    }
  }
  return { checks, exemptions };
}

/** The checks alone (see evaluateBudgets). */
export function checkBudgets(
  result: Pick<BenchResultFile, "summary">,
  budgets: BudgetFile,
  inside?: InsideProcess,
): BudgetCheck[] {
  return evaluateBudgets(result, budgets, inside).checks;
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
    const limit = `(limit ${fmt(c.budget.max, c.budget.unit)})`;
    const figure =
      c.inside === null
        ? `${aggregate} ${fmt(c.value, c.budget.unit)} ${limit}${c.insideMissing ? `  [${c.insideMissing}]` : ""}`
        : `inside the traced process ${aggregate} ${fmt(c.inside, c.budget.unit)} ${limit}; load figure ${fmt(c.value, c.budget.unit)}`;
    return `${c.pass ? "PASS" : "FAIL"}  ${c.budget.id.padEnd(28)} ${cell.padEnd(28)} ${figure}${c.note ? `  [${c.note}]` : ""}`;
  });
  const failed = checks.filter((c) => !c.pass).length;
  lines.push(
    checks.length === 0
      ? "no budget applies to this result (nothing measured that is budgeted)"
      : failed === 0
        ? `all ${checks.length} budget checks passed`
        : `${failed} of ${checks.length} budget checks FAILED`,
  );
  return lines.join("\n");
}
