import { test } from "node:test";
import assert from "node:assert/strict";
import type { ShareRun, ShareScenario } from "./profile/tracing-share-report.js";
import { shareFigureFor, shareReadings } from "./share-reading.js";

const run = (overheadOfUntraced: number, longestMs?: number) =>
  ({
    cost: { overheadOfUntraced },
    ...(longestMs === undefined ? {} : { stretches: { longestMs, atLeast: [0, 0, 0, 0] } }),
  }) as ShareRun;
const scenario = (name: string, profile: string, connections: number, runs: ShareRun[]): ShareScenario => ({
  scenario: name,
  profile,
  connections,
  description: name,
  runs,
});

const readings = shareReadings({
  scenarios: [
    scenario("optimized", "instant", 16, [run(0.0134, 1.8), run(0.0122, 1.2), run(0.0135, 2.4)]),
    // Measured before holds were recorded.
    scenario("optimized", "realistic", 512, [run(0.0147)]),
    scenario("every-turn", "instant", 16, []),
  ],
});

test("a reading is the median and range of its processes' share, in percent, and of their longest holds, per scenario and cell", () => {
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
  assert.equal(readings[1]!.longestHoldMs, null);
});

test("a CPU or throughput check gets the CPU share, a p99 check the longest hold, of the same scenario and cell", () => {
  const [instant, realistic] = readings;
  assert.deepEqual(shareFigureFor(readings, "overhead.cpuPerRequestPct", "optimized", "instant", 16), {
    kind: "cpu-share",
    pct: instant!.overheadPct,
  });
  assert.deepEqual(shareFigureFor(readings, "overhead.throughputLossPct", "optimized", "realistic", 512), {
    kind: "cpu-share",
    pct: realistic!.overheadPct,
  });
  assert.deepEqual(shareFigureFor(readings, "overhead.latencyP99Pct", "optimized", "instant", 16), {
    kind: "longest-hold",
    ms: { median: 1.8, min: 1.2, max: 2.4, n: 3 },
  });
  // No hold recorded, other metrics, other cells and scenarios: nothing.
  assert.equal(shareFigureFor(readings, "overhead.latencyP99Pct", "optimized", "realistic", 512), null);
  assert.equal(shareFigureFor(readings, "overhead.rssPeakOverOffMB", "optimized", "instant", 16), null);
  assert.equal(shareFigureFor(readings, "overhead.latencyP50Pct", "optimized", "instant", 16), null);
  assert.equal(shareFigureFor(readings, "overhead.cpuPerRequestPct", "optimized", "instant", 64), null);
  assert.equal(shareFigureFor(readings, "overhead.cpuPerRequestPct", "spans-off", "instant", 16), null);
  // A scenario with no process measured has no reading.
  assert.equal(shareFigureFor(readings, "overhead.cpuPerRequestPct", "every-turn", "instant", 16), null);
});
