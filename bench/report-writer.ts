// Reads a result file and writes docs/performance.md plus its SVG charts.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { loadBudgets } from "./budgets.js";
import { BUDGETS_FILE, ROOT } from "./paths.js";
import { generateReport } from "./report-markdown.js";
import { OUTAGE_REFERENCE_FILE, renderOutageMarkdown, type OutageResult } from "./outage/outage-report.js";
import { assertResultFile, type BenchResultFile } from "./result-schema.js";
import { summarize } from "./summary.js";

/**
 * A result file, its summary recomputed from its runs: the summary is derived data, and an
 * older file gets the figures added since (those its runs never recorded stay null).
 */
export function readResultFile(path: string): BenchResultFile {
  const value: unknown = JSON.parse(readFileSync(path, "utf8"));
  assertResultFile(value, path);
  return { ...value, summary: summarize(value.runs) };
}

/** Writes the page and its charts (stale charts in the folder are removed). Returns the files written. */
export function writeReport(resultPath: string, docsFile: string): string[] {
  const result = readResultFile(resultPath);
  const chartsDir = join(dirname(docsFile), basename(docsFile, ".md"));
  const report = generateReport(result, {
    sourceLabel: relative(ROOT, resultPath) || resultPath,
    chartsDir: basename(chartsDir),
    budgets: existsSync(BUDGETS_FILE) ? loadBudgets(BUDGETS_FILE) : null,
  });
  mkdirSync(chartsDir, { recursive: true });
  for (const old of readdirSync(chartsDir))
    if (old.endsWith(".svg") && !(old in report.charts)) rmSync(join(chartsDir, old));
  const written = [docsFile];
  // The outage-and-recovery benchmark has its own reference run; its section joins the page.
  const outage = existsSync(OUTAGE_REFERENCE_FILE)
    ? renderOutageMarkdown(JSON.parse(readFileSync(OUTAGE_REFERENCE_FILE, "utf8")) as OutageResult)
    : "";
  writeFileSync(docsFile, outage ? `${report.markdown.trimEnd()}\n\n${outage}` : report.markdown);
  for (const [name, svg] of Object.entries(report.charts)) {
    writeFileSync(join(chartsDir, name), svg);
    written.push(join(chartsDir, name));
  }
  return written;
}
