import { test } from "node:test";
import assert from "node:assert/strict";
import { generateReport, likelyCause, worstOverhead } from "./report-markdown.js";
import { assertResultFile } from "./result-schema.js";
import { summarize } from "./summary.js";
import { escapeXml, groupedBarChart, lineChart, niceTicks } from "./svg-charts.js";
import { fixtureResult, fixtureShareReading } from "./test-fixture.js";
import { methodNotes } from "./suite.js";
import type { Budget, BudgetFile } from "./budgets.js";

const budgets = {
  budgets: [
    {
      id: "instant.p99",
      profiles: ["instant" as const],
      scenarios: ["optimized" as const],
      metric: "overhead.latencyP99Pct",
      max: 5,
      unit: "%",
    },
  ],
};

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
  const { markdown, charts } = generateReport(result, {
    sourceLabel: "bench/results/x.json",
    chartsDir: "performance",
    budgets,
  });
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
  assert.deepEqual(Object.keys(charts).sort(), [
    "latency-instant-c16.svg",
    "latency-realistic-c256.svg",
    "latency-realistic-c64.svg",
    "throughput-realistic.svg",
  ]);
});

test("worst overhead picks the largest median among the rows", () => {
  const w = worstOverhead(fixtureResult().summary.filter((r) => r.scenario !== "naive"));
  assert.equal(w?.row.scenario, "hung");
  assert.equal(w?.metric, "rssPeakPct");
});

test("charts are well-formed SVG with escaped text", () => {
  const bar = groupedBarChart({
    title: "a <b> & c",
    groups: ["x", "y"],
    series: [
      { name: "p50", values: [1, null] },
      { name: "p99", values: [3, 4] },
    ],
    yLabel: "ms",
  });
  assert.match(bar, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(bar, /<\/svg>\n$/);
  assert.ok(bar.includes("a &lt;b&gt; &amp; c"));
  assert.equal((bar.match(/<rect x="[^"]*" y="[^"]*" width=/g) ?? []).length, 3 + 2); // 3 bars + 2 legend swatches
  const line = lineChart({
    title: "t",
    x: [1, 16, 64],
    series: [{ name: "off", values: [10, 20, null] }],
    xLabel: "connections",
    yLabel: "req/s",
  });
  assert.equal((line.match(/<circle /g) ?? []).length, 2);
  assert.equal(escapeXml(`"'`), "&quot;'");
  assert.deepEqual(niceTicks(9), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(0), [0, 1]);
});

const loadedBudgets: BudgetFile = {
  loadedServiceBusyPct: 70,
  budgets: [
    {
      id: "realistic.cpu",
      profiles: ["realistic"],
      scenarios: ["optimized"],
      cells: "loaded",
      metric: "overhead.cpuPerRequestPct",
      max: 3,
      unit: "%",
      source: "issue 11",
    },
  ],
};

test("the page says which cells load the service and which budget cells are not judged", () => {
  const { markdown } = generateReport(fixtureResult(), {
    sourceLabel: "x.json",
    chartsDir: "performance",
    budgets: loadedBudgets,
  });
  assert.match(
    markdown,
    /- `realistic\.cpu`: CPU per request over `off` ≤ \+3 %, median of repetitions \(`optimized`; realistic; only the cells that load the service\)\. Source: issue 11\./,
  );
  assert.match(markdown, /In this result: loaded instant@16, realistic@256; mostly idle realistic@64\./);
  assert.match(markdown, /\| realistic@64 \| 35 % \| mostly idle \(< 70 %\) \|/);
  assert.match(markdown, /- `optimized`, realistic @ 64 connections \(mostly idle: `off` 35 % busy\): /);
  assert.match(markdown, /\| realistic\.cpu \| realistic@256 optimized \| \+6\.7 % \| ≤ 3 % \| \*\*FAIL\*\* \|/);
  assert.match(
    markdown,
    /\| realistic\.cpu \| realistic@64 optimized \| – \| ≤ 3 % \| not judged: mostly idle: off keeps the service 35 % busy, under 70 % \|/,
  );
});

/** A latency p99 budget on realistic's cells. */
const realisticP99: Budget = {
  id: "realistic.latency-p99",
  profiles: ["realistic"],
  scenarios: ["optimized"],
  metric: "overhead.latencyP99Pct",
  max: 5,
  unit: "%",
};

test("a same-process reading stands beside the CPU and p99 checks of its own cell and scenario, not elsewhere", () => {
  const reading = (cell: string, median: number, hold: number | null) =>
    fixtureShareReading(
      cell,
      [median, median - 0.1, median + 0.2],
      hold === null ? null : [hold, hold, hold + 1],
      null,
    );
  const withP99: BudgetFile = {
    ...loadedBudgets,
    budgets: [...loadedBudgets.budgets, realisticP99],
  };
  const { markdown } = generateReport(fixtureResult(), {
    sourceLabel: "x.json",
    chartsDir: "performance",
    budgets: withP99,
    inside: {
      readings: [reading("realistic@256", 1.4, 1.8), reading("realistic@64", 1.1, null), reading("instant@16", 2.5, 3)],
      sameService: true,
      commit: "abc",
    },
  });
  assert.match(
    markdown,
    /\| budget \| cell \| measured \| limit \| result \| A\/A: off against off \| inside the traced process \|/,
  );
  // The check's verdict is still the load figure's; the reading sits in its own column.
  assert.match(
    markdown,
    /\| realistic\.cpu \| realistic@256 optimized \| \+6\.7 % \| ≤ 3 % \| \*\*FAIL\*\* \| [^|]+ \| \+1\.40 \(\+1\.30…\+1\.60\) % \|/,
  );
  // A p99 check gets the longest hold; where the processes recorded none, nothing.
  assert.match(
    markdown,
    /\| realistic\.latency-p99 \| realistic@256 optimized \| [^|]+ \| ≤ 5 % \| [^|]+ \| [^|]+ \| longest hold 1\.8 \(1\.8…2\.8\) ms \|/,
  );
  assert.match(
    markdown,
    /\| realistic\.latency-p99 \| realistic@64 optimized \| [^|]+ \| ≤ 5 % \| [^|]+ \| [^|]+ \| – \|/,
  );
  // An exempt cell gets none.
  assert.match(markdown, /\| realistic\.cpu \| realistic@64 optimized \| – \| ≤ 3 % \| not judged: [^|]+ \| – \| – \|/);
  assert.match(markdown, /read inside one traced process by `npm run bench:tracing-share`/);
  // Without readings the page has no such column.
  const plain = generateReport(fixtureResult(), {
    sourceLabel: "x.json",
    chartsDir: "performance",
    budgets: loadedBudgets,
  });
  assert.doesNotMatch(plain.markdown, /inside the traced process/);
});

test("a check judged inside the traced process says so in its verdict, and its budget says why", () => {
  const judged: BudgetFile = {
    ...loadedBudgets,
    budgets: [...loadedBudgets.budgets, realisticP99].map((b) => ({
      ...b,
      judgedBy: "same-process" as const,
      judgedByReason: "noise",
    })),
  };
  const reading = fixtureShareReading("realistic@256", [1.4, 1.3, 1.6], [1.8, 1.8, 1.8], [0.9, 0.5, 1.2]);
  const page = (sameService: boolean | null) =>
    generateReport(fixtureResult(), {
      sourceLabel: "x.json",
      chartsDir: "performance",
      budgets: judged,
      inside: { readings: [reading], sameService, commit: "abc" },
    }).markdown;
  const same = page(true);
  assert.match(
    same,
    /\| realistic\.cpu \| realistic@256 optimized \| \+6\.7 % \| ≤ 3 % \| PASS \(judged inside the traced process: \+1\.40 %\) \|/,
  );
  assert.match(
    same,
    /Judged inside the traced process where bench:tracing-share measured the cell and scenario: noise/,
  );
  assert.match(
    page(false),
    /\| realistic\.cpu \| realistic@256 optimized \| \+6\.7 % \| ≤ 3 % \| \*\*FAIL\*\* \(the tracing-share reference measured another build of the service: judged by the load figure\) \|/,
  );
});

test("a received % cut short by the grace limit is marked, with what the pipeline still held", () => {
  const { markdown } = generateReport(fixtureResult(), {
    sourceLabel: "x.json",
    chartsDir: "performance",
    budgets: null,
  });
  assert.match(
    markdown,
    /\| naive \| [^\n]* \| 50\.0 \(1 run\(s\) reached the 6\.0 s grace limit with the pipeline still holding up to 50 spans\) \| 50\.0 \|/,
  );
  // Runs whose grace drained are not marked.
  assert.match(markdown, /\| optimized \| [^\n]* \| 100\.0 \| 100\.0 \|/);
});

test("the generated cause agrees with the CPU placement the notes state", () => {
  const pinned = fixtureResult();
  const worst = worstOverhead(pinned.summary)!;
  assert.match(
    likelyCause(pinned, worst),
    /the service ran alone on CPU 0 while the load generator and the receiver shared CPU 1$/,
  );
  assert.doesNotMatch(likelyCause(pinned, worst), /share the machine/);
  assert.match(
    methodNotes(pinned.placement!)[0]!,
    /the service pinned to CPU 0, the receiver and the load generator to CPU 1/,
  );
  assert.doesNotMatch(methodNotes(pinned.placement!).join(" "), /share all its cores/);

  const shared = {
    ...fixtureResult(),
    placement: {
      service: null,
      others: null,
      serviceCores: 2,
      description: "no CPU pinning: service, receiver and load generator share all 2 cores",
    },
  };
  assert.match(
    likelyCause(shared, worstOverhead(shared.summary)!),
    /the service, the load generator and the receiver shared the machine's 2 cores$/,
  );
  assert.match(methodNotes(shared.placement)[0]!, /share all its cores/);
  // A result that does not record its placement gets no claim about it.
  const unknown = { ...fixtureResult(), placement: undefined };
  assert.doesNotMatch(likelyCause(unknown, worstOverhead(unknown.summary)!), /ran alone|shared|cores/);
});

test("the page names the commit read when the run started, and an older result's as read at its end", () => {
  const { markdown } = generateReport(fixtureResult(), {
    sourceLabel: "x.json",
    chartsDir: "performance",
    budgets: null,
  });
  assert.match(markdown, /\| commit \| abc123, read when the run started \|/);
  const old = fixtureResult();
  old.machine = { ...old.machine, gitDirty: true, sourceReadAtStart: undefined };
  assert.match(
    generateReport(old, { sourceLabel: "x.json", chartsDir: "performance", budgets: null }).markdown,
    /\| commit \| abc123 \(with uncommitted changes\), read when the run ended/,
  );
});

test("the budget table prices each paired check with its cell's A/A control, and the page says what that is", () => {
  const result = fixtureResult();
  // instant@16 in paired windows, with the peers' off measured beside ours: 10 % more CPU per request.
  const paired = result.runs
    .filter((r) => r.profile === "instant" && r.connections === 16 && r.scenario !== "hung")
    .map((r) => ({ ...r, method: "paired-window" as const, group: "ours" as const }));
  const peersOff = paired
    .filter((r) => r.scenario === "off")
    .map((r) => ({
      ...r,
      group: "peers" as const,
      service: { ...r.service!, cpuMsPerRequest: r.service!.cpuMsPerRequest! * 1.1 },
    }));
  const runs = [...paired, ...peersOff];
  const cpuBudgets: BudgetFile = {
    budgets: [
      {
        id: "instant.cpu",
        profiles: ["instant"],
        scenarios: ["optimized"],
        connections: [16],
        metric: "overhead.cpuPerRequestPct",
        max: 3,
        unit: "%",
      },
    ],
  };
  const { markdown } = generateReport(
    { ...result, runs, summary: summarize(runs) },
    { sourceLabel: "bench/results/x.json", chartsDir: "performance", budgets: cpuBudgets },
  );
  const row = markdown.split("\n").find((l) => l.startsWith("| instant.cpu | instant@16 optimized"));
  assert.ok(row, "the check's row is in the budget table");
  assert.match(row, /\| \+10\.0 % \|$/, "its last column is the A/A figure: the peers' off against ours");
  assert.match(markdown, /### The method's own noise: `off` against `off`/);
  assert.match(markdown, /\| instant@16 \| 2 \| \+10\.0 \|/);
});

test("the method says where the sessions were kept, the fresh-process runs' apart when they differ", () => {
  const placement = { service: "0", others: "1", serviceCores: 1, description: "pinned" };
  const split = methodNotes(placement, { sessionStore: "memory", degradedSessionStore: "sqlite" }).join(" ");
  assert.match(
    split,
    /Sessions are kept in memory in the paired windows and in SQLite in the fresh-process runs \(the service's own default\)/,
  );
  const same = methodNotes(placement, { sessionStore: "sqlite", degradedSessionStore: "sqlite" }).join(" ");
  assert.match(same, /Sessions are kept in SQLite in the paired windows and in SQLite in the fresh-process runs\./);
  const result = fixtureResult();
  result.options = { ...result.options, sessionStore: "memory", degradedSessionStore: "sqlite" };
  const { markdown } = generateReport(result, { sourceLabel: "x.json", chartsDir: "performance", budgets: null });
  assert.match(markdown, /sessions memory \(paired windows\), sqlite \(fresh-process runs\)/);
  // A file from before the split: one store for every run.
  const old = fixtureResult();
  delete old.options.degradedSessionStore;
  assert.match(
    generateReport(old, { sourceLabel: "x.json", chartsDir: "performance", budgets: null }).markdown,
    new RegExp(`sessions ${old.options.sessionStore}, grace`),
  );
});
