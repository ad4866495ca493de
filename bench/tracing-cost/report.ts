// The tracing-cost result rendered: to stdout at the end of a run, and as docs/tracing-cost.md.
// Pure: everything here works on a result object, so it is unit-tested without running anything.
import { describeCommit } from "../source-state.js";
import type {
  CallsOnlyResult,
  CellSummary,
  MachineInfo,
  MaybeSpread,
  TargetResult,
  TracingCostResult,
} from "./result.js";
import { formatSpread } from "./stats.js";

const us = (s: MaybeSpread, digits?: number) => (s ? formatSpread(s, digits) : "n/a");

function completeness(s: CellSummary, exporting: boolean): string {
  if (!exporting) return s.spansUnique === 0 ? "nothing exported (expected)" : `${s.spansUnique} unexpected`;
  const mark = s.spansUnique === s.spansExpected ? "complete" : "INCOMPLETE";
  const notes = [
    s.spansDropped ? `${s.spansDropped} counted dropped` : "",
    s.exportFailures ? `${s.exportFailures} failed attempts` : "",
  ].filter(Boolean);
  return `${s.spansUnique}/${s.spansExpected} ${mark}${notes.length ? ` (${notes.join(", ")})` : ""}`;
}

function mdTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The per-payload cost tables, as Markdown (also what is printed to stdout). */
export function costTables(result: TracingCostResult): string {
  const exporting = new Set(result.method.exportingVariants);
  const parts: string[] = [];
  for (const p of result.method.payloads) {
    const cells = result.cells.filter((c) => c.payload === p.name);
    if (!cells.length) continue;
    parts.push(
      `### ${p.name}: ${p.inputChars} chars in, ${p.outputChars} chars out; ${p.sequentialRequests} sequential requests per round`,
      "",
      'Microseconds per request, median (min–max) over rounds. "Main thread" is the event loop\'s thread alone; "process" is every thread of the process (worker threads, GC helpers, libuv) — work moved off the main thread shows in the second, not the first.',
      "",
      mdTable(
        [
          "variant",
          "in request (wall)",
          "main-thread CPU incl. export",
          "added vs none: main thread",
          "process CPU (all threads) incl. export",
          "added vs none: process",
          "spans delivered",
        ],
        cells.map((c) => [
          `\`${c.variant}\``,
          us(c.summary.inRequestUs),
          us(c.summary.mainThreadCpuInclDrainUs),
          c.variant === "none" ? "—" : us(c.summary.overheadMainThreadCpuInclDrainUs),
          us(c.summary.processCpuInclDrainUs),
          c.variant === "none" ? "—" : us(c.summary.overheadProcessCpuInclDrainUs),
          completeness(c.summary, exporting.has(c.variant)),
        ]),
      ),
      "",
    );
  }
  return parts.join("\n");
}

/** The Tracing calls alone (disabled, sampled-out): one figure per variant, not per payload. */
export function callsOnlyTable(callsOnly: readonly CallsOnlyResult[]): string {
  return mdTable(
    ["variant", "main-thread CPU per request, us: median (min–max) over rounds", "rounds × repetitions"],
    callsOnly.map((c) => [
      `\`${c.variant}\``,
      formatSpread(c.summary, 3),
      `${c.rounds.length} × ${c.rounds[0]?.repsUs.length ?? 0}`,
    ]),
  );
}

export function eventLoopTable(result: TracingCostResult): string {
  const payloads = result.method.payloads.map((p) => p.name);
  const variants = [...new Set(result.cells.map((c) => c.variant))];
  const rows = variants.map((v) => {
    const row = [`\`${v}\``];
    for (const p of payloads) {
      const c = result.cells.find((x) => x.variant === v && x.payload === p);
      row.push(
        c ? formatSpread(c.summary.eventLoopP99Ms, 2) : "—",
        c ? formatSpread(c.summary.eventLoopMaxMs, 1) : "—",
        c ? String(Math.round(c.summary.eventLoopSamples?.median ?? 0)) : "—",
        c ? us(c.summary.concurrentMainThreadCpuInclDrainUs) : "—",
        c ? us(c.summary.concurrentProcessCpuInclDrainUs) : "—",
      );
    }
    return row;
  });
  const header = [
    "variant",
    ...payloads.flatMap((p) => [
      `${p} p99 (ms)`,
      `${p} max (ms)`,
      `${p} samples`,
      `${p} main-thread CPU us/req`,
      `${p} process CPU us/req`,
    ]),
  ];
  return mdTable(header, rows);
}

function fmtMeasured(t: TargetResult): string {
  if (!Number.isFinite(t.measured)) return "n/a";
  return t.unit === "ratio" ? t.measured.toFixed(4) : `${t.measured.toFixed(2)} ${t.unit}`;
}

export function targetsTable(result: TracingCostResult): string {
  return mdTable(
    ["target", "limit", "measured", "result"],
    result.targets.map((t) => [
      t.description,
      t.unit === "ratio" ? "= 1" : `<= ${t.limit} ${t.unit}`,
      fmtMeasured(t),
      t.pass ? "PASS" : `**FAIL**${t.note ? ` (${t.note})` : ""}`,
    ]),
  );
}

function machineLine(m: MachineInfo): string {
  const gb = (m.totalMemoryBytes / 1024 ** 3).toFixed(1);
  const when = m.sourceReadAtStart ? " (read when the run started)" : "";
  return `${m.cpuModel}, ${m.cores} cores, ${gb} GiB, ${m.os}, Node ${m.nodeVersion}, git ${describeCommit(m.gitCommit, m.gitDirty, 12)}${when}; load average ${m.loadAverageStart.toFixed(2)} at start, ${m.loadAverageEnd.toFixed(2)} at end`;
}

function clockLine(result: TracingCostResult): string {
  switch (result.method.mainThreadClock) {
    case "schedstat":
      return "Main-thread CPU is read from Linux's per-thread accounting of the main thread (/proc/self/task/<pid>/schedstat, nanoseconds).";
    case "stat":
      return "Main-thread CPU is read from Linux's per-thread accounting of the main thread (/proc/self/task/<pid>/stat, 10 ms ticks: coarse for small figures).";
    case "ps":
      return "Main-thread CPU is read from `ps -M` (macOS: the main thread's system and user time, 10 ms, one process spawned per reading: coarse).";
    default:
      return "Main-thread CPU could not be read on this machine (no per-thread CPU clock): those columns say n/a and their targets fail as not measured.";
  }
}

/** What run.js prints at the end. */
export function renderStdout(result: TracingCostResult): string {
  return [
    `tracing cost — ${result.mode} run, ${result.method.rounds} rounds, ${result.durationSeconds.toFixed(0)} s`,
    `machine: ${machineLine(result.machine)}`,
    clockLine(result),
    "",
    costTables(result),
    ...(result.callsOnly.length ? ["### Tracing calls alone", "", callsOnlyTable(result.callsOnly), ""] : []),
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
    "What tracing a chat turn costs the service, for every tracing setup side by side in one run (rounds interleaved and",
    "the variant order rotated per round, so machine drift hits all variants alike), counted two ways: the **main thread's**",
    "CPU (what the event loop, and so every request, pays) and the **whole process's** CPU (every thread: GC and compiler",
    "helpers, libuv's pool, and worker threads where a pipeline uses them). Beside ours: the **physical floor** (`floor`: the",
    "same spans written by a minimal hand-written encoder, one SQLite insert and one POST per 100 turns), **plain",
    "OpenTelemetry** (`otel-batch`) and the **official Langfuse SDK** with its defaults (`sdk-defaults`).",
    "",
    `**Measured on:** ${machineLine(result.machine)}.  `,
    `**Run:** ${result.mode} mode, ${m.rounds} rounds (after one discarded warm-up round), ${result.durationSeconds.toFixed(0)} s, ${result.generatedAt}.  `,
    `**Targets** (\`bench/budgets.json\`): ${failed.length === 0 ? "all PASS" : `${failed.length} FAIL (${failed.map((t) => t.id).join(", ")})`}.`,
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
    "Every figure is the median over rounds. The 1 us targets of `disabled` and `sampled-out` are checked on their Tracing",
    "calls alone, one measurement per variant (it involves no payload): the end-to-end difference against `none` is in the",
    "tables but is dominated by run-to-run noise of several microseconds. A completeness ratio above 1 means the receiver",
    "counted more unique spans than the pipeline was asked to send, i.e. spans that do not belong to the measurement; below",
    "1, spans lost.",
    "",
    targetsTable(result),
    "",
    "## CPU per request",
    "",
    clockLine(result),
    "",
    costTables(result),
    ...(result.callsOnly.length
      ? [
          "### Tracing calls alone",
          "",
          "The Tracing calls of one request and nothing else (no LangChain, no messages, no payload), minus the same loop",
          `without them: ${result.callsOnly[0]?.rounds[0]?.repsUs.length ?? 0} paired repetitions per round, the round's figure is their median.`,
          "",
          callsOnlyTable(result.callsOnly),
          "",
        ]
      : []),
    `## Event-loop delay, ${m.concurrency} requests in flight`,
    "",
    "`perf_hooks.monitorEventLoopDelay({ resolution: 1 })` while the requests run; each model call yields to the",
    "event loop between its start and end. The idle floor at this resolution is about 1.1 ms (the 1 ms timer",
    `itself); with ${m.concurrency} requests in flight one loop iteration also carries up to ${m.concurrency} request halves.`,
    "The CPU columns are per request in this concurrent run, drain included.",
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
    ...m.payloads.map(
      (p) =>
        `- **${p.name}:** ${p.inputChars} chars of input (trace input and each generation's human message), ${p.outputChars} chars of output (each generation's reply and the trace output)${p.context ? `, and in front of the input in both generations a ${p.context.systemChars}-char system prompt (${p.context.cjkChars} of them Chinese, so a two-byte string, as the service's classifier prompt is) and ${p.context.historyMessages} earlier messages of ${p.context.historyChars} chars` : ""}; ${p.sequentialRequests} sequential and ${p.concurrentRequests} concurrent requests per round, each after a tenth as many unmeasured warm-up requests on the freshly built pipeline (a service's pipeline has long compiled its code; one built for a measurement has not). The warm-up's spans count toward completeness, and what is left of their export runs in the measured window. Each request carries a different user message and reply of the same size (a pipeline that remembers encodings must not see the same text every time); the system prompt and history are the same for every request, as a session's are from turn to turn. The concurrent phase runs at least 2 s, so its event-loop percentiles come from thousands of 1 ms samples (counted in the table).`,
    ),
    ...Object.entries(m.metrics).map(([k, v]) => `- **${k}:** ${v}`),
    "",
    "Per-round raw numbers are in the reference JSON. Re-run with `npm run bench:tracing-cost` (about 3 minutes on 2 cores;",
    "`-- --quick` for a ~20 s smoke run, `-- --check` to exit 1 on a failing target, `-- --reference` to regenerate this page",
    "and the reference JSON, refused on a working tree with uncommitted changes).",
    "",
    ...(result.warnings.length
      ? ["## Warnings logged during the run", "", ...result.warnings.map((w) => `- ${w}`), ""]
      : []),
  ].join("\n");
}
