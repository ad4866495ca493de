// The test layout (docs/development.md, "Tests"), as a check: scripts/run-tests.mjs refuses to
// run when a test file is out of place, so the rule holds without anyone remembering it.
//
// - A unit test sits beside the code it tests: under src/, bench/ or scripts/, or in test/support/
//   beside the helper it tests (test/support/x.test.ts tests test/support/x.ts).
// - test/ (top level) holds the tests of the whole: the service driven over HTTP or as its own
//   process (they start it through test/support/start-service.ts or spawn-service.ts), and the
//   few checks of the repository itself listed in REPOSITORY_CHECKS.
// - A test beside the code does not start the whole service: that test belongs in test/.
// - Every test file is `*.test.ts` in a folder tsconfig.json compiles (src/viewer/ui is bundled,
//   not compiled, so a test there would never run), and no two share a name: a failure names
//   the file, and "crash-window.test.ts" must say which one.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";

/** Tests in test/ that check the repository rather than the service, and why they live there. */
export const REPOSITORY_CHECKS = new Map([
  ["test/docs-references.test.ts", "the pages (README.md, docs/) name only files, scripts and variables that exist"],
  ["test/deployment-config.test.ts", "deploy/otel-collector.yaml, which has no code to sit beside"],
  ["test/import-rules.test.ts", "eslint.config.js's import rules, at the repository's top, where no test is compiled"],
]);

/** Folders never searched for tests: dependencies, build output, data, version control. */
const SKIPPED_FOLDERS = new Set(["node_modules", "dist", "data", ".git"]);
const TEST_FILE = /\.test\.[cm]?[jt]sx?$/;
/** An import of the helpers that start the whole service (a statement's line, or the last line of one). */
const STARTS_SERVICE = /^(?:import\b|\})[^\n]*\bfrom\s+["'][^"']*support\/(?:start-service|spawn-service)\.js["']/m;

/** Every test file under `root` (relative paths with `/`), with its source. */
export function listTestFiles(root) {
  const files = [];
  const walk = (relDir) => {
    for (const entry of readdirSync(join(root, relDir), { withFileTypes: true })) {
      if (entry.name.startsWith(".") || SKIPPED_FOLDERS.has(entry.name)) continue;
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (TEST_FILE.test(entry.name)) files.push({ path: rel, source: readFileSync(join(root, rel), "utf8") });
    }
  };
  walk("");
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * What breaks the layout, one sentence per problem (empty when the layout holds).
 * @param {{ path: string, source: string }[]} files  test files, paths relative to the repository
 * @param {(path: string) => boolean} exists  whether a file exists (relative path)
 */
export function testLayoutProblems(files, exists) {
  const problems = [];
  const byName = new Map();
  for (const { path, source } of files) {
    const name = basename(path);
    byName.set(name, [...(byName.get(name) ?? []), path]);
    if (!path.endsWith(".test.ts")) {
      problems.push(`${path}: a test is a *.test.ts file (tsconfig.json compiles nothing else, so it would never run)`);
      continue;
    }
    const startsService = STARTS_SERVICE.test(source);
    if (/^test\/[^/]+$/.test(path)) {
      if (!startsService && !REPOSITORY_CHECKS.has(path))
        problems.push(
          `${path}: test/ holds tests of the whole service (started through test/support/start-service.ts ` +
            `or spawn-service.ts); a test of one module sits beside that module`,
        );
    } else if (/^test\/support\/[^/]+$/.test(path)) {
      const helper = path.replace(/\.test\.ts$/, ".ts");
      if (!exists(helper))
        problems.push(`${path}: a test in test/support/ sits beside the helper it tests (${helper})`);
    } else if (path.startsWith("src/viewer/ui/")) {
      problems.push(`${path}: src/viewer/ui is bundled, not compiled to dist/, so this test would never run`);
    } else if (/^(src|bench|scripts)\//.test(path)) {
      if (startsService)
        problems.push(
          `${path}: it starts the whole service, so it belongs in test/ (a test beside code tests that code)`,
        );
    } else {
      problems.push(
        `${path}: tests sit beside the code they test (src/, bench/, scripts/, test/support/) or, for the whole service, in test/`,
      );
    }
  }
  for (const [name, paths] of byName)
    if (paths.length > 1)
      problems.push(`${paths.join(" and ")}: two test files named ${name}; give each a name that says what it tests`);
  return problems;
}

/** The layout's problems in the repository at `root`. */
export function checkTestLayout(root) {
  return testLayoutProblems(listTestFiles(root), (path) => existsSync(join(root, path)));
}
