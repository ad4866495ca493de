import { test } from "node:test";
import assert from "node:assert/strict";
import { generateReport, worstOverhead } from "./report-markdown.js";
import { assertResultFile } from "./result-schema.js";
import { summarize } from "./summary.js";
import { escapeXml, groupedBarChart, lineChart, niceTicks } from "./svg-charts.js";
import { fixtureResult } from "./test-fixture.js";

const budgets = { budgets: [{ id: "instant.p99", profiles: ["instant" as const], scenarios: ["optimized" as const], metric: "overhead.latencyP99Pct", max: 5, unit: "%" }] };

test("summary: medians over repetitions and overheads against off of the same repetition", () => {
  const rows = summarize(fixtureResult().runs);
  const naive = rows.find((r) => r.profile === "instant" && r.scenario === "naive")!;
  assert.equal(naive.runs, 2);
  assert.equal(naive.metrics.latencyP99Ms.median, 90);
  // throughput 60 vs 100 in both repetitions: 40 % loss.
  assert.ok(Math.abs(naive.overheads!.throughputLossPct.median! - 40) < 1e-9);
  assert.equal(rows.find((r) => r.scenario === "off")!.overheads, null);
});

test("the page states the promise, the machine, tables, overheads, budgets and embeds the charts", () => {
  const result = fixtureResult();
  assertResultFile(JSON.parse(JSON.stringify(result)));
  const { markdown, charts } = generateReport(result, { sourceLabel: "bench/results/x.json", chartsDir: "performance", budgets });
  assert.match(markdown, /^# Performance/);
  assert.match(markdown, /less than 5 % latency/);
  assert.match(markdown, /Test CPU, 2 cores/);
  assert.match(markdown, /### instant @ 16 connections/);
  assert.match(markdown, /\| naive \| 61 \(60…61\) \|/);
  assert.match(markdown, /\| 16 \| optimized \| \+2\.0 \| \+2\.5 \| \+3\.3 \| \+2\.0 \|/);
  assert.match(markdown, /Overheads against `off` \(instant\)/);
  assert.match(markdown, /\| instant\.p99 \| instant@16 optimized \| \+3\.3 % \| ≤ 5 % \| PASS \|/);
  // The worst scenario is named, with the generated cause sentence clearly marked.
  assert.match(markdown, /Worst scenario overall: \*\*naive\*\* \(instant @ 16 connections\): latency p99 \+200\.0 %/);
  assert.match(markdown, /<!-- cause: generated .*-->\n\*Cause \(generated from the data\):\* /);
  for (const name of Object.keys(charts)) assert.ok(markdown.includes(`](performance/${name})`), name);
  assert.deepEqual(Object.keys(charts).sort(), ["latency-instant-c16.svg", "latency-realistic-c256.svg", "latency-realistic-c64.svg", "throughput-realistic.svg"]);
});

test("worst overhead picks the largest median among the rows", () => {
  const w = worstOverhead(fixtureResult().summary.filter((r) => r.scenario !== "naive"));
  assert.equal(w?.row.scenario, "hung");
  assert.equal(w?.metric, "rssPeakPct");
});

test("charts are well-formed SVG with escaped text", () => {
  const bar = groupedBarChart({ title: "a <b> & c", groups: ["x", "y"], series: [{ name: "p50", values: [1, null] }, { name: "p99", values: [3, 4] }], yLabel: "ms" });
  assert.match(bar, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(bar, /<\/svg>\n$/);
  assert.ok(bar.includes("a &lt;b&gt; &amp; c"));
  assert.equal((bar.match(/<rect x="[^"]*" y="[^"]*" width=/g) ?? []).length, 3 + 2); // 3 bars + 2 legend swatches
  const line = lineChart({ title: "t", x: [1, 16, 64], series: [{ name: "off", values: [10, 20, null] }], xLabel: "connections", yLabel: "req/s" });
  assert.equal((line.match(/<circle /g) ?? []).length, 2);
  assert.equal(escapeXml(`"'`), "&quot;'");
  assert.deepEqual(niceTicks(9), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(0), [0, 1]);
});
