import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../paths.js";
import { BEGIN, END, sizingFigures, sizingSection } from "./report.js";
import type { ScaleOutResult } from "./result.js";

const RESULT_PATH = "bench/results/scale-out/reference.json";
const result = JSON.parse(readFileSync(join(ROOT, RESULT_PATH), "utf8")) as ScaleOutResult;

describe("docs/deployment.md's PostgreSQL sizing", () => {
  it("is the section generated from the committed bench:scale-out result (run `npm run bench:scale-out` to refresh both)", () => {
    const docs = readFileSync(join(ROOT, "docs", "deployment.md"), "utf8");
    const section = docs.slice(docs.indexOf(BEGIN), docs.indexOf(END) + END.length);
    assert.equal(section, sizingSection(result, RESULT_PATH));
    assert.ok(!docs.includes("TO FILL"));
  });

  it("the result measured 1, 2 and 3 instances without errors, and the figures follow from it", () => {
    assert.deepEqual(
      result.runs.map((r) => r.instances),
      [1, 2, 3],
    );
    for (const run of result.runs) {
      assert.ok(run.turns > 0 && run.errors === 0, JSON.stringify(run));
      assert.ok(run.postgresCpuMsPerTurn > 0 && run.instanceCpuMsPerTurn > 0);
    }
    const f = sizingFigures(result);
    assert.equal(f.perInstanceCore, Math.round(1000 / result.runs[0]!.instanceCpuMsPerTurn));
    assert.ok(f.perPostgresCore > 0);
  });
});
