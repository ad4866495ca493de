// The plan of the suite with paired windows (issue 19). On a shared machine the same scenario's
// CPU per request moved up to 2x between fresh processes started a minute apart, so the
// non-degraded scenarios of a (profile, connections) cell are compared side by side in time:
// every one of them runs as a warm process through a set of rounds, and each round gives every one
// a short measured window of load, one after the other. A window's figures are paired with
// `off`'s window of the same round, and the median over rounds is judged. A cell's rounds are
// split over a few fresh sets of processes (PROFILES' generations), since a process is itself a
// draw that moves CPU per turn by more than the budgets.
//
// The pipelines we compare with (naive, the official SDK: `Scenario.peer`) are measured in a paired
// cell of their own, with an `off` of their own, after ours: beside their exporting processes our
// defaults read higher than in cells of ours alone (the figures, and why the effect is not proven,
// are in the method note, suite.ts methodNotes), and a cell of their own keeps whatever those
// processes do out of our budgets, and ours out of the peers' figures.
//
// The degraded scenarios (Langfuse slow, hung, down, flaky) measure bounds under an outage that
// builds up over a run: they keep a fresh process per run, against a fresh `off` of their own.
import {
  PROFILES,
  SCENARIOS,
  cellGroupOf,
  planRuns,
  type CellGroup,
  type PlanOptions,
  type PlannedRun,
  type ScenarioName,
} from "./scenarios.js";

/** One cell measured in paired windows: its warm processes and its rounds. */
export interface PairedCell {
  profile: PlannedRun["profile"];
  connections: number;
  /** Ours or the peers' (see the header): a (profile, connections) may have both cells. */
  group: CellGroup;
  /** The cell's non-degraded scenarios, `off` first: one warm process each. */
  scenarios: ScenarioName[];
  rounds: number;
  /**
   * Fresh sets of processes the rounds are split over (see PROFILES' generations): each set
   * is started and warmed up, takes its share of the rounds, delivers and stops.
   */
  generations: number;
  /** Unmeasured load each process gets once, before the first round of its generation. */
  warmup: number;
  /** Unmeasured load opening each window. */
  leadIn: number;
  /** Measured seconds of each window. */
  duration: number;
}

/** One measured window of a paired cell; `repetition` is its round. */
export interface PlannedWindow extends PlannedRun {
  /** Its place in the round, 1 = first. */
  positionInRound: number;
  /** The set of processes it ran on (1 = first): see PairedCell's generations. */
  generation: number;
  /** The cell it ran in: its overheads are taken against that cell's `off`. */
  group: CellGroup;
}

/** What the suite does, in order: paired cells first, then the degraded scenarios' fresh runs. */
export type SuiteStep = { kind: "paired"; cell: PairedCell } | { kind: "fresh"; run: PlannedRun };

export interface SuitePlanOptions extends PlanOptions {
  /** Repetitions of the fresh-process runs (degraded scenarios and their `off`). */
  degradedRepeat: number;
}

/**
 * The order of the `n` scenarios in round `round` (1-based), as indexes: a Williams design (a
 * balanced Latin square). Round r starts at scenario (r − 1) mod n, and over n rounds (2n when n
 * is odd) every scenario directly follows every other one equally often: no scenario always
 * follows the same one, nor always opens or closes a round.
 */
export function roundOrder(n: number, round: number): number[] {
  if (n <= 0) return [];
  // 0, 1, n−1, 2, n−2, ...: each difference between neighbours occurs once.
  const base = [0];
  for (let lo = 1, hi = n - 1; base.length < n;) base.push(base.length % 2 === 1 ? lo++ : hi--);
  const k = round - 1;
  // With n odd the square is balanced only together with its mirror, used every other n rounds.
  const mirrored = n % 2 === 1 && Math.floor(k / n) % 2 === 1;
  return base.map((b) => ((((mirrored ? -b : b) + k) % n) + n) % n);
}

/** Longest piece of a warm process's warm-up taken at once (the pieces go round the cell's processes). */
export const WARMUP_SLICE_SECONDS = 5;

/** How many pieces each process's warm-up is taken in (run-paired-cell.ts). */
export function warmupSlices(cell: Pick<PairedCell, "warmup">): number {
  return Math.max(1, Math.round(cell.warmup / WARMUP_SLICE_SECONDS));
}

/** Rounds each generation of the cell takes (the last one may take fewer). */
export function roundsPerGeneration(cell: Pick<PairedCell, "rounds" | "generations">): number {
  return Math.ceil(cell.rounds / Math.max(1, cell.generations));
}

/** Sets of processes the cell really runs on: fewer than `generations` when the rounds do not fill them. */
export function processSets(cell: Pick<PairedCell, "rounds" | "generations">): number {
  return Math.ceil(cell.rounds / roundsPerGeneration(cell));
}

/** The windows of a paired cell, in the order they run; `repetition` is the round, numbered across generations. */
export function pairedWindows(cell: PairedCell): PlannedWindow[] {
  const windows: PlannedWindow[] = [];
  const perGeneration = roundsPerGeneration(cell);
  for (let round = 1; round <= cell.rounds; round++) {
    for (const [position, i] of roundOrder(cell.scenarios.length, round).entries()) {
      windows.push({
        positionInRound: position + 1,
        generation: Math.ceil(round / perGeneration),
        group: cell.group,
        repetition: round,
        profile: cell.profile,
        connections: cell.connections,
        scenario: cell.scenarios[i]!,
        duration: cell.duration,
        warmup: cell.leadIn,
      });
    }
  }
  return windows;
}

/**
 * The suite: per (profile, connections) a paired cell of our scenarios and one of the peers' (each
 * with its own `off`), then the fresh runs, interleaved by repetition.
 */
export function planSuite(options: SuitePlanOptions): SuiteStep[] {
  const steps: SuiteStep[] = [];
  const cellsOnce = planRuns({ ...options, repeat: 1 });
  const cellKeys = [...new Set(cellsOnce.map((r) => `${r.profile}@${r.connections}`))];
  const onlyOffAsked = options.scenarios.every((s) => s === "off");
  for (const key of cellKeys) {
    const runs = cellsOnce.filter((r) => `${r.profile}@${r.connections}` === key);
    const first = runs[0]!;
    const paired = runs.map((r) => r.scenario).filter((s) => !SCENARIOS[s].degraded);
    const profile = { ...PROFILES[first.profile], ...options.profileOverrides?.[first.profile] };
    for (const group of ["ours", "peers"] as const) {
      const scenarios = paired.filter((s) => s === "off" || cellGroupOf(s) === group);
      // `off` alone compares nothing, unless nothing else was asked for (then it is measured once).
      if (scenarios.length < 2 && !(onlyOffAsked && group === "ours")) continue;
      steps.push({
        kind: "paired",
        cell: {
          profile: first.profile,
          connections: first.connections,
          group,
          scenarios,
          rounds: options.repeat,
          generations: Math.min(profile.generations, options.repeat),
          warmup: options.warmup ?? Math.max(profile.warmup, profile.processWarmup),
          leadIn: profile.leadIn,
          duration: options.duration ?? profile.window,
        },
      });
    }
  }
  const degraded = options.scenarios.filter((s) => SCENARIOS[s].degraded);
  if (degraded.length > 0) {
    for (const run of planRuns({ ...options, scenarios: degraded, repeat: options.degradedRepeat }))
      steps.push({ kind: "fresh", run });
  }
  return steps;
}

/** Every measurement of a plan, in the order it runs (windows and fresh runs). */
export function plannedMeasurements(steps: readonly SuiteStep[]): PlannedRun[] {
  return steps.flatMap((s) => (s.kind === "paired" ? pairedWindows(s.cell) : [s.run]));
}
