import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  checkBudgets,
  evaluateBudgets,
  formatChecks,
  validateBudgets,
  type Budget,
  type BudgetFile,
} from "./budgets.js";
import type { BenchResultFile } from "./result-schema.js";
import { summarize } from "./summary.js";
import { fixtureResult, fixtureShareReading } from "./test-fixture.js";

const budgets: BudgetFile = {
  loadedServiceBusyPct: 70,
  budgets: [
    {
      id: "instant.p99",
      profiles: ["instant"],
      scenarios: ["optimized"],
      metric: "overhead.latencyP99Pct",
      max: 5,
      unit: "%",
    },
    {
      id: "instant.tp",
      profiles: ["instant"],
      scenarios: ["optimized"],
      metric: "overhead.throughputLossPct",
      max: 1,
      unit: "%",
    },
    {
      id: "degraded.failed",
      profiles: ["instant", "realistic"],
      scenarios: ["hung"],
      metric: "metric.failedRequests",
      aggregate: "max",
      max: 0,
    },
    {
      id: "degraded.rss",
      profiles: ["instant"],
      scenarios: ["hung"],
      metric: "overhead.rssPeakOverOffMiB",
      aggregate: "max",
      max: 64,
      unit: "MiB",
    },
    {
      id: "realistic.cpu",
      profiles: ["realistic"],
      scenarios: ["optimized"],
      metric: "overhead.cpuPerRequestPct",
      max: 10,
      unit: "%",
    },
  ],
};

/** The fixture with its summary recomputed after a change to its runs. */
function withRuns(change: (result: BenchResultFile) => void): BenchResultFile {
  const result = fixtureResult();
  change(result);
  return { ...result, summary: summarize(result.runs) };
}

const loadedOnly = (patch: Partial<Budget> = {}): BudgetFile => ({
  loadedServiceBusyPct: 70,
  budgets: [
    {
      id: "realistic.cpu-loaded",
      profiles: ["realistic"],
      scenarios: ["optimized"],
      cells: "loaded",
      metric: "overhead.cpuPerRequestPct",
      max: 3,
      unit: "%",
      ...patch,
    },
    {
      id: "realistic.rss-loaded",
      profiles: ["realistic"],
      scenarios: ["optimized"],
      cells: "loaded",
      metric: "overhead.rssPeakOverOffMB",
      max: 20,
      unit: "MB",
      ...patch,
    },
  ],
});

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
  // realistic CPU on every cell: 16/15 - 1 = 6.7 % at both connection counts.
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
  const result = withRuns((r) => {
    const run = r.runs.find((x) => x.scenario === "optimized" && x.profile === "instant" && x.repetition === 2)!;
    run.ok = false;
    run.error = "load: measured window: service exited";
  });
  const check = checkBudgets(result, budgets).find((c) => c.budget.id === "instant.p99")!;
  assert.equal(check.pass, false);
  assert.match(check.note ?? "", /1 of 2 runs failed/);
});

test("budgets on loaded cells judge the cells that load the service and list the idle ones as not judged", () => {
  const { checks, exemptions } = evaluateBudgets(fixtureResult(), loadedOnly());
  // realistic@64's off is 35 % busy: mostly idle. realistic@256's is 90 %: loaded.
  assert.deepEqual(
    checks.map((c) => `${c.budget.id} ${c.profile}@${c.connections}`),
    ["realistic.cpu-loaded realistic@256", "realistic.rss-loaded realistic@256"],
  );
  // CPU 16 vs 15 ms per request: +6.7 % > 3 % -> fail. RSS 185 vs 180 MiB: 5.24 MB <= 20 MB -> pass.
  assert.equal(checks[0]!.pass, false);
  assert.ok(Math.abs(checks[1]!.value! - 5.24288) < 1e-9);
  assert.equal(checks[1]!.pass, true);
  assert.deepEqual(
    exemptions.map((e) => `${e.budget.id} ${e.profile}@${e.connections}`),
    ["realistic.cpu-loaded realistic@64", "realistic.rss-loaded realistic@64"],
  );
  assert.match(exemptions[0]!.reason, /mostly idle: off keeps the service 35 % busy, under 70 %/);
  assert.match(formatChecks(checks), /^FAIL {2}realistic\.cpu-loaded .* realistic@256 optimized/m);
});

test("a budget on loaded cells fails when no cell of its profile loads the service, or when load was not recorded", () => {
  // Only realistic@64 measured (a --quick run): nothing this budget can judge is not a pass.
  const idleOnly = withRuns((r) => {
    r.runs = r.runs.filter((x) => !(x.profile === "realistic" && x.connections === 256));
  });
  const [check] = checkBudgets(idleOnly, loadedOnly());
  assert.equal(check?.pass, false);
  assert.match(check?.note ?? "", /no realistic cell loads the service \(off keeps the service 35 % busy/);
  // A result written before busy % existed cannot tell which cells load the service.
  const old = withRuns((r) => {
    for (const x of r.runs) if (x.service) delete x.service.busyPct;
  });
  const checks = checkBudgets(old, loadedOnly());
  assert.equal(checks.length, 4);
  assert.ok(checks.every((c) => !c.pass && /not recorded/.test(c.note ?? "")));
});

test("a budget can name its connection counts", () => {
  const file: BudgetFile = {
    budgets: [
      {
        id: "realistic.p99-at-256",
        profiles: ["realistic"],
        scenarios: ["optimized"],
        connections: [256],
        metric: "overhead.latencyP99Pct",
        max: 5,
        unit: "%",
      },
    ],
  };
  const checks = checkBudgets(fixtureResult(), file);
  assert.deepEqual(
    checks.map((c) => c.connections),
    [256],
  );
});

test("a budget judged inside the process takes the tracing-share reading of the same service, the load figure beside it", () => {
  const judged = { judgedBy: "same-process" as const, judgedByReason: "the A/A control spreads wider than the budget" };
  const file: BudgetFile = {
    budgets: [
      { ...budgets.budgets[1]!, ...judged },
      { ...budgets.budgets[0]!, ...judged },
      { ...budgets.budgets[4]!, max: 3, ...judged },
    ],
  };
  const reading = fixtureShareReading("instant@16", [0.7, 0.6, 0.8], [1.2, 0.6, 1.8], [3.8, 2.7, 5.6]);
  const inside = { readings: [reading], sameService: true, commit: "abc" };
  const checks = checkBudgets(fixtureResult(), file, inside);
  const by = (id: string) => checks.find((c) => c.budget.id === id)!;
  // Throughput: the load figure (2 % loss) breaks the 1 % budget; the share inside (median 0.7 %) does not.
  assert.equal(by("instant.tp").value!.toFixed(2), "2.00");
  assert.equal(by("instant.tp").inside!.toFixed(2), "0.70");
  assert.equal(by("instant.tp").pass, true);
  // p99: tracing's part of the requests' p99, the median process (3.8 %) within 5 %; the worst (5.6 %) would not be.
  assert.equal(by("instant.p99").inside!.toFixed(2), "3.80");
  assert.equal(by("instant.p99").pass, true);
  const worst = checkBudgets(
    fixtureResult(),
    { budgets: [{ ...budgets.budgets[0]!, ...judged, aggregate: "max" }] },
    inside,
  );
  assert.deepEqual([worst[0]!.inside, worst[0]!.pass], [5.6, false]);
  // No reading of realistic: the load figure judges (+6.7 % > 3 %), and says why.
  assert.equal(by("realistic.cpu").inside, null);
  assert.match(by("realistic.cpu").insideMissing ?? "", /no tracing-share reading of this cell and scenario/);
  assert.equal(by("realistic.cpu").pass, false);
  assert.match(
    formatChecks(checks),
    /^PASS {2}instant\.tp .* instant@16 optimized +inside the traced process median \+0\.70% \(limit \+1\.00%\); load figure \+2\.00%$/m,
  );
  // A reading of another build, or of one that cannot be told, judges nothing.
  for (const sameService of [false, null]) {
    const other = checkBudgets(fixtureResult(), file, { ...inside, sameService });
    const tp = other.find((c) => c.budget.id === "instant.tp")!;
    assert.equal(tp.inside, null);
    assert.equal(tp.pass, false);
    assert.match(tp.insideMissing ?? "", sameService === false ? /another build/ : /cannot tell/);
  }
  // Without readings at all, the same.
  assert.equal(checkBudgets(fixtureResult(), file).find((c) => c.budget.id === "instant.tp")!.pass, false);
  // A budget that does not ask for it is judged by the load figure even with a reading.
  assert.equal(checkBudgets(fixtureResult(), budgets, inside).find((c) => c.budget.id === "instant.tp")!.pass, false);
});

test("judgedBy is load or same-process, and same-process says why", () => {
  const base = budgets.budgets[1]!;
  assert.throws(
    () => validateBudgets({ budgets: [{ ...base, judgedBy: "same-process" }] }),
    /judgedBy same-process needs a judgedByReason/,
  );
  assert.throws(
    () => validateBudgets({ budgets: [{ ...base, judgedBy: "profile" }] }),
    /judgedBy must be load or same-process/,
  );
  assert.doesNotThrow(() =>
    validateBudgets({ budgets: [{ ...base, judgedBy: "same-process", judgedByReason: "noise" }] }),
  );
});

test("the committed bench/budgets.json is valid, budgets no comparison scenario, and holds issue 11's budgets", () => {
  const file = validateBudgets(JSON.parse(readFileSync(new URL("../../bench/budgets.json", import.meta.url), "utf8")));
  assert.ok(file.budgets.length >= 10);
  for (const b of file.budgets)
    assert.ok(!b.scenarios.some((s) => s === "naive" || s === "sdk-defaults" || s === "off"), b.id);
  const find = (metric: string, profile: string) =>
    file.budgets.filter((b) => b.metric === metric && b.profiles.includes(profile as never));
  // instant@16: throughput loss <= 3 %, p99 <= +5 % (the budgets cover every instant cell, 16 included).
  for (const [metric, max] of [
    ["overhead.throughputLossPct", 3],
    ["overhead.latencyP99Pct", 5],
  ] as const) {
    const b = find(metric, "instant").find((x) => x.scenarios.includes("optimized"));
    assert.equal(b?.max, max, metric);
    assert.ok(b.connections === undefined || b.connections.includes(16));
  }
  // realistic, on the cells that load the service: CPU per request <= +3 %, peak RSS <= +20 MB over off.
  const cpu = find("overhead.cpuPerRequestPct", "realistic")[0];
  assert.deepEqual([cpu?.max, cpu?.cells], [3, "loaded"]);
  const rss = find("overhead.rssPeakOverOffMB", "realistic")[0];
  assert.deepEqual([rss?.max, rss?.cells, rss?.unit], [20, "loaded", "MB"]);
  assert.equal(typeof file.loadedServiceBusyPct, "number");
  // The degraded scenarios: no failed request, in the worst repetition.
  const degraded = file.budgets.find((b) => b.metric === "metric.failedRequests" && b.scenarios.includes("hung"));
  assert.deepEqual(
    [degraded?.max, degraded?.aggregate, [...(degraded?.scenarios ?? [])].sort()],
    [0, "max", ["down", "flaky", "hung", "slow"]],
  );
});

test("invalid budget files are refused", () => {
  assert.throws(() => validateBudgets({}), /budgets/);
  assert.throws(
    () =>
      validateBudgets({
        budgets: [{ id: "x", profiles: ["instant"], scenarios: ["optimized"], metric: "overhead.nope", max: 1 }],
      }),
    /metric/,
  );
  assert.throws(
    () =>
      validateBudgets({
        budgets: [{ id: "x", profiles: ["fast"], scenarios: ["optimized"], metric: "metric.failedRequests", max: 1 }],
      }),
    /profiles/,
  );
  assert.throws(
    () =>
      validateBudgets({
        budgets: [
          {
            id: "x",
            profiles: ["instant"],
            scenarios: ["optimized"],
            cells: "loaded",
            metric: "metric.failedRequests",
            max: 1,
          },
        ],
      }),
    /loadedServiceBusyPct/,
  );
  assert.throws(
    () =>
      validateBudgets({
        budgets: [
          {
            id: "x",
            profiles: ["instant"],
            scenarios: ["optimized"],
            connections: [0],
            metric: "metric.failedRequests",
            max: 1,
          },
        ],
      }),
    /connections/,
  );
  assert.throws(
    () =>
      validateBudgets({
        budgets: [],
        tracingCost: [
          { id: "y", description: "d", variant: "switchboard", payload: "2KB", metric: "nope", max: 1, unit: "us" },
        ],
      }),
    /metric must be one of/,
  );
});
