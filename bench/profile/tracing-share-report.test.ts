import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { loadBudgets } from "../budgets.js";
import { BUDGETS_FILE, ROOT, TRACING_SHARE_DOC, TRACING_SHARE_REFERENCE } from "../paths.js";
import { tracingCost } from "./tracing-attribution.js";
import { checkTracingShare, validateTracingShareBudgets, type TracingShareBudget } from "./tracing-share-budgets.js";
import {
  renderTracingSharePage,
  TRACING_SHARE_SCHEMA,
  type ShareRun,
  type TracingShareResult,
} from "./tracing-share-report.js";

const OPTIMIZED_BUDGET: TracingShareBudget = {
  id: "t.optimized",
  description: "our defaults",
  scenario: "optimized",
  metric: "overheadOfUntracedPct",
  max: 3,
  unit: "%",
};

function run(tracingMs: number, cpuPerTurnUs: number): ShareRun {
  const cpu = { busyMs: 1000, tracingMs, gcMs: 100, samples: 2000 };
  const allocation = { totalBytes: 1000, tracingBytes: 10 };
  const cost = tracingCost(cpu, allocation, 1000, 1200);
  return {
    turns: 400,
    processCpuMs: 1200,
    mainCpuMs: 1000,
    cpuSamples: cpu.samples,
    busyMs: cpu.busyMs,
    tracingMs,
    gcMs: cpu.gcMs,
    allocatedBytes: allocation.totalBytes,
    tracingAllocatedBytes: allocation.tracingBytes,
    cost,
    cpuPerTurnUs,
    tracingPerTurnUs: (cost.processShare * 1200 * 1000) / 400,
  };
}

const synthetic: TracingShareResult = {
  schema: TRACING_SHARE_SCHEMA,
  createdAt: "2026-12-07T22:00:00.000Z",
  totalSeconds: 300,
  machine: {
    cpuModel: "Test CPU",
    cores: 2,
    totalMemoryBytes: 2 ** 30,
    os: "linux",
    nodeVersion: "v20.0.0",
    gitCommit: "0123456789abcdef",
    gitDirty: false,
  },
  options: {
    warmupSec: 15,
    windowSec: 20,
    allocationWindowSec: 5,
    repeat: 3,
    store: "memory",
    placement: "service pinned to CPU 0",
  },
  scenarios: [
    {
      scenario: "optimized",
      profile: "instant",
      connections: 16,
      description: "our defaults",
      runs: [run(20, 3000), run(30, 2500), run(25, 2800)],
    },
    {
      scenario: "optimized",
      profile: "realistic",
      connections: 512,
      description: "our defaults",
      runs: [run(50, 4000)],
    },
  ],
};

test("the page gives each scenario's median share and its range over the processes", () => {
  const checks = checkTracingShare([OPTIMIZED_BUDGET], synthetic);
  const page = renderTracingSharePage(synthetic, "bench/results/tracing-share/x.json", checks);
  const row = page.split("\n").find((l) => l.startsWith("| `optimized` | instant@16 |"));
  assert.ok(row, "a row per scenario and cell");
  assert.ok(page.includes("| `optimized` | realistic@512 |"));
  // One description per scenario, however many cells it ran in.
  assert.equal(page.split("\n").filter((l) => l.startsWith("- `optimized`:")).length, 1);
  // Own frames 2.0, 3.0, 2.5 % of the main thread: median 2.5 %, range 2.0–3.0 %.
  assert.match(row, /\| 2\.50 % \(2\.00 %–3\.00 %\) \|/);
  // CPU per turn: median 2800 us of 2500–3000.
  assert.match(row, /\| 2800 \(2500–3000\) \|/);
  assert.match(page, /from bench\/results\/tracing-share\/x\.json/);
  assert.match(page, /git 0123456789ab/);
  // The worst process is judged.
  const worst = Math.max(...synthetic.scenarios[0]!.runs.map((r) => r.cost.overheadOfUntraced * 100));
  assert.equal(checks[0]!.value, worst);
  assert.match(page, new RegExp(`\\| ${worst.toFixed(2)} % \\| PASS \\|`));
});

test("a budget judges its own cell: instant@16 when it names none", () => {
  const [instant, realistic] = checkTracingShare(
    [OPTIMIZED_BUDGET, { ...OPTIMIZED_BUDGET, id: "t.realistic", cell: "realistic@512" }],
    synthetic,
  );
  const worst = (i: number) => Math.max(...synthetic.scenarios[i]!.runs.map((r) => r.cost.overheadOfUntraced * 100));
  assert.equal(instant!.value, worst(0));
  assert.equal(realistic!.value, worst(1));
  assert.notEqual(worst(0), worst(1));
  assert.deepEqual(
    checkTracingShare([{ ...OPTIMIZED_BUDGET, cell: "instant@64" }], synthetic).map((c) => [c.value, c.pass]),
    [[null, false]],
  );
  assert.throws(() => validateTracingShareBudgets([{ ...OPTIMIZED_BUDGET, cell: "realistic" }]), /profile@connections/);
});

test("a budget fails on a scenario the result does not hold, and past its limit", () => {
  assert.deepEqual(
    checkTracingShare([{ ...OPTIMIZED_BUDGET, scenario: "every-turn" }], synthetic).map((c) => [c.value, c.pass]),
    [[null, false]],
  );
  assert.equal(checkTracingShare([{ ...OPTIMIZED_BUDGET, max: 0.5 }], synthetic)[0]!.pass, false);
});

test("budgets.json's tracingShare section is valid and judges the committed reference", () => {
  const budgets = loadBudgets(BUDGETS_FILE).tracingShare ?? [];
  assert.ok(budgets.some((b) => b.scenario === "optimized"));
  assert.ok(budgets.some((b) => b.scenario === "off"));
  assert.throws(() => validateTracingShareBudgets([{ ...OPTIMIZED_BUDGET, unit: "ms" }]), /unit must be %/);
});

test("docs/tracing-share.md is generated from the committed bench/results/tracing-share/reference.json", () => {
  const result = JSON.parse(readFileSync(TRACING_SHARE_REFERENCE, "utf8")) as TracingShareResult;
  assert.equal(result.schema, TRACING_SHARE_SCHEMA);
  assert.equal(
    readFileSync(TRACING_SHARE_DOC, "utf8"),
    renderTracingSharePage(
      result,
      relative(ROOT, TRACING_SHARE_REFERENCE),
      checkTracingShare(loadBudgets(BUDGETS_FILE).tracingShare ?? [], result),
    ),
    "docs/tracing-share.md is stale: run `npm run bench:tracing-share -- --reference` and commit what it writes",
  );
});
