// The result file's shape, the targets, and the two renderings (stdout and docs/tracing-cost.md).
// Pure: everything here works on a result object, so it is unit-tested without running anything.
import type { MachineInfo as BaseMachineInfo } from "../result-schema.js";
import { formatSpread, spread, type Spread } from "./stats.js";
import type { ConcurrentMeasurement, SequentialMeasurement } from "./measure.js";

export const RESULT_SCHEMA = "switchboard.tracing-cost/1";

/** The load suite's machine description, plus how busy the machine was. */
export interface MachineInfo extends BaseMachineInfo {
  /** 1-minute load average when the run started and ended: other processes share the cores. */
  loadAverageStart: number;
  loadAverageEnd: number;
}

export interface PayloadSpec {
  name: string;
  inputChars: number;
  outputChars: number;
  sequentialRequests: number;
  concurrentRequests: number;
}

export interface RoundResult {
  round: number;
  sequential: SequentialMeasurement;
  concurrent: ConcurrentMeasurement;
  /** This round's value minus the `none` variant's in the same round and payload. */
  overhead: { inRequestUs: number; mainUs: number; mainInclDrainUs: number; cpuInclDrainUs: number };
  /** disabled / sampled-out only: CPU of the Tracing calls alone per request (measureCallsOnly), this round. */
  callsOnlyUs?: number;
}

export interface CellSummary {
  inRequestUs: Spread;
  mainUs: Spread;
  mainInclDrainUs: Spread;
  cpuUs: Spread;
  cpuInclDrainUs: Spread;
  overheadInRequestUs: Spread;
  overheadMainInclDrainUs: Spread;
  overheadCpuInclDrainUs: Spread;
  eventLoopP99Ms: Spread;
  eventLoopMaxMs: Spread;
  concurrentMainInclDrainUs: Spread;
  /** Over every measurement of the cell (sequential and concurrent, all rounds). */
  spansExpected: number;
  spansUnique: number;
  spansDropped: number;
  tracingErrors: number;
  exportFailures: number;
  /** disabled / sampled-out only. */
  callsOnlyUs: Spread | null;
}

export interface CellResult {
  variant: string;
  payload: string;
  rounds: RoundResult[];
  summary: CellSummary;
}

export interface TargetResult {
  id: string;
  description: string;
  variant: string;
  payload: string;
  metric: string;
  limit: number;
  unit: string;
  measured: number;
  pass: boolean;
}

export interface TracingCostResult {
  schema: typeof RESULT_SCHEMA;
  generatedAt: string;
  mode: "default" | "quick" | "custom";
  durationSeconds: number;
  machine: MachineInfo;
  method: {
    rounds: number;
    concurrency: number;
    payloads: PayloadSpec[];
    request: string;
    modelCall: string;
    receiver: string;
    metrics: Record<string, string>;
  };
  variants: { name: string; description: string }[];
  cells: CellResult[];
  targets: TargetResult[];
  warnings: string[];
}

/** Summary of one variant x payload from its rounds. */
export function summarizeCell(rounds: readonly RoundResult[]): CellSummary {
  const pick = (f: (r: RoundResult) => number) => spread(rounds.map(f));
  let spansExpected = 0;
  let spansUnique = 0;
  let spansDropped = 0;
  let tracingErrors = 0;
  let exportFailures = 0;
  for (const r of rounds) {
    for (const m of [r.sequential, r.concurrent]) {
      exportFailures += m.exportFailures;
      spansExpected += m.spansExpected;
      spansUnique += m.spansUnique;
      spansDropped += m.spansDropped;
      tracingErrors += m.tracingErrors;
    }
  }
  return {
    inRequestUs: pick((r) => r.sequential.inRequestUs),
    mainUs: pick((r) => r.sequential.mainUs),
    mainInclDrainUs: pick((r) => r.sequential.mainInclDrainUs),
    cpuUs: pick((r) => r.sequential.cpuUs),
    cpuInclDrainUs: pick((r) => r.sequential.cpuInclDrainUs),
    overheadInRequestUs: pick((r) => r.overhead.inRequestUs),
    overheadMainInclDrainUs: pick((r) => r.overhead.mainInclDrainUs),
    overheadCpuInclDrainUs: pick((r) => r.overhead.cpuInclDrainUs),
    eventLoopP99Ms: pick((r) => r.concurrent.eventLoopP99Ms),
    eventLoopMaxMs: pick((r) => r.concurrent.eventLoopMaxMs),
    concurrentMainInclDrainUs: pick((r) => r.concurrent.mainInclDrainUs),
    spansExpected,
    spansUnique,
    spansDropped,
    tracingErrors,
    exportFailures,
    callsOnlyUs: rounds.some((r) => r.callsOnlyUs !== undefined) ? spread(rounds.flatMap((r) => (r.callsOnlyUs === undefined ? [] : [r.callsOnlyUs]))) : null,
  };
}

/** Per-round overhead against the `none` rounds of the same payload (paired by round number). */
export function overheadAgainst(sequential: SequentialMeasurement, baseline: SequentialMeasurement | undefined): RoundResult["overhead"] {
  if (!baseline) return { inRequestUs: Number.NaN, mainUs: Number.NaN, mainInclDrainUs: Number.NaN, cpuInclDrainUs: Number.NaN };
  return {
    inRequestUs: sequential.inRequestUs - baseline.inRequestUs,
    mainUs: sequential.mainUs - baseline.mainUs,
    mainInclDrainUs: sequential.mainInclDrainUs - baseline.mainInclDrainUs,
    cpuInclDrainUs: sequential.cpuInclDrainUs - baseline.cpuInclDrainUs,
  };
}

interface TargetSpec {
  id: string;
  description: string;
  variant: string;
  payload: string;
  metric: string;
  limit: number;
  unit: string;
  value: (s: CellSummary) => number;
}

const TARGET_SPECS: TargetSpec[] = [
  ...["2KB", "100KB"].flatMap((payload): TargetSpec[] =>
    ["disabled", "sampled-out"].map((variant) => ({
      id: `${variant}-${payload}-overhead`,
      description: `${variant}: CPU of its Tracing calls per request (isolated, vs an empty loop), ${payload}`,
      variant,
      payload,
      metric: "calls-only CPU per request, median over rounds (the end-to-end difference vs none is shown in the tables; it is within run noise)",
      limit: 1,
      unit: "us",
      value: (s) => s.callsOnlyUs?.median ?? Number.NaN,
    })),
  ),
  {
    id: "switchboard-2KB-overhead",
    description: "switchboard (defaults): CPU added per request incl. export (vs none), 2KB",
    variant: "switchboard",
    payload: "2KB",
    metric: "process CPU added vs none incl. export, median over rounds",
    limit: 30,
    unit: "us",
    value: (s) => s.overheadCpuInclDrainUs.median,
  },
  {
    id: "switchboard-100KB-event-loop-p99",
    description: "switchboard (defaults): event-loop delay p99, 100KB, 16 requests in flight",
    variant: "switchboard",
    payload: "100KB",
    metric: "event-loop delay p99, median over rounds",
    limit: 3,
    unit: "ms",
    value: (s) => s.eventLoopP99Ms.median,
  },
];

/** PASS/FAIL of every target whose cell was measured, plus completeness of every exporting cell. */
export function evaluateTargets(cells: readonly CellResult[], exportingVariants: readonly string[]): TargetResult[] {
  const find = (variant: string, payload: string) => cells.find((c) => c.variant === variant && c.payload === payload);
  const out: TargetResult[] = [];
  for (const t of TARGET_SPECS) {
    const cell = find(t.variant, t.payload);
    if (!cell) continue;
    const measured = t.value(cell.summary);
    out.push({ id: t.id, description: t.description, variant: t.variant, payload: t.payload, metric: t.metric, limit: t.limit, unit: t.unit, measured, pass: Number.isFinite(measured) && measured <= t.limit });
  }
  for (const cell of cells) {
    if (!exportingVariants.includes(cell.variant)) continue;
    const { spansExpected, spansUnique } = cell.summary;
    out.push({
      id: `${cell.variant}-${cell.payload}-complete`,
      description: `${cell.variant}: every span delivered to the receiver, ${cell.payload}`,
      variant: cell.variant,
      payload: cell.payload,
      metric: "unique spans received / 5 x requests traced",
      limit: 1,
      unit: "ratio",
      measured: spansExpected === 0 ? Number.NaN : spansUnique / spansExpected,
      pass: spansExpected > 0 && spansUnique === spansExpected,
    });
  }
  return out;
}

const us = (s: Spread) => formatSpread(s);
const signed = (s: Spread) => formatSpread(s);

function completeness(s: CellSummary, exporting: boolean): string {
  if (!exporting) return s.spansUnique === 0 ? "nothing exported (expected)" : `${s.spansUnique} unexpected`;
  const mark = s.spansUnique === s.spansExpected ? "complete" : "INCOMPLETE";
  const notes = [s.spansDropped ? `${s.spansDropped} counted dropped` : "", s.exportFailures ? `${s.exportFailures} failed attempts` : ""].filter(Boolean);
  return `${s.spansUnique}/${s.spansExpected} ${mark}${notes.length ? ` (${notes.join(", ")})` : ""}`;
}

function mdTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The per-payload cost tables, as Markdown (also what is printed to stdout). */
export function costTables(result: TracingCostResult): string {
  const exporting = new Set(result.method.metrics["exportingVariants"]?.split(",") ?? []);
  const parts: string[] = [];
  for (const p of result.method.payloads) {
    const cells = result.cells.filter((c) => c.payload === p.name);
    if (!cells.length) continue;
    parts.push(
      `### ${p.name}: ${p.inputChars} chars in, ${p.outputChars} chars out; ${p.sequentialRequests} sequential requests per round`,
      "",
      "Microseconds per request, median (min–max) over rounds.",
      "",
      mdTable(
        ["variant", "in request (wall)", "CPU (loop)", "CPU incl. export drain", "added vs none (CPU incl. export)", "main-thread busy incl. drain", "spans delivered"],
        cells.map((c) => [
          `\`${c.variant}\``,
          us(c.summary.inRequestUs),
          us(c.summary.cpuUs),
          us(c.summary.cpuInclDrainUs),
          c.variant === "none" ? "—" : `${signed(c.summary.overheadCpuInclDrainUs)}${c.summary.callsOnlyUs ? `; calls alone ${formatSpread(c.summary.callsOnlyUs, 3)}` : ""}`,
          us(c.summary.mainInclDrainUs),
          completeness(c.summary, exporting.has(c.variant)),
        ]),
      ),
      "",
    );
  }
  return parts.join("\n");
}

export function eventLoopTable(result: TracingCostResult): string {
  const payloads = result.method.payloads.map((p) => p.name);
  const variants = [...new Set(result.cells.map((c) => c.variant))];
  const rows = variants.map((v) => {
    const row = [`\`${v}\``];
    for (const p of payloads) {
      const c = result.cells.find((x) => x.variant === v && x.payload === p);
      row.push(c ? formatSpread(c.summary.eventLoopP99Ms, 2) : "—", c ? formatSpread(c.summary.eventLoopMaxMs, 1) : "—", c ? us(c.summary.concurrentMainInclDrainUs) : "—");
    }
    return row;
  });
  const header = ["variant", ...payloads.flatMap((p) => [`${p} p99 (ms)`, `${p} max (ms)`, `${p} main us/req`])];
  return mdTable(header, rows);
}

export function targetsTable(result: TracingCostResult): string {
  const fmt = (t: TargetResult) => (t.unit === "ratio" ? (Number.isFinite(t.measured) ? t.measured.toFixed(4) : "n/a") : `${t.measured.toFixed(2)} ${t.unit}`);
  return mdTable(
    ["target", "limit", "measured", "result"],
    result.targets.map((t) => [t.description, t.unit === "ratio" ? "= 1" : `<= ${t.limit} ${t.unit}`, fmt(t), t.pass ? "PASS" : "**FAIL**"]),
  );
}

function machineLine(m: MachineInfo): string {
  const gb = (m.totalMemoryBytes / 1024 ** 3).toFixed(1);
  const commit = m.gitCommit ? `${m.gitCommit.slice(0, 12)}${m.gitDirty ? " (with uncommitted changes)" : ""}` : "unknown";
  return `${m.cpuModel}, ${m.cores} cores, ${gb} GiB, ${m.os}, Node ${m.nodeVersion}, git ${commit}; load average ${m.loadAverageStart.toFixed(2)} at start, ${m.loadAverageEnd.toFixed(2)} at end`;
}

/** What run.js prints at the end. */
export function renderStdout(result: TracingCostResult): string {
  return [
    `tracing cost — ${result.mode} run, ${result.method.rounds} rounds, ${result.durationSeconds.toFixed(0)} s`,
    `machine: ${machineLine(result.machine)}`,
    "",
    costTables(result),
    `### Event-loop delay under ${result.method.concurrency} concurrent requests (median (min–max) over rounds)`,
    "",
    eventLoopTable(result),
    "",
    "### Targets",
    "",
    targetsTable(result),
    "",
  ].join("\n");
}

/** docs/tracing-cost.md, generated from the committed reference result. */
export function renderDoc(result: TracingCostResult, referencePath: string): string {
  const m = result.method;
  const failed = result.targets.filter((t) => !t.pass);
  return [
    "# Tracing cost",
    "",
    `<!-- Generated by \`npm run bench:tracing-cost -- --reference\` from ${referencePath}. Do not edit by hand. -->`,
    "",
    "What tracing a chat turn costs the service's main thread, for every tracing setup side by side in one run",
    `(rounds interleaved and the variant order rotated per round, so machine drift hits all variants alike).`,
    "",
    `**Measured on:** ${machineLine(result.machine)}.  `,
    `**Run:** ${result.mode} mode, ${m.rounds} rounds (after one discarded warm-up round), ${result.durationSeconds.toFixed(0)} s, ${result.generatedAt}.  `,
    `**Targets:** ${failed.length === 0 ? "all PASS" : `${failed.length} FAIL (${failed.map((t) => t.id).join(", ")})`}.`,
    "",
    ...(result.machine.loadAverageStart > result.machine.cores / 2
      ? [
          `> **Caution:** the load average was ${result.machine.loadAverageStart.toFixed(1)} on ${result.machine.cores} cores when this run started: other processes`,
          "> were competing for the CPU, so absolute numbers are inflated and noisy. Compare variants within this run, not with other machines.",
          "",
        ]
      : []),
    "## Targets",
    "",
    "The 1 us targets are checked on the Tracing calls alone (the end-to-end difference against `none` is shown in the tables",
    "but is dominated by run-to-run noise of several microseconds). A completeness ratio above 1 means the receiver counted",
    "more unique spans than the pipeline was asked to send, i.e. spans that do not belong to the measurement; below 1, spans lost.",
    "",
    targetsTable(result),
    "",
    "## Main-thread time per request",
    "",
    costTables(result),
    `## Event-loop delay, ${m.concurrency} requests in flight`,
    "",
    "`perf_hooks.monitorEventLoopDelay({ resolution: 1 })` while the requests run; each model call yields to the",
    "event loop between its start and end. The idle floor at this resolution is about 1.1 ms (the 1 ms timer",
    `itself); with ${m.concurrency} requests in flight one loop iteration also carries up to ${m.concurrency} request halves.`,
    "\"main us/req\" is main-thread busy time per request in this concurrent run, drain included.",
    "",
    eventLoopTable(result),
    "",
    "## Variants",
    "",
    ...result.variants.map((v) => `- \`${v.name}\`: ${v.description}`),
    "",
    "## Method",
    "",
    `- **One request:** ${m.request}`,
    `- **Model calls:** ${m.modelCall}`,
    `- **Receiver:** ${m.receiver}`,
    ...m.payloads.map((p) => `- **${p.name}:** ${p.inputChars} chars of input (trace input and each generation's human message), ${p.outputChars} chars of output (each generation's reply and the trace output); ${p.sequentialRequests} sequential and ${p.concurrentRequests} concurrent requests per round.`),
    ...Object.entries(m.metrics)
      .filter(([k]) => k !== "exportingVariants")
      .map(([k, v]) => `- **${k}:** ${v}`),
    "",
    "Per-round raw numbers are in the reference JSON. Re-run with `npm run bench:tracing-cost` (about 3 minutes on 2 cores;",
    "`-- --quick` for a ~20 s smoke run, `-- --reference` to regenerate this page and the reference JSON).",
    "",
    ...(result.warnings.length ? ["## Warnings logged during the run", "", ...result.warnings.map((w) => `- ${w}`), ""] : []),
  ].join("\n");
}
