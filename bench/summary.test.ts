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

test("a fresh run's peak RSS is compared with the median fresh off, its CPU with its own repetition's off", () => {
  const cell = fixtureResult().runs.filter((r) => r.profile === "instant" && r.connections === 16);
  const fresh = (r: RunResult, rssMiB: number, cpu: number): RunResult => ({
    ...r,
    method: "fresh-process",
    service: { ...r.service!, rssPeakBytes: rssMiB * 2 ** 20, cpuMsPerRequest: cpu },
  });
  const offs = cell.filter((r) => r.scenario === "off");
  const hung = cell.filter((r) => r.scenario === "hung");
  assert.equal(offs.length, 2);
  const third = (r: RunResult): RunResult => ({ ...r, repetition: 3 });
  // Fresh off peaks 180, 210, 214 MiB (median 210); hung peaks 220 in each repetition.
  const runs = [
    fresh(offs[0]!, 180, 4),
    fresh(offs[1]!, 210, 5),
    fresh(third(offs[1]!), 214, 5),
    ...hung.map((r) => fresh(r, 220, 6)),
    fresh(third(hung[0]!), 220, 6),
  ];
  const row = summarize(runs).find((r) => r.scenario === "hung")!;
  const rss = row.overheads!.rssPeakOverOffMiB;
  assert.equal(rss.n, 3);
  assert.ok(Math.abs(rss.max! - 10) < 1e-9, `worst over the median off is 10 MiB, not 40 over the low one`);
  assert.ok(Math.abs(rss.min! - 10) < 1e-9);
  // CPU stays paired: 6 against 4 in repetition 1 (+50 %), against 5 in the others (+20 %).
  assert.ok(Math.abs(row.overheads!.cpuPerRequestPct.max! - 50) < 1e-9);
  assert.ok(Math.abs(row.overheads!.cpuPerRequestPct.median! - 20) < 1e-9);
});

test("paired windows keep their round's off for peak RSS", () => {
  // The off windows peak at 200 and 240 MiB, optimized at 205 in both rounds: +5 and -35.
  const runs = mixedRuns().map((r) =>
    r.scenario === "off" && r.method === "paired-window" && r.repetition === 2
      ? { ...r, service: { ...r.service!, rssPeakBytes: 240 * 2 ** 20 } }
      : r,
  );
  const rss = summarize(runs).find((r) => r.scenario === "optimized")!.overheads!.rssPeakOverOffMiB;
  assert.deepEqual([rss.min, rss.max], [-35, 5]);
});

test("the peers' windows are compared with their own cell's off; off's row is ours", () => {
  // Our cell: off 5 ms, optimized 5.2 ms. The peers' cell: its own off at 8 ms, naive at 10 ms.
  const cell = mixedRuns().filter((r) => r.method === "paired-window");
  const offs = cell.filter((r) => r.scenario === "off");
  const runs: RunResult[] = [
    ...cell.map((r): RunResult => (r.scenario === "naive" ? { ...r, group: "peers" } : { ...r, group: "ours" })),
    ...offs.map((r): RunResult => ({ ...r, group: "peers", service: { ...r.service!, cpuMsPerRequest: 8 } })),
  ];
  for (const r of runs.filter((r) => r.scenario === "naive")) r.service = { ...r.service!, cpuMsPerRequest: 10 };
  const rows = summarize(runs);
  const row = (scenario: string) => rows.find((r) => r.scenario === scenario)!;
  assert.ok(Math.abs(row("naive").overheads!.cpuPerRequestPct.median! - 25) < 1e-9);
  assert.ok(Math.abs(row("optimized").overheads!.cpuPerRequestPct.median! - 4) < 1e-9);
  assert.equal(row("off").runs, 2);
  assert.equal(row("off").metrics.cpuMsPerRequest.median, 5);
});
