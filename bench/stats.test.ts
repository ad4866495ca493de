import { test } from "node:test";
import assert from "node:assert/strict";
import { lossPct, median, overheadPct, percentile, spread } from "./stats.js";

test("percentile uses the nearest rank", () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
  assert.equal(percentile(samples, 50), 50);
  assert.equal(percentile(samples, 95), 95);
  assert.equal(percentile(samples, 99), 99);
  assert.equal(percentile(samples, 100), 100);
  assert.equal(percentile([7], 1), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 0), RangeError);
});

test("median of odd and even counts, ignoring non-finite values", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5, Number.NaN, 1, 3]), 3);
  assert.ok(Number.isNaN(median([])));
});

test("spread gives median, min, max and the count", () => {
  assert.deepEqual(spread([10, 30, 20]), { median: 20, min: 10, max: 30, n: 3 });
  assert.deepEqual(spread([3, null, 1, 2]), { median: 2, min: 1, max: 3, n: 3 }, "missing samples are left out");
  assert.equal(spread([null]).n, 0);
  const empty = spread([Number.NaN]);
  assert.equal(empty.n, 0);
  assert.ok(Number.isNaN(empty.median));
});

test("overheads are relative to the baseline, in percent", () => {
  assert.equal(overheadPct(105, 100), 5.000000000000004);
  assert.equal(Math.round(overheadPct(90, 100)), -10);
  assert.equal(Math.round(lossPct(97, 100)), 3);
  assert.equal(Math.round(lossPct(103, 100)), -3);
  assert.ok(Number.isNaN(overheadPct(1, 0)));
  assert.ok(Number.isNaN(overheadPct(Number.NaN, 1)));
});
