// `npm run bench -- --check FILE`: the budgets of bench/budgets.json against a result file of
// any benchmark (load, tracing-cost, tracing-share), told apart by its schema. Always against the
// current budgets, never the verdicts stored in the file.
import { readFileSync } from "node:fs";
import { aaControls, type AaControl } from "./aa-control.js";
import { checkBudgets, formatChecks, type BudgetCheck, type BudgetFile } from "./budgets.js";
import type { SpreadJson } from "./result-schema.js";
import { checkTracingShare, formatTracingShareChecks } from "./profile/tracing-share-budgets.js";
import { TRACING_SHARE_SCHEMA, type TracingShareResult } from "./profile/tracing-share-report.js";
import { readResultFile } from "./report-writer.js";
import { committedInsideProcess, shareFigureFor, type InsideProcess } from "./share-reading.js";
import { evaluateTargets, formatTargets } from "./tracing-cost/budgets.js";
import { RESULT_SCHEMA as TRACING_COST_SCHEMA, type TracingCostResult } from "./tracing-cost/result.js";

export interface FileCheck {
  text: string;
  pass: boolean;
}

export function checkResultFile(path: string, budgets: BudgetFile): FileCheck {
  const value = JSON.parse(readFileSync(path, "utf8")) as { schema?: unknown };
  const schema = value.schema;
  if (typeof schema === "string" && schema.startsWith("switchboard.tracing-cost/")) {
    if (schema !== TRACING_COST_SCHEMA) {
      return {
        text: `FAIL  ${path} is a ${schema} result, written before main-thread CPU was measured (${TRACING_COST_SCHEMA}): re-run npm run bench:tracing-cost to check it`,
        pass: false,
      };
    }
    const result = value as TracingCostResult;
    const targets = evaluateTargets(
      budgets.tracingCost ?? [],
      result.cells,
      result.callsOnly,
      result.method.exportingVariants,
    );
    return { text: formatTargets(targets), pass: targets.every((t) => t.pass) };
  }
  if (schema === TRACING_SHARE_SCHEMA) {
    const checks = checkTracingShare(budgets.tracingShare ?? [], value as TracingShareResult);
    return { text: formatTracingShareChecks(checks), pass: checks.every((c) => c.pass) };
  }
  const result = readResultFile(path);
  const inside = committedInsideProcess(result.machine);
  const checks = checkBudgets(result, budgets, inside);
  return {
    text: [
      formatChecks(checks),
      ...formatAaControls(aaControls(result.runs)),
      ...formatShareReadings(checks, inside),
    ].join("\n"),
    pass: checks.every((c) => c.pass),
  };
}

/** The A/A control (aa-control.ts) of each cell that has one: how far two identical `off` services differ. */
function formatAaControls(controls: readonly AaControl[]): string[] {
  if (controls.length === 0) return [];
  const pct = (s: SpreadJson) =>
    s.median === null ? "n/a" : `${signedPct(s.median)} (${signedPct(s.min)}..${signedPct(s.max)})`;
  return [
    "A/A control, the peers' off against ours round by round (median (min..max)): two identical services in cells measured minutes apart, an upper bound of a check's noise",
    ...controls.map(
      (c) =>
        `  ${`${c.profile}@${c.connections}`.padEnd(14)} ${c.rounds} rounds  CPU/request ${pct(c.overheads.cpuPerRequestPct)}  throughput loss ${pct(c.overheads.throughputLossPct)}  p99 ${pct(c.overheads.latencyP99Pct)}`,
    ),
  ];
}

function signedPct(v: number | null, digits = 1): string {
  return v === null ? "n/a" : `${v > 0 ? "+" : ""}${v.toFixed(digits)}%`;
}

/** The committed tracing-share reading beside each load check that has one (share-reading.ts). */
function formatShareReadings(checks: readonly BudgetCheck[], inside: InsideProcess): string[] {
  const readings = inside.readings;
  const lines = new Map<string, string>();
  for (const c of checks) {
    const f = shareFigureFor(readings, c.budget.metric, c.scenario, c.profile, c.connections);
    if (!f) continue;
    const pct = (s: SpreadJson) =>
      `${signedPct(s.median, 2)} (${signedPct(s.min, 2)}..${signedPct(s.max, 2)}), ${s.n} processes`;
    const what =
      f.kind === "cpu-share"
        ? `CPU over the untraced work ${pct(f.pct)}`
        : f.kind === "p99-part"
          ? `tracing's part of the latency p99 ${pct(f.pct)}`
          : `longest hold of the loop ${f.ms.median?.toFixed(1)} ms (${f.ms.min?.toFixed(1)}..${f.ms.max?.toFixed(1)})`;
    lines.set(
      `${c.profile}@${c.connections} ${c.scenario} ${f.kind}`,
      `  ${`${c.profile}@${c.connections}`.padEnd(14)} ${c.scenario.padEnd(12)} ${what}`,
    );
  }
  if (lines.size === 0) return [];
  return [
    `Inside the traced process (bench:tracing-share reference, measured at ${inside.commit?.slice(0, 12) ?? "an unknown commit"}, ${inside.sameService === true ? "the same service as this result" : inside.sameService === false ? "another build of the service than this result: it judges no check" : "whether the same service as this result is unknown: it judges no check"}; median (min..max)): beside the CPU and throughput checks, tracing's CPU over the untraced work; beside the p99 checks, tracing's part of the requests' p99 (or, in a reference without it, the longest tracing held the loop at a time)`,
    ...lines.values(),
  ];
}
