import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunResult } from "./result-schema.js";
import { summarize } from "./summary.js";
import { fixtureResult } from "./test-fixture.js";

/**
 * instant@16 of the fixture as the suite now measures it: off, naive and optimized in paired
 * windows, hung in fresh processes against a fresh `off` of its own (which used twice the CPU per
 * request of the warm `off` windows).
 */
function mixedRuns(): RunResult[] {
  const cell = fixtureResult().runs.filter((r) => r.profile === "instant" && r.connections === 16);
  const runs: RunResult[] = cell.map((r) =>
    r.scenario === "hung" ? { ...r, method: "fresh-process" } : { ...r, method: "paired-window", positionInRound: 1 },
  );
  for (const off of cell.filter((r) => r.scenario === "off")) {
    runs.push({ ...off, method: "fresh-process", service: { ...off.service!, cpuMsPerRequest: 10 } });
  }
  return runs;
}

test("paired windows are compared with off's window of the same round, fresh runs with the fresh off", () => {
  const rows = summarize(mixedRuns());
  const row = (scenario: string) => rows.find((r) => r.scenario === scenario)!;
  // optimized 5.2 against the off window's 5 ms; hung 5.5 against the fresh off's 10 ms.
  assert.ok(Math.abs(row("optimized").overheads!.cpuPerRequestPct.median! - 4) < 1e-9);
  assert.ok(Math.abs(row("hung").overheads!.cpuPerRequestPct.median! - -45) < 1e-9);
  assert.equal(row("optimized").overheads!.cpuPerRequestPct.n, 2);
  assert.equal(row("hung").overheads!.cpuPerRequestPct.n, 2);
});

test("off's row is its paired windows: the fresh off runs only serve the degraded scenarios", () => {
  const off = summarize(mixedRuns()).find((r) => r.scenario === "off")!;
  assert.equal(off.runs, 2);
  assert.equal(off.metrics.cpuMsPerRequest.median, 5);
});

test("a result without methods (written before paired windows) is read as fresh-process runs", () => {
  const runs = fixtureResult().runs.filter((r) => r.profile === "instant" && r.connections === 16);
  const hung = summarize(runs).find((r) => r.scenario === "hung")!;
  // 5.5 against off's 5 ms in both repetitions.
  assert.ok(Math.abs(hung.overheads!.cpuPerRequestPct.median! - 10) < 1e-9);
});
