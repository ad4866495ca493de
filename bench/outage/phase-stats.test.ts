import { test } from "node:test";
import assert from "node:assert/strict";
import { median, percentile, spread } from "./phase-stats.js";

test("nearest-rank percentiles, median and spread", () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile([5], 99), 5);
  assert.equal(percentile([], 99), null);
  assert.equal(median([3, 1, 2]), 2);
  assert.deepEqual(spread([3, null, 1, 2]), { median: 2, min: 1, max: 3 });
  assert.equal(spread([null]), null);
});
