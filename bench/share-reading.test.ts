import { test } from "node:test";
import assert from "node:assert/strict";
import type { ShareRun, ShareScenario } from "./profile/tracing-share-report.js";
import { insideProcessValue, shareFigureFor, shareReadings } from "./share-reading.js";

const run = (overheadOfUntraced: number, longestMs?: number, p99OverheadPct?: number) =>
  ({
    cost: { overheadOfUntraced },
    ...(longestMs === undefined ? {} : { stretches: { longestMs, atLeast: [0, 0, 0, 0] } }),
    ...(p99OverheadPct === undefined
      ? {}
      : { tail: { requests: 100, p99Ms: 40, p99WithoutTracingMs: 40 / (1 + p99OverheadPct / 100), p99OverheadPct } }),
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
    scenario("optimized", "instant", 16, [run(0.0134, 1.8, 2.5), run(0.0122, 1.2, 1), run(0.0135, 2.4, 4)]),
    // Measured before holds and the p99 were recorded.
    scenario("optimized", "realistic", 512, [run(0.0147)]),
    scenario("every-turn", "instant", 16, []),
    // Holds recorded, the p99 not.
    scenario("slow", "instant", 16, [run(0.017, 2.4), run(0.018, 3)]),
  ],
});

test("a reading is the median and range of its processes' share, in percent, and of their longest holds, per scenario and cell", () => {
  assert.deepEqual(
    readings.map((r) => [r.scenario, r.cell, r.overheadPct.n]),
    [
      ["optimized", "instant@16", 3],
      ["optimized", "realistic@512", 1],
      ["slow", "instant@16", 2],
    ],
  );
  const { median, min, max } = readings[0]!.overheadPct;
  assert.deepEqual(
    [median, min, max].map((v) => Number(v!.toFixed(2))),
    [1.34, 1.22, 1.35],
  );
  assert.equal(readings[1]!.longestHoldMs, null);
  assert.deepEqual(readings[0]!.p99OverheadPct, { median: 2.5, min: 1, max: 4, n: 3 });
  assert.equal(readings[2]!.p99OverheadPct, null);
});

test("a CPU or throughput check gets the CPU share, a p99 check tracing's part of the p99 (else the longest hold), of the same scenario and cell", () => {
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
    kind: "p99-part",
    pct: { median: 2.5, min: 1, max: 4, n: 3 },
  });
  assert.deepEqual(shareFigureFor(readings, "overhead.latencyP99Pct", "slow", "instant", 16), {
    kind: "longest-hold",
    ms: { median: 2.7, min: 2.4, max: 3, n: 2 },
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

test("inside the process, a CPU or throughput check reads tracing's share, a p99 check its part of the p99, median or worst as the budget aggregates", () => {
  const check = { metric: "overhead.cpuPerRequestPct", scenario: "optimized", profile: "instant", connections: 16 };
  assert.equal(insideProcessValue(readings, { ...check, aggregate: "median" })!.toFixed(2), "1.34");
  assert.equal(insideProcessValue(readings, { ...check, aggregate: "max" })!.toFixed(2), "1.35");
  const throughput = { ...check, metric: "overhead.throughputLossPct", aggregate: "median" as const };
  assert.equal(insideProcessValue(readings, throughput)!.toFixed(2), "1.34");
  const p99 = { ...check, metric: "overhead.latencyP99Pct" };
  assert.equal(insideProcessValue(readings, { ...p99, aggregate: "median" }), 2.5);
  assert.equal(insideProcessValue(readings, { ...p99, aggregate: "max" }), 4);
  // Not recorded by every process (realistic here), another cell, another metric: no reading.
  assert.equal(
    insideProcessValue(readings, { ...p99, profile: "realistic", connections: 512, aggregate: "median" }),
    null,
  );
  assert.equal(insideProcessValue(readings, { ...check, connections: 64, aggregate: "median" }), null);
  assert.equal(
    insideProcessValue(readings, { ...check, metric: "overhead.rssPeakOverOffMB", aggregate: "median" }),
    null,
  );
});
