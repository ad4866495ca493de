// The test layout's check (scripts/check-test-layout.mjs, run by scripts/run-tests.mjs before any
// test): the repository obeys it, and each of its rules refuses what it is there to refuse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkTestLayout, listTestFiles, testLayoutProblems } from "./check-test-layout.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WHOLE_SERVICE = `import { startService } from "./support/start-service.js";\n`;
const UNIT = `import { parse } from "../src/chat/session-id.js";\n`;

/** The problems of a tree of these test files, where `helpers` also exist. */
function problemsOf(files: Record<string, string>, helpers: string[] = []): string[] {
  const exists = new Set([...Object.keys(files), ...helpers]);
  return testLayoutProblems(
    Object.entries(files).map(([path, source]) => ({ path, source })),
    (path: string) => exists.has(path),
  );
}

test("the repository's test files obey the layout, and the check finds them all", () => {
  assert.deepEqual(checkTestLayout(ROOT), []);
  const paths = listTestFiles(ROOT).map((f) => f.path);
  for (const path of ["scripts/check-test-layout.test.ts", "test/chat-api.test.ts", "bench/stats.test.ts"])
    assert.ok(paths.includes(path), path);
  assert.ok(paths.some((p) => p.startsWith("src/")));
  assert.ok(!paths.some((p) => p.startsWith("dist/") || p.includes("node_modules/")));
});

test("a layout that follows the rule has no problems", () => {
  assert.deepEqual(
    problemsOf(
      {
        "src/chat/session-id.test.ts": UNIT,
        "bench/stats.test.ts": "",
        "scripts/build.test.ts": "",
        "test/chat-api.test.ts": WHOLE_SERVICE,
        "test/shutdown.test.ts": `import {\n  spawnService,\n} from "./support/spawn-service.js";\n`,
        "test/docs-references.test.ts": "",
        "test/support/raw-http.test.ts": "",
      },
      ["test/support/raw-http.ts"],
    ),
    [],
  );
});

test("a unit test in test/ is refused: it sits beside its module", () => {
  const [problem, ...more] = problemsOf({ "test/session-id.test.ts": UNIT });
  assert.deepEqual(more, []);
  assert.match(problem!, /^test\/session-id\.test\.ts: test\/ holds tests of the whole service/);
});

test("a test beside the code that starts the whole service is refused: it belongs in test/", () => {
  const source = `import { startService } from "../../test/support/start-service.js";\n`;
  assert.deepEqual(problemsOf({ "src/server/chat-routes.test.ts": source }), [
    "src/server/chat-routes.test.ts: it starts the whole service, so it belongs in test/ (a test beside code tests that code)",
  ]);
});

test("two test files with one name are refused, naming both", () => {
  const problems = problemsOf({
    "test/crash-window.test.ts": WHOLE_SERVICE,
    "bench/outage/crash-window.test.ts": "",
  });
  assert.deepEqual(problems, [
    "test/crash-window.test.ts and bench/outage/crash-window.test.ts: two test files named crash-window.test.ts; give each a name that says what it tests",
  ]);
});

test("tests outside the allowed places, not compiled or not beside their helper are refused", () => {
  const problems = problemsOf({
    "test/unit/session-id.test.ts": UNIT,
    "docs/examples/client.test.ts": "",
    "src/viewer/ui/app.test.ts": "",
    "src/chat/session-id.test.mjs": "",
    "test/support/no-such-helper.test.ts": "",
  });
  assert.deepEqual(
    problems.map((p) => p.slice(0, p.indexOf(":"))),
    [
      "test/unit/session-id.test.ts",
      "docs/examples/client.test.ts",
      "src/viewer/ui/app.test.ts",
      "src/chat/session-id.test.mjs",
      "test/support/no-such-helper.test.ts",
    ],
  );
  assert.match(problems[2]!, /bundled, not compiled/);
  assert.match(problems[3]!, /a test is a \*\.test\.ts file/);
  assert.match(problems[4]!, /beside the helper it tests \(test\/support\/no-such-helper\.ts\)/);
});
