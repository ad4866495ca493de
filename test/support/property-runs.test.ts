import { test } from "node:test";
import assert from "node:assert/strict";
import { assertRan, propertyRuns } from "./property-runs.js";

const SPEC = {
  name: "a property",
  runsVariable: "FUZZ_RUNS",
  defaultRuns: 3000,
  minRuns: 600,
  seedVariable: "FUZZ_SEED",
  defaultSeed: 42,
} as const;

test("a fixed default seed and run count, printed with how to replay", () => {
  const runs = propertyRuns(SPEC, {});
  assert.equal(runs.numRuns, 3000);
  assert.equal(runs.seed, 42);
  assert.equal(
    runs.summary(),
    "a property: 3000 cases, seed 42 (the default); replay with FUZZ_SEED=42 FUZZ_RUNS=3000",
  );
  const other = propertyRuns(SPEC, { FUZZ_RUNS: "900", FUZZ_SEED: "7" });
  assert.equal(
    other.summary(905),
    "a property: 905 cases (900 runs asked), seed 7; replay with FUZZ_SEED=7 FUZZ_RUNS=900",
  );
});

test("FUZZ_RUNS=0 (or anything under the floor) fails instead of passing with nothing checked", () => {
  for (const runs of ["0", "-5", "599"])
    assert.throws(
      () => propertyRuns(SPEC, { FUZZ_RUNS: runs }),
      new RegExp(`FUZZ_RUNS=${runs} is below the floor of 600 runs for a property`),
    );
  assert.throws(() => propertyRuns(SPEC, { FUZZ_RUNS: "lots" }), /FUZZ_RUNS=lots is not a whole number/);
  assert.throws(() => propertyRuns(SPEC, { FUZZ_SEED: "0x" }), /FUZZ_SEED=0x is not a whole number/);
  assert.equal(propertyRuns(SPEC, { FUZZ_RUNS: "600" }).numRuns, 600);
});

test("a property that ran fewer cases than asked fails", () => {
  assert.throws(() => assertRan({ numRuns: 0 }, 10, "fuzz"), /fuzz: fast-check ran 0 cases, 10 were asked for/);
  assertRan({ numRuns: 10 }, 10, "fuzz");
});
