// The method's own noise, measured by the method: where the peers ran (paired-plan.ts), a
// (profile, connections) has two `off` services, ours and the peers', in two paired cells measured
// one after the other, each `off` given a window in every round. They run the same code with the
// same configuration, so one against the other, round by round, is what the method reports between
// two identical services: process against process, plus the machine's drift between the cells. A
// traced scenario is compared within its round (no drift), so this bounds a check's noise from above.
import { parseMetric } from "./budgets.js";
import type { OverheadMetric, RunResult, SpreadJson } from "./result-schema.js";
import type { ProfileName } from "./scenarios.js";
import { groupOf, methodOf, runOverhead, toSpreadJson } from "./summary.js";

/** The overheads taken against `off` round by round, which the A/A control can price. */
export const AA_METRICS = [
  "cpuPerRequestPct",
  "throughputLossPct",
  "latencyP99Pct",
] as const satisfies readonly OverheadMetric[];
export type AaMetric = (typeof AA_METRICS)[number];

export interface AaControl {
  profile: ProfileName;
  connections: number;
  /** Rounds in which both `off` windows were measured. */
  rounds: number;
  /** The peers' `off` against ours, round by round, taken as a traced scenario's overhead is. */
  overheads: Record<AaMetric, SpreadJson>;
}

/** One A/A control per paired cell holding both groups' `off` windows, in the order the runs first name the cells. */
export function aaControls(runs: readonly RunResult[]): AaControl[] {
  const offWindows = runs.filter((r) => r.scenario === "off" && r.ok && methodOf(r) === "paired-window");
  const cells = new Map<string, RunResult[]>();
  for (const r of offWindows) {
    const key = `${r.profile}@${r.connections}`;
    const cell = cells.get(key);
    if (cell) cell.push(r);
    else cells.set(key, [r]);
  }
  const controls: AaControl[] = [];
  for (const cell of cells.values()) {
    const pairs = cell
      .filter((r) => groupOf(r) === "peers")
      .map((peers) => ({ peers, ours: cell.find((r) => groupOf(r) === "ours" && r.repetition === peers.repetition) }))
      .filter((p): p is { peers: RunResult; ours: RunResult } => p.ours !== undefined);
    if (pairs.length === 0) continue;
    const overheads = Object.fromEntries(
      AA_METRICS.map((m) => [m, toSpreadJson(pairs.map((p) => runOverhead(p.peers, p.ours, m)))]),
    ) as Record<AaMetric, SpreadJson>;
    controls.push({ profile: cell[0]!.profile, connections: cell[0]!.connections, rounds: pairs.length, overheads });
  }
  return controls;
}

/** The control of a cell, if it has one. */
export function aaControlOf(
  controls: readonly AaControl[],
  profile: ProfileName,
  connections: number,
): AaControl | undefined {
  return controls.find((c) => c.profile === profile && c.connections === connections);
}

/** The overhead a budget's metric names, when the A/A control prices it (budgets.ts parses the metric). */
export function aaMetricOf(metric: string): AaMetric | null {
  const parsed = parseMetric(metric);
  return parsed.kind === "overhead" && (AA_METRICS as readonly string[]).includes(parsed.name)
    ? (parsed.name as AaMetric)
    : null;
}
