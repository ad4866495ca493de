// Reads a result file and writes docs/performance.md plus its SVG charts, and, when that is the
// repository's page, the blocks other pages quote from the same result (bench/derived-docs.ts).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { loadBudgets, type BudgetFile } from "./budgets.js";
import { writeDerivedDocs } from "./derived-docs.js";
import { BUDGETS_FILE, DOCS_FILE, ROOT } from "./paths.js";
import { generateReport } from "./report-markdown.js";
import { OUTAGE_REFERENCE_FILE, renderOutageMarkdown, type OutageResult } from "./outage/outage-report.js";
import { assertResultFile, type BenchResultFile } from "./result-schema.js";
import { committedInsideProcess, type InsideProcess } from "./share-reading.js";
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

/** The performance page (with the outage section) and its charts, as generated from a result file. */
export function renderPerformancePage(
  resultPath: string,
  chartsDirName: string,
): {
  markdown: string;
  charts: Record<string, string>;
  result: BenchResultFile;
  sourceLabel: string;
  budgets: BudgetFile | null;
  inside: InsideProcess;
} {
  const result = readResultFile(resultPath);
  const budgets = existsSync(BUDGETS_FILE) ? loadBudgets(BUDGETS_FILE) : null;
  const sourceLabel = relative(ROOT, resultPath) || resultPath;
  // The tracing-share benchmark's reference stands beside the CPU, throughput and p99 checks, and
  // judges those whose budget asks for it when it measured the same service.
  const inside = committedInsideProcess(result.machine);
  const report = generateReport(result, { sourceLabel, chartsDir: chartsDirName, budgets, inside });
  // The outage-and-recovery benchmark has its own reference run; its section joins the page.
  const outage = existsSync(OUTAGE_REFERENCE_FILE)
    ? renderOutageMarkdown(JSON.parse(readFileSync(OUTAGE_REFERENCE_FILE, "utf8")) as OutageResult)
    : "";
  const markdown = outage ? `${report.markdown.trimEnd()}\n\n${outage}` : report.markdown;
  return { markdown, charts: report.charts, result, sourceLabel, budgets, inside };
}

/** Writes the page and its charts (stale charts in the folder are removed). Returns the files written. */
export function writeReport(resultPath: string, docsFile: string): string[] {
  const chartsDir = join(dirname(docsFile), basename(docsFile, ".md"));
  const page = renderPerformancePage(resultPath, basename(chartsDir));
  mkdirSync(chartsDir, { recursive: true });
  for (const old of readdirSync(chartsDir))
    if (old.endsWith(".svg") && !(old in page.charts)) rmSync(join(chartsDir, old));
  const written = [docsFile];
  writeFileSync(docsFile, page.markdown);
  for (const [name, svg] of Object.entries(page.charts)) {
    writeFileSync(join(chartsDir, name), svg);
    written.push(join(chartsDir, name));
  }
  if (docsFile === DOCS_FILE)
    written.push(...writeDerivedDocs(page.result, page.sourceLabel, page.budgets, page.inside));
  return written;
}
