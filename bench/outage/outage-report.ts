// The outage-and-recovery result and its section of docs/performance.md.
import { join } from "node:path";
import { RESULTS_DIR } from "../paths.js";
import type { MachineInfo } from "../result-schema.js";
import { spread } from "./phase-stats.js";

export const OUTAGE_REFERENCE_FILE = join(RESULTS_DIR, "outage-reference.json");

export interface OutageRun {
  mode: "off" | "outage";
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
  spooledBatches: number;
  replayedBatches: number;
  droppedSpans: number;
  drainSecondsAfterLoad: number | null;
  finalRssMiB: number;
}

export interface OutageResult {
  schema: "switchboard-outage/1";
  createdAt: string;
  totalSeconds: number;
  machine: MachineInfo;
  options: { repeat: number; outageSeconds: number; beforeSeconds: number; afterSeconds: number; connections: number; profile: Record<string, string>; quick: boolean };
  runs: OutageRun[];
}

const fmt = (s: { median: number; min: number; max: number } | null, digits = 0, unit = "") =>
  s === null ? "n/a" : `${s.median.toFixed(digits)}${unit} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

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
  const o = result.options;
  const rows = (mode: "off" | "outage") => result.runs.filter((r) => r.mode === mode);
  const line = (label: string, pick: (r: OutageRun) => number | null, digits = 0, unit = "") =>
    `| ${label} | ${fmt(spread(rows("off").map(pick)), digits, unit)} | ${fmt(spread(rows("outage").map(pick)), digits, unit)} |`;
  return [
    `## Langfuse outage and recovery`,
    ``,
    `Generated from \`bench/results/outage-reference.json\` (\`npm run bench:outage -- --reference\`). Steady load of ${o.connections} clients with the realistic model (${Object.entries(o.profile).map(([k, v]) => `${k}=${v}`).join(", ")}); ${o.beforeSeconds} s with Langfuse up, then the receiver is stopped for ${o.outageSeconds} s (connections refused), then started again on the same port and store, ${o.afterSeconds} s more load, then the spool drains. Tracing \`off\` runs the same timeline. ${o.repeat} repetition(s), median (min–max).`,
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
    `Against \`off\` in the same repetition: latency p99 during the outage ${fmt(overhead(result, (r) => r.p99OutageMs), 1, " %")}, after it (while the spool replays) ${fmt(overhead(result, (r) => r.p99AfterMs), 1, " %")}.`,
    ``,
  ].join("\n");
}
