// The outage-and-recovery result and its section of docs/performance.md.
import { join } from "node:path";
import { RESULTS_DIR } from "../paths.js";
import type { MachineInfo } from "../result-schema.js";
import { spread, type Spread } from "../stats.js";

export const OUTAGE_REFERENCE_FILE = join(RESULTS_DIR, "outage-reference.json");

/** The crash run: kill -9 in the middle of the outage, then a restart replays the journal. */
export interface CrashResult {
  /** Seconds into the outage when the service was killed. */
  killAfterOutageSeconds: number;
  /** Turns answered (200, with a trace id) before the kill; of them in the last second. */
  turnsAnswered: number;
  turnsInLastSecond: number;
  spansPerTurn: number;
  /** Spans of answered turns that never arrived, in how many turns. */
  spansLost: number;
  turnsLost: number;
  /** Age at the kill (from the turn's answer) of the oldest turn with a lost span, ms. */
  maxLostAgeMs: number | null;
  /** The youngest turn that arrived whole, ms before the kill. */
  youngestCompleteAgeMs: number | null;
  flushIntervalMs: number;
  /** The killed service's event-loop delay max over the run (nodejs_eventloop_lag_max_seconds). */
  eventLoopMaxMs: number;
  /** Documented window: interval + event-loop delay + margin. */
  windowMs: number;
  /** Spans of turns answered before the window that were lost anyway (0 when the promise holds). */
  spansLostBeyondWindow: number;
  /** Rows of turns in flight at the kill (no answer, so not judged). */
  strayRows: number;
  duplicateRows: number;
  /** Batches the restarted service replayed, and how long from its start until nothing was left. */
  replayedBatches: number;
  replaySeconds: number | null;
}

export interface OutageRun {
  mode: "off" | "outage" | "crash";
  repetition: number;
  requests: number;
  failed: number;
  p99BeforeMs: number | null;
  p99OutageMs: number | null;
  p99AfterMs: number | null;
  p50OutageMs: number | null;
  eventLoopP99OutageMs: number | null;
  eventLoopP99AfterMs: number | null;
  spansCreated: number;
  spansReceivedUnique: number;
  deliveryPct: number | null;
  replayedBatches: number;
  droppedSpans: number;
  drainSecondsAfterLoad: number | null;
  finalRssMiB: number;
  /** Only in crash runs. */
  crash?: CrashResult;
}

export interface OutageResult {
  schema: "switchboard-outage/1";
  createdAt: string;
  totalSeconds: number;
  machine: MachineInfo;
  options: {
    repeat: number;
    outageSeconds: number;
    beforeSeconds: number;
    afterSeconds: number;
    connections: number;
    profile: Record<string, string>;
    quick: boolean;
  };
  runs: OutageRun[];
}

const fmt = (s: Spread, digits = 0, unit = "") =>
  s.n === 0 ? "n/a" : `${s.median.toFixed(digits)}${unit} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

/** Overhead of `outage` over `off` per repetition, in %, then median (min–max). */
function overhead(result: OutageResult, pick: (r: OutageRun) => number | null) {
  const values: (number | null)[] = [];
  for (const run of result.runs.filter((r) => r.mode === "outage")) {
    const off = result.runs.find((r) => r.mode === "off" && r.repetition === run.repetition);
    const a = pick(run);
    const b = off ? pick(off) : null;
    values.push(a !== null && b !== null && b > 0 ? ((a - b) / b) * 100 : null);
  }
  return spread(values);
}

export function renderOutageMarkdown(result: OutageResult): string {
  const options = result.options;
  const rows = (mode: OutageRun["mode"]) => result.runs.filter((r) => r.mode === mode);
  const line = (label: string, pick: (r: OutageRun) => number | null, digits = 0, unit = "") =>
    `| ${label} | ${fmt(spread(rows("off").map(pick)), digits, unit)} | ${fmt(spread(rows("outage").map(pick)), digits, unit)} |`;
  return [
    `## Langfuse outage and recovery`,
    ``,
    `Generated from \`bench/results/outage-reference.json\` (\`npm run bench:outage -- --reference\`). Steady load of ${options.connections} clients with the realistic model (${Object.entries(
      options.profile,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(
        ", ",
      )}); ${options.beforeSeconds} s with Langfuse up, then the receiver is stopped for ${options.outageSeconds} s (connections refused), then started again on the same port and store, ${options.afterSeconds} s more load, then the spool drains. Tracing \`off\` runs the same timeline. ${options.repeat} repetition(s), median (min–max).`,
    ``,
    `| | off | outage (our defaults, spool on) |`,
    `|---|---|---|`,
    line("requests answered", (r) => r.requests - r.failed),
    line("failed requests", (r) => r.failed),
    line("latency p99 before the outage, ms", (r) => r.p99BeforeMs),
    line("latency p99 during the outage, ms", (r) => r.p99OutageMs),
    line("latency p99 after (replay running), ms", (r) => r.p99AfterMs),
    line("event-loop delay p99 during the outage, ms", (r) => r.eventLoopP99OutageMs, 1),
    line("event-loop delay p99 after, ms", (r) => r.eventLoopP99AfterMs, 1),
    line("spans created", (r) => (r.mode === "off" ? null : r.spansCreated)),
    line("delivered to Langfuse after the drain, %", (r) => r.deliveryPct, 2, "%"),
    line("batches spooled / replayed", (r) => (r.mode === "off" ? null : r.replayedBatches)),
    line("spans dropped", (r) => (r.mode === "off" ? null : r.droppedSpans)),
    line("drain finished, s after the load stopped", (r) => r.drainSecondsAfterLoad, 1),
    ``,
    `Against \`off\` in the same repetition: latency p99 during the outage ${fmt(
      overhead(result, (r) => r.p99OutageMs),
      1,
      " %",
    )}, after it (while the spool replays) ${fmt(
      overhead(result, (r) => r.p99AfterMs),
      1,
      " %",
    )}.`,
    ``,
    ...renderCrash(rows("crash")),
  ].join("\n");
}

/** The crash run's section (absent from results made before it existed). */
function renderCrash(runs: OutageRun[]): string[] {
  const crashes = runs.map((r) => r.crash).filter((c): c is CrashResult => c !== undefined);
  if (crashes.length === 0) return [];
  const line = (label: string, pick: (c: CrashResult) => number | null, digits = 0) =>
    `| ${label} | ${fmt(spread(crashes.map(pick)), digits)} |`;
  const c0 = crashes[0]!;
  return [
    `### kill -9 during the outage`,
    ``,
    `The same load and outage; ${c0.killAfterOutageSeconds} s into the outage the service is killed with SIGKILL, then Langfuse comes back and the service is started again on the same journal, which it replays. Each turn answered before the kill is looked up in Langfuse (the receiver) by its trace id. A turn's age is from its answer to the kill: every span of the turn ended before it. The documented window is LANGFUSE_FLUSH_INTERVAL (${c0.flushIntervalMs} ms) plus the killed process's event-loop delay (its max over the run) plus ${c0.windowMs - c0.flushIntervalMs - c0.eventLoopMaxMs} ms. ${crashes.length} run(s), median (min–max).`,
    ``,
    `| | crash |`,
    `|---|---|`,
    line("turns answered before the kill", (c) => c.turnsAnswered),
    line("spans lost", (c) => c.spansLost),
    line("turns with a lost span", (c) => c.turnsLost),
    line("oldest lost turn, ms before the kill", (c) => c.maxLostAgeMs),
    line("youngest turn delivered whole, ms before the kill", (c) => c.youngestCompleteAgeMs),
    line("event-loop delay max of the killed service, ms", (c) => c.eventLoopMaxMs),
    line("documented window, ms", (c) => c.windowMs),
    line("spans lost beyond the window", (c) => c.spansLostBeyondWindow),
    line("duplicate rows after the replay", (c) => c.duplicateRows),
    line("rows of turns in flight at the kill", (c) => c.strayRows),
    line("replay after the restart, s", (c) => c.replaySeconds, 1),
    ``,
  ];
}
