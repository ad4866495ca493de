// `node dist/bench/report.js [result.json] [--out docs/performance.md]`: regenerates the
// performance page from a result file (default: bench/results/reference.json, else the newest).
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { DOCS_FILE, latestResultFile, REFERENCE_FILE, ROOT } from "./paths.js";
import { writeReport } from "./report-writer.js";

function main(argv: string[]): number {
  let file: string | null = null;
  let out = DOCS_FILE;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--out") out = resolve(argv[++i] ?? DOCS_FILE);
    else if (arg === "--help" || arg === "-h") {
      process.stdout.write("Usage: node dist/bench/report.js [result.json] [--out docs/performance.md]\n");
      return 0;
    } else file = resolve(arg);
  }
  file ??= existsSync(REFERENCE_FILE) ? REFERENCE_FILE : latestResultFile();
  if (!file) {
    process.stderr.write("report: no result file given and none in bench/results/ (run npm run bench first)\n");
    return 2;
  }
  const written = writeReport(file, out);
  process.stdout.write(`report: ${relative(ROOT, file)} -> ${written.map((f) => relative(ROOT, f)).join(", ")}\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`report: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
