import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { LAUNCH_ENV, launchEnv } from "./launch-env.js";

const scripts = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;

// The benchmark claims to measure the service as users start it: the scripts that start it must
// set what the harness sets, each overridable from the caller's environment.
for (const name of ["start", "start:env"]) {
  test(`npm run ${name} starts Node with the benchmark's launch environment`, () => {
    const script = scripts[name]!;
    const node = script.lastIndexOf(" node ");
    assert.ok(node > 0, script);
    for (const [key, value] of Object.entries(LAUNCH_ENV))
      assert.ok(script.slice(0, node).endsWith(` ${key}=\${${key}:-${value}}`), `${name}: ${script}`);
  });
}

test("a launch variable set in the harness's environment wins over the default", () => {
  const [key] = Object.keys(LAUNCH_ENV);
  assert.deepEqual(launchEnv({ [key!]: "65536" }), { ...LAUNCH_ENV, [key!]: "65536" });
  assert.deepEqual(launchEnv({}), LAUNCH_ENV);
});
