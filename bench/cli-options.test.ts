import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCliOptions } from "./cli-options.js";

test("defaults: every profile and scenario, 6 rounds, docs decided later", () => {
  const options = parseCliOptions([]);
  assert.equal(options.repeat, 6);
  assert.equal(options.quick, false);
  assert.equal(options.profiles.length, 2);
  assert.equal(options.scenarios.length, 10);
  assert.equal(options.docs, null);
  assert.equal(options.check, false);
  // Paired windows keep sessions in memory; the fresh-process runs, whose checks bound RSS, in SQLite.
  assert.deepEqual([options.sessionStore, options.degradedSessionStore], ["memory", "sqlite"]);
});

test("--quick means two rounds unless --repeat says otherwise", () => {
  assert.equal(parseCliOptions(["--quick"]).repeat, 2);
  assert.equal(parseCliOptions(["--quick", "--repeat", "1"]).repeat, 1);
});

test("lists, numbers and inline values", () => {
  const options = parseCliOptions([
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
  assert.deepEqual(options.scenarios, ["off", "optimized"]);
  assert.deepEqual(options.profiles, ["instant"]);
  assert.deepEqual(options.connections, [1, 16]);
  assert.equal(options.duration, 2.5);
  assert.equal(options.warmup, 0);
  assert.equal(options.sessionStore, "sqlite");
  assert.equal(options.degradedSessionStore, "sqlite");
  assert.equal(parseCliOptions(["--degraded-sessions", "memory"]).degradedSessionStore, "memory");
});

test("--check with and without a file", () => {
  assert.deepEqual([parseCliOptions(["--check"]).check, parseCliOptions(["--check"]).checkFile], [true, null]);
  const options = parseCliOptions(["--check", "bench/results/reference.json"]);
  assert.equal(options.checkFile, "bench/results/reference.json");
  const p = parseCliOptions(["--check", "--quick"]);
  assert.equal(p.checkFile, null);
  assert.equal(p.quick, true);
});

test("bad input is refused with the flag named", () => {
  assert.throws(() => parseCliOptions(["--scenario", "fast"]), /--scenario: unknown value "fast"/);
  assert.throws(() => parseCliOptions(["--repeat", "1.5"]), /--repeat/);
  assert.throws(() => parseCliOptions(["--duration"]), /--duration/);
  assert.throws(() => parseCliOptions(["--frobnicate"]), /unknown option/);
  assert.throws(() => parseCliOptions(["--degraded-sessions", "redis"]), /--degraded-sessions: memory or sqlite/);
  assert.throws(() => parseCliOptions(["--quick", "--reference"]), /--reference needs the default suite/);
});
