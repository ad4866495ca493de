import { test } from "node:test";
import assert from "node:assert/strict";
import type { ShareRun, ShareScenario } from "./profile/tracing-share-report.js";
import { shareReadingFor, shareReadings } from "./share-reading.js";

const run = (overheadOfUntraced: number) => ({ cost: { overheadOfUntraced } }) as ShareRun;
const scenario = (name: string, profile: string, connections: number, shares: number[]): ShareScenario => ({
  scenario: name,
  profile,
  connections,
  description: name,
  runs: shares.map(run),
});

const readings = shareReadings({
  scenarios: [
    scenario("optimized", "instant", 16, [0.0134, 0.0122, 0.0135]),
    scenario("optimized", "realistic", 512, [0.0147]),
    scenario("every-turn", "instant", 16, []),
  ],
});

test("a reading is the median and range of its processes' share, in percent, per scenario and cell", () => {
  assert.deepEqual(
    readings.map((r) => [r.scenario, r.cell, r.overheadPct.n]),
    [
      ["optimized", "instant@16", 3],
      ["optimized", "realistic@512", 1],
    ],
  );
  const { median, min, max } = readings[0]!.overheadPct;
  assert.deepEqual(
    [median, min, max].map((v) => Number(v!.toFixed(2))),
    [1.34, 1.22, 1.35],
  );
});

test("only a CPU or throughput check of the same scenario and cell gets a reading", () => {
  assert.equal(shareReadingFor(readings, "overhead.cpuPerRequestPct", "optimized", "instant", 16), readings[0]);
  assert.equal(shareReadingFor(readings, "overhead.throughputLossPct", "optimized", "realistic", 512), readings[1]);
  assert.equal(shareReadingFor(readings, "overhead.latencyP99Pct", "optimized", "instant", 16), null);
  assert.equal(shareReadingFor(readings, "overhead.rssPeakOverOffMB", "optimized", "instant", 16), null);
  assert.equal(shareReadingFor(readings, "overhead.cpuPerRequestPct", "optimized", "instant", 64), null);
  assert.equal(shareReadingFor(readings, "overhead.cpuPerRequestPct", "spans-off", "instant", 16), null);
  // A scenario with no process measured has no reading.
  assert.equal(shareReadingFor(readings, "overhead.cpuPerRequestPct", "every-turn", "instant", 16), null);
});
