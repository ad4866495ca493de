// `npm run bench -- --check FILE`: the budgets of bench/budgets.json against a result file of
// either benchmark, told apart by its schema. Always against the current budgets, never the
// verdicts stored in the file.
import { readFileSync } from "node:fs";
import { checkBudgets, formatChecks, type BudgetFile } from "./budgets.js";
import { readResultFile } from "./report-writer.js";
import { evaluateTargets, formatTargets } from "./tracing-cost/budgets.js";
import { RESULT_SCHEMA as TRACING_COST_SCHEMA, type TracingCostResult } from "./tracing-cost/result.js";

export interface FileCheck {
  text: string;
  pass: boolean;
}

export function checkResultFile(path: string, budgets: BudgetFile): FileCheck {
  const schema = (JSON.parse(readFileSync(path, "utf8")) as { schema?: unknown }).schema;
  if (typeof schema === "string" && schema.startsWith("switchboard.tracing-cost/")) {
    if (schema !== TRACING_COST_SCHEMA) {
      return {
        text: `FAIL  ${path} is a ${schema} result, written before main-thread CPU was measured (${TRACING_COST_SCHEMA}): re-run npm run bench:tracing-cost to check it`,
        pass: false,
      };
    }
    const result = JSON.parse(readFileSync(path, "utf8")) as TracingCostResult;
    const targets = evaluateTargets(
      budgets.tracingCost ?? [],
      result.cells,
      result.callsOnly,
      result.method.exportingVariants,
    );
    return { text: formatTargets(targets), pass: targets.every((t) => t.pass) };
  }
  const checks = checkBudgets(readResultFile(path), budgets);
  return { text: formatChecks(checks), pass: checks.every((c) => c.pass) };
}
