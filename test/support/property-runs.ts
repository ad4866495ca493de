// How many cases a property test runs and from which seed. Every property test has a fixed
// default seed, so a run checks the same cases on every machine and a failure is replayed by
// running again; the seed and the run count are printed with the result. The run count can be
// raised (or lowered for a quick local run) through an environment variable, but never below a
// floor: FUZZ_RUNS=0 or FAST_CHECK_RUNS=0 would otherwise pass with nothing checked.

/** The variables that set run counts and seeds, for the docs. */
export const PROPERTY_TEST_VARIABLES = ["FAST_CHECK_RUNS", "FAST_CHECK_SEED", "FUZZ_RUNS", "FUZZ_SEED"] as const;
type PropertyVariable = (typeof PROPERTY_TEST_VARIABLES)[number];

export interface PropertyRunsSpec {
  /** What is checked, as the printed line names it. */
  name: string;
  runsVariable: PropertyVariable;
  defaultRuns: number;
  /** The fewest runs that still check something worth passing. */
  minRuns: number;
  seedVariable: PropertyVariable;
  defaultSeed: number;
}

export interface PropertyRuns {
  numRuns: number;
  seed: number;
  /** One line for the test's output: what ran, how many cases, the seed and how to replay it. */
  summary(casesRun?: number): string;
}

function integerFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name}=${raw} is not a whole number`);
  return value;
}

/** The run count and seed for a property test; throws when the run count is under the floor. */
export function propertyRuns(spec: PropertyRunsSpec, env: NodeJS.ProcessEnv = process.env): PropertyRuns {
  const numRuns = integerFrom(env, spec.runsVariable, spec.defaultRuns);
  if (numRuns < spec.minRuns)
    throw new Error(
      `${spec.runsVariable}=${numRuns} is below the floor of ${spec.minRuns} runs for ${spec.name}: fewer would pass without checking enough (default ${spec.defaultRuns})`,
    );
  const seed = integerFrom(env, spec.seedVariable, spec.defaultSeed);
  return {
    numRuns,
    seed,
    summary: (casesRun) =>
      `${spec.name}: ${casesRun ?? numRuns} cases${casesRun !== undefined ? ` (${numRuns} runs asked)` : ""}, seed ${seed}${seed === spec.defaultSeed ? " (the default)" : ""}; replay with ${spec.seedVariable}=${seed} ${spec.runsVariable}=${numRuns}`,
  };
}

/** Fails unless fast-check ran at least `expected` cases: a property that ran none proves nothing. */
export function assertRan(result: { numRuns: number }, expected: number, what: string): void {
  if (result.numRuns < expected)
    throw new Error(`${what}: fast-check ran ${result.numRuns} cases, ${expected} were asked for`);
}
