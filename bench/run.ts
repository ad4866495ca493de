// `npm run bench [-- options]`: the benchmark suite's command line (see --help).
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { checkBudgets, formatChecks, loadBudgets } from "./budgets.js";
import { checkResultFile } from "./check-file.js";
import { onInterrupt } from "./child-processes.js";
import { parseCliOptions, USAGE, type CliOptions } from "./cli-options.js";
import { BUDGETS_FILE, DOCS_FILE, REFERENCE_FILE, ROOT, timestampedResultFile } from "./paths.js";
import { writeReport } from "./report-writer.js";
import type { BenchResultFile } from "./result-schema.js";
import { ServiceProcess } from "./service-process.js";
import { readSourceState, referenceRefusal } from "./source-state.js";
import { committedInsideProcess } from "./share-reading.js";
import { runSuite } from "./suite.js";

const rel = (p: string) => relative(ROOT, p) || p;

function check(result: BenchResultFile): boolean {
  const checks = checkBudgets(result, loadBudgets(BUDGETS_FILE), committedInsideProcess(result.machine));
  process.stdout.write(`${formatChecks(checks)}\n`);
  return checks.every((c) => c.pass);
}

async function main(options: CliOptions): Promise<number> {
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.check && options.checkFile) {
    const file = resolve(options.checkFile);
    process.stdout.write(`budgets (${rel(BUDGETS_FILE)}) against ${rel(file)}\n`);
    const checked = checkResultFile(file, loadBudgets(BUDGETS_FILE));
    process.stdout.write(`${checked.text}\n`);
    return checked.pass ? 0 : 1;
  }
  // What is measured is the build of this moment: its commit and clean state are read now.
  const source = readSourceState(ROOT);
  if (options.reference) {
    const refusal = referenceRefusal(source);
    if (refusal) {
      process.stderr.write(`bench: ${refusal}\n`);
      return 2;
    }
  }
  if (!existsSync(ServiceProcess.scriptPath(ROOT))) {
    process.stderr.write(`bench: ${rel(ServiceProcess.scriptPath(ROOT))} is missing: run npm run build\n`);
    return 2;
  }

  let aborted = false;
  onInterrupt((signal) => {
    aborted = true;
    process.stderr.write(
      `\nbench: ${signal}: stopped every process, finishing up (press Ctrl-C again to quit at once)\n`,
    );
  });

  const result = await runSuite(options, ROOT, source, () => aborted);
  if (aborted) {
    process.stderr.write("bench: interrupted, no result written\n");
    return 130;
  }

  const out = options.out ? resolve(options.out) : timestampedResultFile(new Date(result.createdAt));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`bench: wrote ${rel(out)}\n`);
  if (options.reference) {
    copyFileSync(out, REFERENCE_FILE);
    process.stdout.write(`bench: wrote ${rel(REFERENCE_FILE)}\n`);
  }
  // The pages quote the committed reference: regenerated with --reference, from it (or from this
  // run when --docs asks, which a test then reports as stale until a reference is committed).
  const docs = options.docs ?? options.reference;
  if (docs) {
    const written = writeReport(options.reference ? REFERENCE_FILE : out, DOCS_FILE);
    process.stdout.write(`bench: wrote ${written.map(rel).join(", ")}\n`);
  }

  const failedRuns = result.runs.filter((r) => !r.ok);
  for (const r of failedRuns)
    process.stderr.write(
      `bench: run failed: rep ${r.repetition} ${r.profile}@${r.connections} ${r.scenario}: ${r.error}\n`,
    );
  let code = failedRuns.length > 0 ? 1 : 0;
  if (options.check && !check(result)) code = 1;
  return code;
}

let options: CliOptions;
try {
  options = parseCliOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  process.exit(2);
}
main(options).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
