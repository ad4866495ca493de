import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { checkBudgets, formatChecks, validateBudgets, type BudgetFile } from "./budgets.js";
import { fixtureResult } from "./test-fixture.js";

const budgets: BudgetFile = {
  budgets: [
    { id: "instant.p99", profiles: ["instant"], scenarios: ["optimized"], metric: "overhead.latencyP99Pct", max: 5, unit: "%" },
    { id: "instant.tp", profiles: ["instant"], scenarios: ["optimized"], metric: "overhead.throughputLossPct", max: 1, unit: "%" },
    { id: "degraded.failed", profiles: ["instant", "realistic"], scenarios: ["hung"], metric: "metric.failedRequests", aggregate: "max", max: 0 },
    { id: "degraded.rss", profiles: ["instant"], scenarios: ["hung"], metric: "overhead.rssPeakOverOffMiB", aggregate: "max", max: 64, unit: "MiB" },
    { id: "realistic.cpu", profiles: ["realistic"], scenarios: ["optimized"], metric: "overhead.cpuPerRequestPct", max: 10, unit: "%" },
  ],
};

test("each budget is checked against every matching cell, median or worst repetition", () => {
  const checks = checkBudgets(fixtureResult(), budgets);
  const by = (id: string) => checks.filter((c) => c.budget.id === id);
  // p99 overhead: 31/30 - 1 = +3.3 % in both repetitions -> pass.
  assert.equal(by("instant.p99").length, 1);
  assert.equal(by("instant.p99")[0]!.pass, true);
  assert.ok(Math.abs(by("instant.p99")[0]!.value! - 3.333) < 0.01);
  // throughput 98 vs 100: 2 % loss > 1 % -> fail.
  assert.equal(by("instant.tp")[0]!.pass, false);
  // hung: one failed request in repetition 2 -> the worst repetition breaks the budget.
  assert.equal(by("degraded.failed")[0]!.value, 1);
  assert.equal(by("degraded.failed")[0]!.pass, false);
  // hung RSS: 250 - 200 = 50 MiB over off, within 64.
  assert.equal(by("degraded.rss")[0]!.value, 50);
  assert.equal(by("degraded.rss")[0]!.pass, true);
  // realistic CPU: 16/15 - 1 = 6.7 % at both connection counts.
  assert.equal(by("realistic.cpu").length, 2);
  assert.ok(by("realistic.cpu").every((c) => c.pass));
});

test("the report text names each check, its value and the verdict", () => {
  const text = formatChecks(checkBudgets(fixtureResult(), budgets));
  assert.match(text, /^PASS {2}instant\.p99 .* instant@16 optimized .* median \+3\.33% \(limit \+5\.00%\)/m);
  assert.match(text, /^FAIL {2}instant\.tp/m);
  assert.match(text, /2 of 6 budget checks FAILED$/);
});

test("a failed run fails its budgets even when the median looks fine", () => {
  const result = fixtureResult();
  const row = result.summary.find((r) => r.scenario === "optimized" && r.profile === "instant")!;
  row.failedRuns = 1;
  const check = checkBudgets(result, budgets).find((c) => c.budget.id === "instant.p99")!;
  assert.equal(check.pass, false);
  assert.match(check.note ?? "", /1 of 2 runs failed/);
});

test("the committed bench/budgets.json is valid and budgets no comparison scenario", () => {
  const file = validateBudgets(JSON.parse(readFileSync(new URL("../../bench/budgets.json", import.meta.url), "utf8")));
  assert.ok(file.budgets.length >= 10);
  for (const b of file.budgets) assert.ok(!b.scenarios.some((s) => s === "naive" || s === "sdk-defaults" || s === "off"), b.id);
});

test("invalid budget files are refused", () => {
  assert.throws(() => validateBudgets({}), /budgets/);
  assert.throws(() => validateBudgets({ budgets: [{ id: "x", profiles: ["instant"], scenarios: ["optimized"], metric: "overhead.nope", max: 1 }] }), /metric/);
  assert.throws(() => validateBudgets({ budgets: [{ id: "x", profiles: ["fast"], scenarios: ["optimized"], metric: "metric.failedRequests", max: 1 }] }), /profiles/);
});
