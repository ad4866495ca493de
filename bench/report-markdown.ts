// docs/performance.md and its charts, generated from one result file (pure: data in, text out).
import {
  BUSY_UTILIZATION,
  BUSY_WINDOW_MS,
  CALM_UTILIZATION,
  CALM_WINDOW_MS,
  TRACING_DEFAULTS,
} from "../src/tracing/index.js";
import { aaControlOf, aaControls, aaMetricOf, type AaControl } from "./aa-control.js";
import { shareFigureFor, type InsideProcess, type ShareReading } from "./share-reading.js";
import { DEFAULT_ROUNDS } from "./cli-options.js";
import { evaluateBudgets, type Budget, type BudgetCheck, type BudgetExemption, type BudgetFile } from "./budgets.js";
import { cellLoads, loadOf, type CellLoad } from "./cell-load.js";
import type {
  BenchResultFile,
  CpuPlacement,
  OverheadMetric,
  RunResult,
  SpreadJson,
  SummaryMetric,
  SummaryRow,
} from "./result-schema.js";
import { describeCommit } from "./source-state.js";
import { PROFILE_NAMES, PROFILES, SCENARIO_NAMES, SCENARIOS, type ProfileName } from "./scenarios.js";
import { groupedBarChart, lineChart } from "./svg-charts.js";

export interface GeneratedReport {
  markdown: string;
  /** File name (inside the charts folder) -> SVG text. */
  charts: Record<string, string>;
}

export interface ReportOptions {
  /** Path of the result file, as shown in the page. */
  sourceLabel: string;
  /** Folder of the charts relative to the markdown file, e.g. "performance". */
  chartsDir: string;
  budgets: BudgetFile | null;
  /**
   * bench:tracing-share's readings and the build they measured (share-reading.ts), shown beside
   * the CPU, throughput and p99 checks of the cells they measured, and judging the checks whose
   * budget asks for it; none: no such column.
   */
  inside?: InsideProcess;
}

const OVERHEAD_LABELS: Record<OverheadMetric, string> = {
  latencyP50Pct: "latency p50",
  latencyP95Pct: "latency p95",
  latencyP99Pct: "latency p99",
  throughputLossPct: "throughput loss",
  cpuPerRequestPct: "CPU per request",
  cpuPerRequestAddedUs: "tracing's CPU per request (us, all threads)",
  rssPeakPct: "peak RSS",
  rssPeakOverOffMiB: "peak RSS over `off`",
  rssPeakOverOffMB: "peak RSS over `off`",
};

const SUMMARY_LABELS: Partial<Record<SummaryMetric, string>> = {
  failedRequests: "failed requests",
  completenessPct: "spans received",
  serviceBusyPct: "service busy",
};

/** One budget in words: what, how much, where. */
export function describeBudget(b: Budget): string {
  const [kind, name] = b.metric.split(".") as [string, string];
  const what =
    kind === "overhead"
      ? `${OVERHEAD_LABELS[name as OverheadMetric] ?? name}${b.unit === "%" ? " over `off`" : ""}`
      : (SUMMARY_LABELS[name as SummaryMetric] ?? name);
  const limit = b.unit === "%" ? `≤ ${b.max > 0 ? "+" : ""}${b.max} %` : `≤ ${b.max}${b.unit ? ` ${b.unit}` : ""}`;
  const where = [
    b.scenarios.map((x) => `\`${x}\``).join(", "),
    `${b.profiles.join(" and ")}${b.connections ? ` @ ${b.connections.join(", ")} connections` : ""}`,
    ...(b.cells === "loaded" ? ["only the cells that load the service"] : []),
  ].join("; ");
  const judged =
    b.judgedBy === "same-process"
      ? `. Judged inside the traced process where bench:tracing-share measured the cell and scenario: ${b.judgedByReason}`
      : "";
  return `\`${b.id}\`: ${what} ${limit}, ${b.aggregate === "max" ? "worst repetition" : "median of repetitions"} (${where})${b.source ? `. Source: ${b.source}` : ""}${judged}`;
}

/** Where the processes ran, in a clause; null when the result does not say (files before issue #11). */
function placementClause(placement: CpuPlacement | undefined, cores: number): string | null {
  if (!placement) return null;
  if (placement.service === null)
    return `the service, the load generator and the receiver shared the machine's ${cores} cores`;
  return `the service ran alone on CPU ${placement.service} while the load generator and the receiver shared CPU ${placement.others}`;
}

function num(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "n/a";
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  return v.toFixed(digits);
}

function signed(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "n/a";
  return `${v > 0 ? "+" : ""}${v.toFixed(digits)}`;
}

/** "median (min–max)", or just the value for a single repetition. */
function withSpread(
  s: SpreadJson | undefined,
  digits = 1,
  format: (v: number | null, d: number) => string = num,
): string {
  if (!s || s.median === null) return "n/a";
  const [median, min, max] = [format(s.median, digits), format(s.min, digits), format(s.max, digits)];
  if (s.n <= 1 || min === max) return median;
  return `${median} (${min}…${max})`;
}

/** A markdown table; numeric tables right-align every column but the first, text tables align left. */
function table(head: string[], rows: string[][], numeric = true): string {
  const rule = head.map((_, i) => (i === 0 || !numeric ? "---" : "---:")).join("|");
  return [`| ${head.join(" | ")} |`, `|${rule}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

const DEGRADED_PHRASE: Partial<Record<string, string>> = {
  slow: "answering only after 1 s",
  hung: "never answering",
  down: "refusing connections",
  flaky: "failing half the exports with 503",
};

function rowsOf(result: BenchResultFile, profile: ProfileName): SummaryRow[] {
  return result.summary.filter((r) => r.profile === profile);
}

interface Worst {
  row: SummaryRow;
  metric: OverheadMetric;
  value: number;
}

/** The row and overhead (median, in %) that is largest among the given rows. */
export function worstOverhead(rows: readonly SummaryRow[]): Worst | null {
  let worst: Worst | null = null;
  for (const row of rows) {
    if (!row.overheads) continue;
    for (const metric of [
      "latencyP50Pct",
      "latencyP95Pct",
      "latencyP99Pct",
      "throughputLossPct",
      "cpuPerRequestPct",
      "rssPeakPct",
    ] as const) {
      const v = row.overheads[metric].median;
      if (v !== null && (worst === null || v > worst.value)) worst = { row, metric, value: v };
    }
  }
  return worst;
}

/** A cause read from the run's own figures (heuristic, marked as such in the page). */
export function likelyCause(result: BenchResultFile, worst: Worst): string {
  const { row } = worst;
  const runs = result.runs.filter(
    (r) => r.ok && r.profile === row.profile && r.connections === row.connections && r.scenario === row.scenario,
  );
  const sum = (pick: (r: (typeof runs)[number]) => Record<string, number> | undefined) => {
    const out: Record<string, number> = {};
    for (const r of runs) for (const [k, v] of Object.entries(pick(r) ?? {})) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const dropped = sum((r) => r.tracing?.droppedByReason);
  const failures = sum((r) => r.tracing?.exportFailuresByReason);
  const droppedText = Object.entries(dropped)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  const failuresText = Object.entries(failures)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  const cpu = row.overheads?.cpuPerRequestPct.median ?? null;
  const parts: string[] = [];
  switch (row.scenario) {
    case "naive":
      parts.push(
        "the naive pipeline exports every span in its own HTTP request as it ends (no batching) and repeats user and session in every span, so export work and serialization compete with requests for the event loop and the CPU",
      );
      break;
    case "sdk-defaults":
      parts.push(
        "the official SDK serializes inputs and outputs on the request path and creates framework spans for every LangChain run, so each request carries more observations and more CPU work",
      );
      break;
    case "slow":
    case "hung":
    case "down":
    case "flaky":
      parts.push(
        `with the receiver ${DEGRADED_PHRASE[row.scenario] ?? SCENARIOS[row.scenario].description}, export attempts fail, are retried or time out while spans wait in the bounded queue`,
      );
      break;
    case "every-turn":
      parts.push(
        "creating, serializing and exporting the observations of every turn costs CPU in the service process, and with the instant model nothing else hides that cost",
      );
      break;
    default:
      parts.push(
        "creating, serializing and exporting the observations of the turns traced costs CPU in the service process (under saturation the allowance's turns and the shed turns' start and end), and with the instant model nothing else hides that cost",
      );
  }
  if (cpu !== null) parts.push(`CPU per request ${signed(cpu)} % against off`);
  if (failuresText) parts.push(`export failures: ${failuresText}`);
  if (droppedText) parts.push(`spans dropped: ${droppedText}`);
  const placement = placementClause(result.placement, result.machine.cores);
  if (placement) parts.push(placement);
  return parts.join("; ");
}

/** "received %" of a row, marked when a run's grace ended at its limit with spans still held (the figure may be cut short). */
function receivedCell(row: SummaryRow, runs: readonly RunResult[]): string {
  const value = num(row.metrics.completenessPct.median, 1);
  const cut = runs.filter(
    (r) =>
      r.ok &&
      r.profile === row.profile &&
      r.connections === row.connections &&
      r.scenario === row.scenario &&
      r.tracing?.graceEnd === "limit" &&
      (r.tracing.heldAfterGrace ?? 1) > 0,
  );
  if (cut.length === 0) return value;
  const held = cut.map((r) => r.tracing!.heldAfterGrace).filter((h): h is number => typeof h === "number");
  return `${value} (${cut.length} run(s) reached the ${num(Math.max(...cut.map((r) => r.tracing!.graceSeconds)), 1)} s grace limit with the pipeline still holding ${held.length ? `up to ${Math.max(...held)}` : "an unknown number of"} spans)`;
}

function resultsTable(rows: SummaryRow[], runs: readonly RunResult[]): string {
  const head = [
    "scenario",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "failed",
    "CPU ms/req",
    "busy %",
    "peak RSS MiB",
    "final RSS MiB",
    "EL p99 ms",
    "spans created",
    "received %",
    "after stop %",
  ];
  const m = (r: SummaryRow, k: SummaryMetric) => r.metrics[k];
  return table(
    head,
    rows.map((r) => [
      `${r.scenario}${r.failedRuns > 0 ? ` (${r.failedRuns} run(s) failed)` : ""}`,
      withSpread(m(r, "throughputRps"), 0),
      withSpread(m(r, "latencyP50Ms"), 1),
      withSpread(m(r, "latencyP95Ms"), 1),
      withSpread(m(r, "latencyP99Ms"), 1),
      num(m(r, "failedRequests").max, 0),
      withSpread(m(r, "cpuMsPerRequest"), 3),
      num(m(r, "serviceBusyPct")?.median, 0),
      withSpread(m(r, "rssPeakMiB"), 0),
      num(m(r, "rssFinalMiB").median, 0),
      num(m(r, "eventLoopP99Ms").median, 1),
      r.scenario === "off" ? "–" : num(m(r, "spansCreated").median, 0),
      r.scenario === "off" ? "–" : receivedCell(r, runs),
      r.scenario === "off" ? "–" : num(m(r, "completenessAfterStopPct").median, 1),
    ]),
  );
}

/** Which cells load the service, and so which the "loaded cells" budgets judge. */
function cellLoadTable(loads: readonly CellLoad[], threshold: number): string {
  return table(
    ["cell", "service busy in `off` (median)", "reads as"],
    loads.map((l) => [
      `${l.profile}@${l.connections}`,
      l.busyPct === null ? "not recorded" : `${l.busyPct.toFixed(0)} %`,
      l.loaded === null ? "unknown (re-run)" : l.loaded ? "loaded" : `mostly idle (< ${threshold} %)`,
    ]),
    false,
  );
}

function overheadTable(rows: SummaryRow[]): string {
  const head = [
    "connections",
    "scenario",
    "p50 %",
    "p95 %",
    "p99 %",
    "throughput loss %",
    "CPU/req %",
    "CPU/req added, us",
    "peak RSS %",
  ];
  const keys: OverheadMetric[] = [
    "latencyP50Pct",
    "latencyP95Pct",
    "latencyP99Pct",
    "throughputLossPct",
    "cpuPerRequestPct",
    "cpuPerRequestAddedUs",
    "rssPeakPct",
  ];
  return table(
    head,
    rows
      .filter((r) => r.overheads)
      .map((r) => [String(r.connections), r.scenario, ...keys.map((k) => withSpread(r.overheads![k], 1, signed))]),
  );
}

/**
 * The A/A control's figure for a check (see aa-control.ts): the same overhead between the cell's
 * two `off` services, for a check judged on paired windows; "–" where there is none.
 */
function aaFigure(c: BudgetCheck, controls: readonly AaControl[]): string {
  const metric = aaMetricOf(c.budget.metric);
  const control = aaControlOf(controls, c.profile, c.connections);
  if (!metric || !control || SCENARIOS[c.scenario].degraded) return "–";
  return `${withSpread(control.overheads[metric], 1, signed)} %`;
}

/** The same-process reading beside a check (see share-reading.ts); "–" where there is none. */
function shareFigure(c: BudgetCheck, readings: readonly ShareReading[]): string {
  const figure = shareFigureFor(readings, c.budget.metric, c.scenario, c.profile, c.connections);
  if (!figure) return "–";
  if (figure.kind === "longest-hold") return `longest hold ${withSpread(figure.ms, 1)} ms`;
  return `${withSpread(figure.pct, 2, signed)} %${figure.kind === "p99-part" ? " of the p99" : ""}`;
}

/** The session store(s) of a run's services: the fresh-process runs' too, where it differs. */
function sessionsOf(options: BenchResultFile["options"]): string {
  const degraded = options.degradedSessionStore ?? options.sessionStore;
  return degraded === options.sessionStore
    ? options.sessionStore
    : `${options.sessionStore} (paired windows), ${degraded} (fresh-process runs)`;
}

/** A budget's unit as the table writes it after a figure. */
const unitOf = (b: Budget) => (b.unit === "%" ? " %" : b.unit ? ` ${b.unit}` : "");

/** PASS or FAIL, and what judged it when that was not the load figure. */
function verdictCell(c: BudgetCheck): string {
  const unit = unitOf(c.budget);
  const value = (v: number) => (c.budget.unit === "%" ? signed(v, 2) : num(v, 1));
  const why = [
    ...(c.inside !== null ? [`judged inside the traced process: ${value(c.inside)}${unit}`] : []),
    ...(c.insideMissing ? [c.insideMissing] : []),
    ...(c.note ? [c.note] : []),
  ];
  const verdict = c.pass ? "PASS" : "**FAIL**";
  return why.length > 0 ? `${verdict} (${why.join("; ")})` : verdict;
}

function budgetTable(
  checks: BudgetCheck[],
  exemptions: BudgetExemption[],
  controls: readonly AaControl[],
  readings: readonly ShareReading[],
): string {
  const withShare = readings.length > 0;
  return table(
    [
      "budget",
      "cell",
      "measured",
      "limit",
      "result",
      "A/A: off against off",
      ...(withShare ? ["inside the traced process"] : []),
    ],
    [
      ...checks.map((c) => {
        const unit = unitOf(c.budget);
        const value = c.budget.unit === "%" ? signed(c.value) : num(c.value, 1);
        return [
          c.budget.id,
          `${c.profile}@${c.connections} ${c.scenario}`,
          `${value}${unit}${c.budget.aggregate === "max" ? " (worst rep.)" : ""}`,
          `≤ ${c.budget.max}${unit}`,
          verdictCell(c),
          aaFigure(c, controls),
          ...(withShare ? [shareFigure(c, readings)] : []),
        ];
      }),
      ...exemptions.map((e) => [
        e.budget.id,
        `${e.profile}@${e.connections} ${e.scenario}`,
        "–",
        `≤ ${e.budget.max}${unitOf(e.budget)}`,
        `not judged: ${e.reason}`,
        "–",
        ...(withShare ? ["–"] : []),
      ]),
    ],
    false,
  );
}

/** The A/A control of every cell that has one, as a table and what it means for the budgets. */
function aaSection(controls: readonly AaControl[]): string[] {
  const md: string[] = [];
  md.push("### The method's own noise: `off` against `off`");
  md.push("");
  if (controls.length === 0) {
    md.push(
      "No cell of this result holds two `off` services (the peers' cell did not run), so it does not say how far two identical services differ in one round.",
    );
    return md;
  }
  md.push(
    "Where the peers ran, a (profile, connections) has two `off` services: ours, in our paired cell, and the peers', in theirs, measured after ours. They run the same code with the same configuration, so the peers' `off` against ours, taken round by round as a traced scenario's overhead is, is what the method reports between two identical services: one process against another, plus whatever changed on the machine in the minutes between the two cells. A traced scenario is compared within its own round, which leaves that drift out but not the process against process; so this A/A figure bounds the noise of a check from above rather than measuring it. The A/A column above is that figure for the check's metric and cell: where a budget is much smaller than its spread, the check needs more than this many rounds and processes to tell a cost of the budget's size from the machine, whichever way it came out.",
  );
  md.push("");
  md.push(
    table(
      ["cell", "rounds", "CPU per request %", "throughput loss %", "latency p99 %"],
      controls.map((c) => [
        `${c.profile}@${c.connections}`,
        String(c.rounds),
        withSpread(c.overheads.cpuPerRequestPct, 1, signed),
        withSpread(c.overheads.throughputLossPct, 1, signed),
        withSpread(c.overheads.latencyP99Pct, 1, signed),
      ]),
    ),
  );
  return md;
}

export function generateReport(result: BenchResultFile, options: ReportOptions): GeneratedReport {
  const charts: Record<string, string> = {};
  const md: string[] = [];
  const m = result.machine;
  const { checks, exemptions } = options.budgets
    ? evaluateBudgets(result, options.budgets, options.inside)
    : { checks: [], exemptions: [] };
  const failed = checks.filter((c) => !c.pass);
  const threshold = options.budgets?.loadedServiceBusyPct ?? null;
  const loads = threshold === null ? [] : cellLoads(result.summary, threshold);

  md.push("# Performance");
  md.push("");
  md.push(
    `> Generated by \`node dist/bench/report.js ${options.sourceLabel}\` from \`${options.sourceLabel}\` (measured ${result.createdAt}). Do not edit by hand: run \`npm run bench\` (or \`npm run bench -- --reference\`) and commit the result.`,
  );
  md.push("");
  if (result.options.quick || result.options.repeat < 3 || result.runs.some((r) => !r.ok)) {
    const why = [
      result.options.quick ? "a `--quick` smoke run" : null,
      result.options.repeat < 3 ? `${result.options.repeat} repetition(s)` : null,
      result.runs.some((r) => !r.ok) ? `${result.runs.filter((r) => !r.ok).length} failed run(s)` : null,
    ]
      .filter(Boolean)
      .join(", ");
    md.push(
      `> **Indicative only:** this result comes from ${why}; the default suite (\`npm run bench\`, ${result.runs.some((r) => r.method === "paired-window") ? `${DEFAULT_ROUNDS} rounds` : "3 repetitions"}) is the reference.`,
    );
    md.push("");
  }
  md.push("## Promise and verdict");
  md.push("");
  md.push(
    `The seed promised that tracing costs the request path **less than 5 % latency, no noticeable throughput loss, and less than 10 % more CPU and memory**. \`bench/budgets.json\` turns that into checks, each against \`off\` of the same cell and repetition (a degraded run's peak RSS against the median of the cell's fresh \`off\` runs); ${SCENARIO_NAMES.filter(
      (n) => n !== "off" && !SCENARIOS[n].budgeted,
    )
      .map((n) => `\`${n}\``)
      .join(
        ", ",
      )} are comparisons, reported but not budgeted. Our defaults trace every turn while the service has CPU to spare; while its event loop is busy (at least ${BUSY_UTILIZATION * 100} % of a ${BUSY_WINDOW_MS} ms window, until below ${CALM_UTILIZATION * 100} % of a ${CALM_WINDOW_MS} ms one) they trace ${TRACING_DEFAULTS.busyTracesPerSec} ordinary turns a second and every failed, cut-short, clarifying or slow one (by its root), because under saturation each traced turn's CPU is taken from requests; \`every-turn\` shows what tracing all of them costs there:`,
  );
  md.push("");
  for (const b of options.budgets?.budgets ?? []) md.push(`- ${describeBudget(b)}.`);
  md.push("");
  if (threshold !== null && loads.length > 0) {
    const loaded = loads.filter((l) => l.loaded === true).map((l) => `${l.profile}@${l.connections}`);
    const idle = loads.filter((l) => l.loaded === false).map((l) => `${l.profile}@${l.connections}`);
    md.push(
      `**Which cells load the service.** A cell loads the service when \`off\` keeps it at least ${threshold} % busy (CPU time over the measured window, of the core(s) it may use). In a mostly idle cell latency is the model's, and per-second costs that do not grow with requests (timers, the exporter's flushes, the harness's /metrics scrapes) are spread over few requests: CPU and memory per request there say more about the idle time than about tracing, so the budgets marked "only the cells that load the service" judge the loaded cells. ` +
        (loads.every((l) => l.loaded === null)
          ? "This result does not record the service's busy % (it was written before issue #11): re-run to tell which cells load the service."
          : `In this result: ${loaded.length ? `loaded ${loaded.join(", ")}` : "no cell loads the service"}${idle.length ? `; mostly idle ${idle.join(", ")}` : ""}${loads.some((l) => l.loaded === null) ? "; not recorded for the others" : ""}.`),
    );
    md.push("");
    md.push(cellLoadTable(loads, threshold));
    md.push("");
  }
  if (checks.length > 0) {
    md.push(
      failed.length === 0
        ? `**Measured: all ${checks.length} budget checks pass.**`
        : `**Measured: ${failed.length} of ${checks.length} budget checks fail** (${[...new Set(failed.map((c) => c.budget.id))].join(", ")}); see [Budgets](#budgets).`,
    );
    md.push("");
  }
  for (const profile of PROFILE_NAMES) {
    const ours = rowsOf(result, profile).filter(
      (r) => (r.scenario === "optimized" || r.scenario === "every-turn") && r.overheads,
    );
    for (const r of ours) {
      const overheads = r.overheads!;
      const completeness = r.metrics.completenessPct.median;
      const anomaly =
        completeness !== null && completeness > 100.5
          ? " (more unique spans received than the service counted as created: its created counter misses some observations)"
          : "";
      const load = loadOf(loads, profile, r.connections);
      const idle = load?.loaded === false ? ` (mostly idle: \`off\` ${num(load.busyPct, 0)} % busy)` : "";
      md.push(
        `- \`${r.scenario}\`, ${profile} @ ${r.connections} connections${idle}: latency p50 ${signed(overheads.latencyP50Pct.median)} %, p95 ${signed(overheads.latencyP95Pct.median)} %, p99 ${signed(overheads.latencyP99Pct.median)} %, throughput loss ${signed(overheads.throughputLossPct.median)} %, CPU per request ${signed(overheads.cpuPerRequestPct.median)} %, peak RSS ${signed(overheads.rssPeakPct.median)} %; ${num(completeness)} % of spans delivered${anomaly}.`,
      );
    }
  }
  md.push("");
  const worstAll = worstOverhead(result.summary);
  const worstOurs = worstOverhead(result.summary.filter((r) => SCENARIOS[r.scenario].budgeted));
  const describeWorst = (w: Worst) =>
    `**${w.row.scenario}** (${w.row.profile} @ ${w.row.connections} connections): ${OVERHEAD_LABELS[w.metric]} ${signed(w.value)} % against \`off\``;
  if (worstAll) {
    md.push(`Worst scenario overall: ${describeWorst(worstAll)}.`);
    if (worstOurs) md.push(`Worst scenario of our pipeline (budgeted): ${describeWorst(worstOurs)}.`);
    md.push("");
    const w = worstOurs ?? worstAll;
    md.push(
      `<!-- cause: generated from the result's figures by bench/report-markdown.ts (likelyCause); replace with an analysis when the data says more -->`,
    );
    md.push(`*Cause (generated from the data):* ${likelyCause(result, w)}.`);
    md.push("");
  }

  md.push("## Machine and method");
  md.push("");
  md.push(
    table(
      ["", ""],
      [
        ["CPU", `${m.cpuModel}, ${m.cores} cores`],
        ["memory", `${(m.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB`],
        ["OS", m.os],
        ["Node.js", m.nodeVersion],
        [
          "commit",
          `${describeCommit(m.gitCommit, m.gitDirty)}${m.sourceReadAtStart ? ", read when the run started" : ", read when the run ended (a result written before issue #11: the build measured was taken at the start)"}`,
        ],
        ["CPU placement", result.placement?.description ?? "not recorded"],
        [
          "options",
          `${result.options.quick ? "--quick, " : ""}${result.options.repeat} repetition(s), profiles ${result.options.profiles.join(", ")}, sessions ${sessionsOf(result.options)}, grace ≤ ${result.options.graceMaxSeconds} s, timeout ${result.options.timeoutSeconds} s`,
        ],
        [
          "runs",
          `${result.runs.length} (${result.runs.filter((r) => !r.ok).length} failed), ${Math.round(result.totalSeconds / 60)} min`,
        ],
      ],
      false,
    ),
  );
  md.push("");
  md.push(
    result.runs.some((r) => r.method === "paired-window")
      ? "The service is `node dist/src/main.js` (simulated model, `LOG_LEVEL=warn`), with a local receiver for the traced scenarios, loaded on `POST /api/v1/chat` by autocannon from the harness process. The non-degraded scenarios run side by side as warm processes (ours in one cell, the peers naive and sdk-defaults in a cell of their own, each with its own `off`) and are measured in paired windows, round after round (a repetition is a round); the degraded scenarios get a fresh process per run, repetitions interleaved (see the notes)."
      : "Every run starts a fresh service process (`node dist/src/main.js`, simulated model, `LOG_LEVEL=warn`), a fresh local receiver for the traced scenarios, warms up, then loads `POST /api/v1/chat` with autocannon from the harness process. Repetitions are interleaved (repetition 1 runs every scenario, then repetition 2 ...), so machine drift hits every scenario alike.",
  );
  md.push("");
  for (const note of result.notes) md.push(`- ${note}`);
  md.push("");
  md.push(
    table(
      ["scenario", "what it is"],
      SCENARIO_NAMES.map((s) => [`\`${s}\``, SCENARIOS[s].description]),
      false,
    ),
  );
  md.push("");
  md.push(
    table(
      ["profile", "model", "connections (default suite)"],
      PROFILE_NAMES.map((p) => [
        `\`${p}\``,
        PROFILES[p].description,
        `${PROFILES[p].connections.join(", ")} (spans-off, every-turn and the degraded scenarios at ${PROFILES[p].focusConnections})`,
      ]),
      false,
    ),
  );
  md.push("");

  for (const profile of PROFILE_NAMES) {
    const rows = rowsOf(result, profile);
    if (rows.length === 0) continue;
    md.push(`## Profile \`${profile}\``);
    md.push("");
    md.push(PROFILES[profile].description + ". Figures: median over repetitions (min…max).");
    md.push("");
    const counts = [...new Set(rows.map((r) => r.connections))].sort((a, b) => a - b);
    for (const c of counts) {
      const cell = rows.filter((r) => r.connections === c);
      md.push(`### ${profile} @ ${c} connections`);
      md.push("");
      const load = loadOf(loads, profile, c);
      if (load?.loaded === false) {
        md.push(
          `\`off\` keeps the service ${num(load.busyPct, 0)} % busy here: mostly idle, so the CPU and memory figures below say little about tracing's overhead (the budgets on them judge the cells that load the service).`,
        );
        md.push("");
      }
      md.push(resultsTable(cell, result.runs));
      md.push("");
      const name = `latency-${profile}-c${c}.svg`;
      charts[name] = groupedBarChart({
        title: `Latency percentiles, ${profile} @ ${c} connections (median of repetitions)`,
        groups: cell.map((r) => r.scenario),
        series: [
          { name: "p50", values: cell.map((r) => r.metrics.latencyP50Ms.median) },
          { name: "p95", values: cell.map((r) => r.metrics.latencyP95Ms.median) },
          { name: "p99", values: cell.map((r) => r.metrics.latencyP99Ms.median) },
        ],
        yLabel: "ms",
      });
      md.push(`![Latency percentiles, ${profile} @ ${c} connections](${options.chartsDir}/${name})`);
      md.push("");
    }
    md.push(`### Overheads against \`off\` (${profile})`);
    md.push("");
    md.push("Positive = worse than `off` (slower, fewer requests per second, more CPU or memory).");
    md.push("");
    md.push(overheadTable(rows));
    md.push("");
    if (counts.length > 1) {
      const scenarios = SCENARIO_NAMES.filter((s) =>
        counts.every((c) => rows.some((r) => r.connections === c && r.scenario === s)),
      );
      const name = `throughput-${profile}.svg`;
      charts[name] = lineChart({
        title: `Throughput per connection count, ${profile}`,
        x: counts,
        xLabel: "connections",
        yLabel: "requests/s",
        series: scenarios.map((s) => ({
          name: s,
          values: counts.map(
            (c) => rows.find((r) => r.connections === c && r.scenario === s)?.metrics.throughputRps.median ?? null,
          ),
        })),
      });
      md.push(`![Throughput per connection count, ${profile}](${options.chartsDir}/${name})`);
      md.push("");
    }
  }

  md.push("## Budgets");
  md.push("");
  if (checks.length === 0) md.push("No budget applies to this result.");
  else {
    const controls = aaControls(result.runs);
    const readings = options.inside?.readings ?? [];
    md.push(budgetTable(checks, exemptions, controls, readings));
    md.push("");
    if (readings.length > 0) {
      md.push(
        "The last column is read inside one traced process by `npm run bench:tracing-share` ([tracing-share.md](tracing-share.md), median (min…max) of its fresh processes), where the cell and scenario were measured there. Beside a CPU or throughput check: tracing's CPU over the untraced work, which at a saturated core, and with the instant model's all-CPU turn, is the CPU per request tracing adds and the throughput it takes. Beside a p99 check: tracing's part of the requests' latency p99, the p99 of the requests over the p99 of the same requests less the tracing work that fell inside each (or, in a reference that did not record it, the longest tracing held the main thread at a time). Neither has a second process in it, so none of the noise below. A budget marked \"judged inside the traced process\" (bench/budgets.json, `judgedBy`) is judged by that reading where there is one, and only when it measured the same service as this result (the same `src/` and `package-lock.json`): CPU per request and throughput loss by tracing's CPU over the untraced work, latency p99 by tracing's part of the p99 (the budget's median or worst of the processes). Everywhere else the load benchmark's figure judges.",
      );
      md.push("");
    }
    md.push(...aaSection(controls));
  }
  md.push("");
  md.push("## Reproduce");
  md.push("");
  md.push("```sh");
  // The suite's length as of the method that wrote the result (paired windows since issue 19).
  const [suiteMin, quickMin] = result.runs.some((r) => r.method === "paired-window") ? [25, 4] : [20, 2];
  md.push(
    `npm run bench                          # default suite (~${suiteMin} min on 2 cores), writes bench/results/<timestamp>.json and this page`,
  );
  md.push(
    `npm run bench -- --quick               # smoke run (~${quickMin} min), does not touch this page or the reference`,
  );
  md.push(
    "npm run bench -- --reference           # default suite, also overwrites bench/results/reference.json (refused on uncommitted changes)",
  );
  md.push("npm run bench -- --check [file]        # budgets: PASS/FAIL per check, exit code 1 on a failure");
  md.push("node dist/bench/report.js [file]       # regenerate this page from a result file");
  md.push("```");
  md.push("");
  return { markdown: md.join("\n"), charts };
}
