// What the suite runs: the tracing scenarios, the model profiles, and the plan that interleaves
// them across repetitions.

export const SCENARIO_NAMES = [
  "off",
  "naive",
  "sdk-defaults",
  "optimized",
  "spans-off",
  "every-turn",
  "slow",
  "hung",
  "down",
  "flaky",
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export const PROFILE_NAMES = ["instant", "realistic"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/**
 * The paired cell a non-degraded scenario is measured in (see paired-plan.ts): this pipeline's
 * scenarios, or the peers we compare with (`Scenario.peer`); each cell has an `off` of its own.
 */
export type CellGroup = "ours" | "peers";

/** The paired cell `scenario` is measured in (`off` is measured in both). */
export function cellGroupOf(scenario: ScenarioName): CellGroup {
  return SCENARIOS[scenario].peer ? "peers" : "ours";
}

/** The receiver's state in a scenario: not used, running (with faults), or absent (refused). */
export type ReceiverMode = { kind: "none" } | { kind: "running"; env: Record<string, string> } | { kind: "down" };

export interface Scenario {
  name: ScenarioName;
  description: string;
  /** Service environment on top of the common one. */
  serviceEnv: Record<string, string>;
  receiver: ReceiverMode;
  /** Whether the service traces (exports) in this scenario. */
  traced: boolean;
  /** Langfuse degraded: slow, hung, down or flaky. */
  degraded: boolean;
  /** Budgets apply (our pipeline); false for the comparisons `naive` and `sdk-defaults`. */
  budgeted: boolean;
  /** Runs only at the profile's focus connection count (unless --connections is given). */
  focusOnly: boolean;
  /**
   * Another pipeline we compare with (naive, the official SDK): measured in a paired cell of its
   * own, against an `off` of its own, never beside ours (see paired-plan.ts).
   */
  peer: boolean;
}

const TRACED_BASE = { LANGFUSE_ENABLED: "true", LANGFUSE_PIPELINE: "switchboard" };
const fine: ReceiverMode = { kind: "running", env: {} };

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  off: {
    name: "off",
    description: "LANGFUSE_ENABLED=false: the baseline",
    serviceEnv: { LANGFUSE_ENABLED: "false" },
    receiver: { kind: "none" },
    traced: false,
    degraded: false,
    budgeted: false,
    focusOnly: false,
    peer: false,
  },
  naive: {
    name: "naive",
    description: "LANGFUSE_PIPELINE=naive: the seed's 'before'",
    serviceEnv: { ...TRACED_BASE, LANGFUSE_PIPELINE: "naive" },
    receiver: fine,
    traced: true,
    degraded: false,
    budgeted: false,
    focusOnly: false,
    peer: true,
  },
  "sdk-defaults": {
    name: "sdk-defaults",
    description: "LANGFUSE_PIPELINE=sdk: the official SDK, documented defaults",
    serviceEnv: { ...TRACED_BASE, LANGFUSE_PIPELINE: "sdk" },
    receiver: fine,
    traced: true,
    degraded: false,
    budgeted: false,
    focusOnly: false,
    peer: true,
  },
  optimized: {
    name: "optimized",
    description: "LANGFUSE_PIPELINE=switchboard: our defaults",
    serviceEnv: { ...TRACED_BASE },
    receiver: fine,
    traced: true,
    degraded: false,
    budgeted: true,
    focusOnly: false,
    peer: false,
  },
  "spans-off": {
    name: "spans-off",
    description: "our defaults with LANGFUSE_ENABLE_SPANS=false",
    serviceEnv: { ...TRACED_BASE, LANGFUSE_ENABLE_SPANS: "false" },
    receiver: fine,
    traced: true,
    degraded: false,
    budgeted: true,
    focusOnly: true,
    peer: false,
  },
  "every-turn": {
    name: "every-turn",
    description: "our defaults with LANGFUSE_BUSY_TRACES_PER_SEC=0: every turn traced however busy the service is",
    serviceEnv: { ...TRACED_BASE, LANGFUSE_BUSY_TRACES_PER_SEC: "0" },
    receiver: fine,
    traced: true,
    degraded: false,
    // A comparison, as the SDK's: what tracing every turn costs a saturated service. Its cost per
    // turn is budgeted against the physical floor in bench:tracing-cost.
    budgeted: false,
    focusOnly: true,
    peer: false,
  },
  slow: {
    name: "slow",
    description: "receiver answers after 1 s",
    serviceEnv: { ...TRACED_BASE },
    receiver: { kind: "running", env: { RECEIVER_DELAY_MS: "1000" } },
    traced: true,
    degraded: true,
    budgeted: true,
    focusOnly: true,
    peer: false,
  },
  hung: {
    name: "hung",
    description: "receiver never answers",
    serviceEnv: { ...TRACED_BASE },
    receiver: { kind: "running", env: { RECEIVER_HANG: "true" } },
    traced: true,
    degraded: true,
    budgeted: true,
    focusOnly: true,
    peer: false,
  },
  down: {
    name: "down",
    description: "no receiver: connection refused",
    serviceEnv: { ...TRACED_BASE },
    receiver: { kind: "down" },
    traced: true,
    degraded: true,
    budgeted: true,
    focusOnly: true,
    peer: false,
  },
  flaky: {
    name: "flaky",
    description: "half the exports get 503",
    serviceEnv: { ...TRACED_BASE },
    receiver: { kind: "running", env: { RECEIVER_FAIL_STATUS: "503", RECEIVER_FAIL_RATIO: "0.5" } },
    traced: true,
    degraded: true,
    budgeted: true,
    focusOnly: true,
    peer: false,
  },
};

export interface Profile {
  name: ProfileName;
  description: string;
  serviceEnv: Record<string, string>;
  /** Connection counts of the default suite. */
  connections: number[];
  /**
   * Connection count at which every scenario runs; the other counts run only off, naive,
   * sdk-defaults and optimized (spans-off, every-turn and the degraded-Langfuse scenarios need not run at
   * every count, and the suite has to fit in about an hour).
   */
  focusConnections: number;
  /**
   * Sets of fresh processes each paired cell's rounds are split over. A process
   * is one draw of V8's JIT and heap sizing, and the draw outweighs a 3 % budget: three identical
   * untraced services side by side (bench/profile/untraced-http.ts, --baseline twice, instant@16
   * on one core, 10 alternating blocks of 1500 turns) read 0.924 and 0.907 of CPU per turn against
   * two that read 0.999 of each other, each quartile range inside 0.86-1.02; traced against
   * untraced read 0.943, 0.995 and 1.037 in three such runs. Rounds of one set of processes
   * share their draw; only more processes average it.
   */
  generations: number;
  /** Measured seconds of a fresh-process run (the degraded scenarios and their `off`), default suite. */
  duration: number;
  /** Unmeasured load before each measurement of a fresh process (JIT, caches, connection set-up). */
  warmup: number;
  /**
   * Paired windows (see paired-plan.ts): unmeasured load each warm process gets once, before the
   * first round (at least this, and at least `warmup`), so JIT and heap settle.
   */
  processWarmup: number;
  /** Paired windows: measured seconds of each window. */
  window: number;
  /** Paired windows: unmeasured load that opens each window, connection starts spread over it. */
  leadIn: number;
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  instant: {
    name: "instant",
    description: "SIM_TTFT_MS=0, SIM_TOKEN_MS=0: the model costs nothing, tracing is the largest share (worst case)",
    serviceEnv: { SIM_TTFT_MS: "0", SIM_TOKEN_MS: "0", SIM_REPLY_TOKENS: "60" },
    connections: [1, 16, 64],
    focusConnections: 16,
    generations: 3,
    // As long as realistic's: in 3 s windows after 1 s of warm-up, `off` itself moved 34 % between
    // repetitions (138 to 185 req/s at 16 connections) and p99 was the 5th-slowest request.
    duration: 6,
    // A fresh process is cold for thousands of turns, not seconds: at 16 connections one did
    // 7.6, 4.6, 3.8, 3.8, 3.7, 3.2, 2.8 ms of CPU per turn in its first seven blocks of 1000 turns
    // and about 2.3 from the twelfth on (bench/profile/untraced-http.ts --warmup 0 --json); with
    // 2 s of warm-up a fresh run measured that climb, and its peak RSS the heap's early growth.
    warmup: 15,
    // With 4 s of warm-up, every warm process of a cell still got cheaper round after round (off at
    // 16 connections: 4.30, 3.33, 2.80, 2.76 ms per request over the first four rounds); with 20 s,
    // round 1 still read 3.8-4.6 ms against 2.6-3.3 after.
    processWarmup: 30,
    // Turns take milliseconds: a 3 s window holds hundreds of them.
    window: 3,
    // A warm process idle while the others take their windows is cold again for its first few
    // hundred turns (after 40 s idle: 3.4 ms per turn over the first 500, then 2.3-2.5; V8's doing,
    // not pinned down further): 2 s of lead-in take them.
    leadIn: 2,
  },
  realistic: {
    name: "realistic",
    description: "SIM_TTFT_MS=300, SIM_TOKEN_MS=20, SIM_REPLY_TOKENS=60: model latency like a hosted LLM",
    serviceEnv: { SIM_TTFT_MS: "300", SIM_TOKEN_MS: "20", SIM_REPLY_TOKENS: "60" },
    // 512 loads the warm service so the CPU and memory budgets have a realistic cell to judge: at
    // 256 off's windows were 45-73 % busy (median 60 %), at 384 69-75 % (medians of two runs), at
    // or just under budgets.json's loaded mark, so those budgets judged nothing there.
    connections: [64, 512],
    focusConnections: 64,
    generations: 3,
    duration: 6,
    // As instant's (above), in turns: about 3,000 at 512 connections, a few hundred at 64.
    warmup: 10,
    processWarmup: 12,
    window: 4,
    // A turn takes about 1.5 s: connection starts spread over one turn keep them out of lock-step.
    leadIn: 1.5,
  },
};

/** One measured load: a fresh-process run, or one window of a warm process (see paired-plan.ts). */
export interface PlannedRun {
  repetition: number;
  profile: ProfileName;
  connections: number;
  scenario: ScenarioName;
  duration: number;
  warmup: number;
}

export interface PlanOptions {
  profiles: readonly ProfileName[];
  scenarios: readonly ScenarioName[];
  repeat: number;
  /** Overrides every profile's connection counts (every scenario then runs at each). */
  connections?: readonly number[];
  /** Measured seconds per run, for every profile. */
  duration?: number;
  /** Warm-up seconds per run, for every profile. */
  warmup?: number;
  /** Per-profile overrides of connection counts and sizes (used by --quick). */
  profileOverrides?: Partial<
    Record<
      ProfileName,
      Partial<
        Pick<
          Profile,
          | "connections"
          | "focusConnections"
          | "generations"
          | "duration"
          | "warmup"
          | "processWarmup"
          | "window"
          | "leadIn"
        >
      >
    >
  >;
}

/**
 * The runs, in order: repetition by repetition, each repetition runs every (profile,
 * connections) cell, and inside a cell every scenario, `off` first. Machine drift hits all
 * scenarios alike, and each scenario's overhead is taken against the `off` of its own cell
 * and repetition.
 */
export function planRuns(options: PlanOptions): PlannedRun[] {
  const scenarios = SCENARIO_NAMES.filter((s) => s === "off" || options.scenarios.includes(s));
  const runs: PlannedRun[] = [];
  for (let repetition = 1; repetition <= options.repeat; repetition++) {
    for (const profileName of PROFILE_NAMES.filter((p) => options.profiles.includes(p))) {
      const profile = { ...PROFILES[profileName], ...options.profileOverrides?.[profileName] };
      const connections = options.connections ? [...options.connections] : profile.connections;
      for (const c of connections) {
        const cell = scenarios.filter(
          (s) => !SCENARIOS[s].focusOnly || options.connections !== undefined || c === profile.focusConnections,
        );
        // A cell with nothing to compare needs no baseline either (unless only `off` was asked for).
        if (cell.length === 1 && scenarios.length > 1) continue;
        for (const scenario of cell) {
          runs.push({
            repetition,
            profile: profileName,
            connections: c,
            scenario,
            duration: options.duration ?? profile.duration,
            warmup: options.warmup ?? profile.warmup,
          });
        }
      }
    }
  }
  return runs;
}
