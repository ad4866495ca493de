// Command-line options of `npm run bench` (pure parsing, no side effects).
import { PROFILE_NAMES, SCENARIO_NAMES, type ProfileName, type ScenarioName } from "./scenarios.js";

export interface CliOptions {
  help: boolean;
  quick: boolean;
  /** Pin the service to its own core(s), the receiver and load generator to the rest (see cpu-affinity.ts). */
  pin: boolean;
  profiles: ProfileName[];
  scenarios: ScenarioName[];
  repeat: number;
  /** Overrides the profiles' connection counts. */
  connections: number[] | null;
  /** Measured seconds per run (overrides the profiles'). */
  duration: number | null;
  /** Warm-up seconds per run (overrides the profiles'). */
  warmup: number | null;
  /** Longest wait after the load for the tracing pipeline to deliver what it holds (seconds). */
  graceMaxSeconds: number;
  timeoutSeconds: number;
  /** Session store of the paired windows' services. */
  sessionStore: "memory" | "sqlite";
  /**
   * Session store of the fresh-process runs (the degraded scenarios and their `off`), whose checks
   * bound peak RSS: memory sessions keep every turn of every session, so there a process's RSS
   * grows with the turns it served, and a scenario that serves more of them (Langfuse down, nothing
   * to export) would read as holding more trace data. SQLite, the service's own default, keeps them
   * out of the process.
   */
  degradedSessionStore: "memory" | "sqlite";
  /** Also write bench/results/reference.json. */
  reference: boolean;
  /** Regenerate docs/performance.md (and what other pages quote from it): true/false when asked, null = default (with --reference). */
  docs: boolean | null;
  /** --check: check budgets; with a file, check that file instead of running. */
  check: boolean;
  checkFile: string | null;
  /** Result file path (default bench/results/<timestamp>.json). */
  out: string | null;
}

/**
 * Rounds of paired windows in the default suite (the degraded scenarios' fresh runs repeat at
 * most 3 times): 6 rounds (3 s windows at instant, 4 s at realistic), two on each of a cell's
 * three sets of processes, keep the default suite at about an hour on 2 cores.
 */
export const DEFAULT_ROUNDS = 6;
/** --quick: two rounds, so the rotation of the order shows. */
export const QUICK_ROUNDS = 2;

export const USAGE = `Usage: npm run bench -- [options]

Runs the service (node dist/src/main.js), the local receiver and autocannon on loopback and
writes bench/results/<timestamp>.json; with --reference also bench/results/reference.json and the
pages generated from it (docs/performance.md, the sizing in docs/deployment.md, the README's line).

  --no-pin                do not pin the service to its own core(s) (default: pinned, with taskset, when there are 2+ cores)
  --quick                 smoke suite: 2 rounds (1 repetition of the degraded runs), instant@16 and realistic@64,
                          2 s windows (~4 min)
  --profile P[,P]         instant | realistic (default both)
  --scenario S[,S]        ${SCENARIO_NAMES.join(" | ")} (default all; off always runs as the baseline)
  --connections N[,N]     connection counts for every profile, all scenarios at each (default: instant 1,16,64
                          and realistic 64,512, with spans-off, every-turn and the degraded scenarios at instant 16, realistic 64)
  --duration SEC          measured seconds of each paired window and of each fresh-process run (default: windows
                          3 at instant, 4 at realistic; fresh runs 6)
  --warmup SEC            unmeasured warm-up: of each warm process before the first round (default: instant 30,
                          realistic 12), and of each fresh-process run (default: instant 15, realistic 10),
                          connection starts spread over it
  --repeat N              rounds of paired windows (default ${DEFAULT_ROUNDS}; --quick ${QUICK_ROUNDS}); the degraded scenarios'
                          fresh-process runs repeat min(N, 3) times (--quick once)
  --grace SEC             longest wait after the load for the tracing pipeline to deliver what it holds
                          (default 6: the official SDK's 5 s batch interval + 1 s; --quick 1.5, which cuts
                          sdk-defaults' received % short, marked as such)
  --timeout SEC           a request slower than this fails (default 30)
  --sessions memory|sqlite  session store of the services in paired windows (default memory; sqlite goes to a temp folder)
  --degraded-sessions memory|sqlite
                          session store of the fresh-process runs, the degraded scenarios and their off (default sqlite:
                          memory sessions make a process's peak RSS grow with the turns it served)
  --reference             also write bench/results/reference.json (refused on a working tree with uncommitted
                          changes: a reference names the commit it measured)
  --docs / --no-docs      (do not) regenerate the pages from this run (default: with --reference only)
  --out FILE              result file (default bench/results/<timestamp>.json)
  --check [FILE]          check bench/budgets.json (exit code 1 on a failing budget); with FILE, check that
                          result without running (a load-suite result or a tracing-cost result)
  --help
`;

function list<T extends string>(value: string, allowed: readonly T[], flag: string): T[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item))
      throw new Error(`${flag}: unknown value "${item}" (one of ${allowed.join(", ")})`);
  }
  if (items.length === 0) throw new Error(`${flag}: needs a value`);
  return [...new Set(items)] as T[];
}

function positive(value: string | undefined, flag: string, integer: boolean): number {
  const n = Number(value);
  if (
    value === undefined ||
    value.startsWith("--") ||
    !Number.isFinite(n) ||
    n <= 0 ||
    (integer && !Number.isInteger(n))
  ) {
    throw new Error(`${flag}: expects a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function parseCliOptions(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    help: false,
    quick: false,
    pin: true,
    profiles: [...PROFILE_NAMES],
    scenarios: [...SCENARIO_NAMES],
    repeat: DEFAULT_ROUNDS,
    connections: null,
    duration: null,
    warmup: null,
    graceMaxSeconds: 6,
    timeoutSeconds: 30,
    sessionStore: "memory",
    degradedSessionStore: "sqlite",
    reference: false,
    docs: null,
    check: false,
    checkFile: null,
    out: null,
  };
  let repeatGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf("=");
    const flag = raw.startsWith("--") && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith("--") && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--help":
      case "-h":
        options.help = true;
        break;
      case "--quick":
        options.quick = true;
        break;
      case "--no-pin":
        options.pin = false;
        break;
      case "--profile":
      case "--profiles":
        options.profiles = list(value() ?? "", PROFILE_NAMES, flag);
        break;
      case "--scenario":
      case "--scenarios":
        options.scenarios = list(value() ?? "", SCENARIO_NAMES, flag);
        break;
      case "--connections":
        options.connections = (value() ?? "")
          .split(",")
          .filter(Boolean)
          .map((c) => positive(c, flag, true));
        if (options.connections.length === 0) throw new Error(`${flag}: needs a value`);
        break;
      case "--duration":
        options.duration = positive(value(), flag, false);
        break;
      case "--warmup": {
        const v = value();
        options.warmup = v === "0" ? 0 : positive(v, flag, false);
        break;
      }
      case "--repeat":
        options.repeat = positive(value(), flag, true);
        repeatGiven = true;
        break;
      case "--grace": {
        const v = value();
        options.graceMaxSeconds = v === "0" ? 0 : positive(v, flag, false);
        break;
      }
      case "--timeout":
        options.timeoutSeconds = positive(value(), flag, false);
        break;
      case "--sessions":
      case "--degraded-sessions": {
        const v = value();
        if (v !== "memory" && v !== "sqlite") throw new Error(`${flag}: memory or sqlite, got ${JSON.stringify(v)}`);
        if (flag === "--sessions") options.sessionStore = v;
        else options.degradedSessionStore = v;
        break;
      }
      case "--reference":
        options.reference = true;
        break;
      case "--docs":
        options.docs = true;
        break;
      case "--no-docs":
        options.docs = false;
        break;
      case "--out":
        options.out = value() ?? null;
        if (!options.out) throw new Error("--out: needs a file");
        break;
      case "--check": {
        options.check = true;
        const next = inline ?? argv[i + 1];
        if (next !== undefined && !next.startsWith("-")) {
          options.checkFile = next;
          if (inline === undefined) i++;
        }
        break;
      }
      default:
        throw new Error(`unknown option ${raw} (see --help)`);
    }
  }
  if (options.quick && !repeatGiven) options.repeat = QUICK_ROUNDS;
  if (options.reference && options.quick) throw new Error("--reference needs the default suite: drop --quick");
  return options;
}
