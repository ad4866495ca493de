import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCliOptions } from "./cli-options.js";

test("defaults: every profile and scenario, 3 repetitions, docs decided later", () => {
  const o = parseCliOptions([]);
  assert.equal(o.repeat, 3);
  assert.equal(o.quick, false);
  assert.equal(o.profiles.length, 2);
  assert.equal(o.scenarios.length, 9);
  assert.equal(o.docs, null);
  assert.equal(o.check, false);
});

test("--quick means one repetition unless --repeat says otherwise", () => {
  assert.equal(parseCliOptions(["--quick"]).repeat, 1);
  assert.equal(parseCliOptions(["--quick", "--repeat", "2"]).repeat, 2);
});

test("lists, numbers and inline values", () => {
  const o = parseCliOptions([
    "--scenario",
    "off,optimized",
    "--profile=instant",
    "--connections",
    "1,16",
    "--duration",
    "2.5",
    "--warmup",
    "0",
    "--sessions",
    "sqlite",
  ]);
  assert.deepEqual(o.scenarios, ["off", "optimized"]);
  assert.deepEqual(o.profiles, ["instant"]);
  assert.deepEqual(o.connections, [1, 16]);
  assert.equal(o.duration, 2.5);
  assert.equal(o.warmup, 0);
  assert.equal(o.sessionStore, "sqlite");
});

test("--check with and without a file", () => {
  assert.deepEqual([parseCliOptions(["--check"]).check, parseCliOptions(["--check"]).checkFile], [true, null]);
  const o = parseCliOptions(["--check", "bench/results/reference.json"]);
  assert.equal(o.checkFile, "bench/results/reference.json");
  const p = parseCliOptions(["--check", "--quick"]);
  assert.equal(p.checkFile, null);
  assert.equal(p.quick, true);
});

test("bad input is refused with the flag named", () => {
  assert.throws(() => parseCliOptions(["--scenario", "fast"]), /--scenario: unknown value "fast"/);
  assert.throws(() => parseCliOptions(["--repeat", "1.5"]), /--repeat/);
  assert.throws(() => parseCliOptions(["--duration"]), /--duration/);
  assert.throws(() => parseCliOptions(["--frobnicate"]), /unknown option/);
  assert.throws(() => parseCliOptions(["--quick", "--reference"]), /--reference needs the default suite/);
});
