// Where things are, from the compiled harness (dist/bench/*.js) back to the repository.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (two levels above dist/bench). */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const RESULTS_DIR = join(ROOT, "bench", "results");
export const REFERENCE_FILE = join(RESULTS_DIR, "reference.json");
export const BUDGETS_FILE = join(ROOT, "bench", "budgets.json");
export const DOCS_FILE = join(ROOT, "docs", "performance.md");
export const CHARTS_DIR = join(ROOT, "docs", "performance");

/** The newest timestamped result file, or null. */
export function latestResultFile(): string | null {
  if (!existsSync(RESULTS_DIR)) return null;
  const files = readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith(".json") && f !== "reference.json")
    .sort();
  return files.length > 0 ? join(RESULTS_DIR, files[files.length - 1]!) : null;
}

/** A file name for a new result: bench/results/2025-01-31T12-00-00Z.json */
export function timestampedResultFile(date = new Date()): string {
  return join(
    RESULTS_DIR,
    `${date
      .toISOString()
      .replace(/\.\d+Z$/, "Z")
      .replace(/:/g, "-")}.json`,
  );
}
/** The tracing-share benchmark's reference result and the page made from it (bench/profile/tracing-share.ts). */
export const TRACING_SHARE_REFERENCE = join(RESULTS_DIR, "tracing-share", "reference.json");
export const TRACING_SHARE_DOC = join(ROOT, "docs", "tracing-share.md");
