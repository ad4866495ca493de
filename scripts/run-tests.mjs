// Runs every compiled *.test.js under dist/ with node:test. Node 20's --test takes no globs,
// so the file list is found here. Pass paths or substrings to run a subset:
//   node scripts/run-tests.mjs receiver
// Before the tests it installs what they need from the machine when it is missing
// (scripts/provision-test-deps.mjs). A skipped or todo test fails the run, naming it and why.
// A test file out of its place (scripts/check-test-layout.mjs) fails it before anything runs.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { provisionTestDependencies } from "./provision-test-deps.mjs";
import { checkTestLayout } from "./check-test-layout.mjs";

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const layoutProblems = checkTestLayout(fileURLToPath(new URL("..", import.meta.url)));
if (layoutProblems.length > 0) {
  console.error('The test layout (docs/development.md, "Tests") does not hold:');
  for (const problem of layoutProblems) console.error(`  ${problem}`);
  process.exit(1);
}

const filters = process.argv.slice(2);
const files = walk("dist", [])
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

if (!provisionTestDependencies()) process.exit(1);

const reportDir = mkdtempSync(join(tmpdir(), "switchboard-tests-"));
const unrunFile = join(reportDir, "unrun.jsonl");
const reporter = fileURLToPath(new URL("./unrun-tests-reporter.mjs", import.meta.url));
let status;
let unrun = [];
try {
  const res = spawnSync(
    process.execPath,
    [
      "--test",
      "--test-concurrency=2",
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      `--test-reporter=${reporter}`,
      `--test-reporter-destination=${unrunFile}`,
      ...files,
    ],
    { stdio: "inherit", env: { ...process.env, NODE_ENV: "test" } },
  );
  status = res.status ?? 1;
  try {
    unrun = readFileSync(unrunFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } catch (err) {
    if (err.code !== "ENOENT") throw err;
  }
} finally {
  rmSync(reportDir, { recursive: true, force: true });
}

if (unrun.length > 0) {
  console.error(`\n${unrun.length} test(s) did not run, which fails the run:`);
  for (const t of unrun)
    console.error(`  ${t.kind}: ${t.file ?? "?"} > ${t.name}${typeof t.reason === "string" ? `: ${t.reason}` : ""}`);
  process.exit(status || 1);
}
process.exit(status);
