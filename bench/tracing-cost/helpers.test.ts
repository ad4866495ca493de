import { test } from "node:test";
import assert from "node:assert/strict";
import { makePayload, makeText } from "./payload.js";
import { evaluateTargets, overheadAgainst, summarizeCell, type CellResult, type RoundResult } from "./report.js";
import { formatSpread, median, rotated, spread } from "./stats.js";
import type { ConcurrentMeasurement, SequentialMeasurement } from "./measure.js";

test("median, spread and formatting", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.deepEqual(spread([5, 1, 3]), { median: 3, min: 1, max: 5 });
  assert.equal(formatSpread({ median: 12.34, min: 11.96, max: 1234.4 }), "12.3 (12–1234)");
  assert.equal(formatSpread({ median: 1, min: 0.5, max: 2 }, 2), "1.00 (0.50–2.00)");
});

test("rotated: every item leads once over as many rounds as items", () => {
  const items = ["a", "b", "c"];
  assert.deepEqual(rotated(items, 0), ["a", "b", "c"]);
  assert.deepEqual(rotated(items, 1), ["b", "c", "a"]);
  assert.deepEqual(rotated(items, 4), ["b", "c", "a"]);
  assert.deepEqual(new Set([0, 1, 2].map((r) => rotated(items, r)[0])), new Set(items));
  assert.deepEqual(rotated([], 3), []);
});

test("payload text: exact length, deterministic, needs JSON escaping", () => {
  const a = makeText(2048, 7);
  assert.equal(a.length, 2048);
  assert.equal(a, makeText(2048, 7));
  assert.notEqual(a, makeText(2048, 8));
  assert.match(a, /["\n\\]/);
  const p = makePayload("100KB", 102_400, 51_200);
  assert.equal(p.input.length, 102_400);
  assert.equal(p.output.length, 51_200);
});

function seq(cpuInclDrainUs: number, spans: [number, number] = [0, 0]): SequentialMeasurement {
  return { requests: 10, inRequestUs: 1, mainUs: 1, mainInclDrainUs: 1, cpuUs: cpuInclDrainUs, cpuInclDrainUs, drainMs: 0, spansExpected: spans[0], spansUnique: spans[1], tracingErrors: 0, spansDropped: 0, exportFailures: 0 };
}
function conc(p99: number, spans: [number, number] = [0, 0]): ConcurrentMeasurement {
  return { requests: 10, concurrency: 16, eventLoopP99Ms: p99, eventLoopP50Ms: 1, eventLoopMaxMs: p99, mainInclDrainUs: 1, cpuInclDrainUs: 1, spansExpected: spans[0], spansUnique: spans[1], tracingErrors: 0, spansDropped: 0, exportFailures: 0 };
}
function cell(variant: string, payload: string, rounds: RoundResult[]): CellResult {
  return { variant, payload, rounds, summary: summarizeCell(rounds) };
}

test("targets: overhead is paired per round against none; completeness needs every span", () => {
  const none = [seq(10), seq(20), seq(12)];
  const mk = (values: number[], spans: [number, number] = [0, 0]) =>
    values.map((v, i): RoundResult => ({ round: i + 1, sequential: seq(v, spans), concurrent: conc(2, spans), overhead: overheadAgainst(seq(v, spans), none[i]) }));
  const cells = [
    cell("none", "2KB", mk([10, 20, 12])),
    cell("disabled", "2KB", mk([10.5, 20.4, 14]).map((r) => ({ ...r, callsOnlyUs: 0.05 }))),
    cell("switchboard", "2KB", mk([50, 45, 60], [50, 50])),
    cell("switchboard", "100KB", mk([900, 910, 905], [50, 49])),
  ];
  const o = cells[1]!.summary.overheadCpuInclDrainUs;
  assert.deepEqual([o.median, o.min, o.max].map((v) => Math.round(v * 10) / 10), [0.5, 0.4, 2]);
  const targets = evaluateTargets(cells, ["switchboard"]);
  const byId = new Map(targets.map((t) => [t.id, t]));
  assert.equal(byId.get("disabled-2KB-overhead")?.pass, true);
  assert.equal(byId.get("disabled-2KB-overhead")?.measured, 0.05);
  assert.equal(byId.get("switchboard-2KB-overhead")?.measured, 40);
  assert.equal(byId.get("switchboard-2KB-overhead")?.pass, false);
  assert.equal(byId.get("switchboard-100KB-event-loop-p99")?.pass, true);
  assert.equal(byId.get("switchboard-2KB-complete")?.pass, true);
  assert.equal(byId.get("switchboard-100KB-complete")?.pass, false);
  assert.equal(byId.has("sampled-out-2KB-overhead"), false, "cells not measured have no target row");
});
