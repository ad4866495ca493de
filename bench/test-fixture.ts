// A small, hand-made result for the report and budget tests (not a measurement).
import { RESULT_SCHEMA, type BenchResultFile, type RunResult, type SpreadJson } from "./result-schema.js";
import type { ShareReading } from "./share-reading.js";
import type { ProfileName, ScenarioName } from "./scenarios.js";
import { summarize } from "./summary.js";

function run(
  profile: ProfileName,
  connections: number,
  scenario: ScenarioName,
  repetition: number,
  f: {
    rps: number;
    p50: number;
    p95: number;
    p99: number;
    cpu: number;
    rssMiB: number;
    busy?: number;
    failed?: number;
    created?: number;
    received?: number;
    graceCut?: boolean;
  },
): RunResult {
  const traced = scenario !== "off";
  return {
    repetition,
    profile,
    connections,
    scenario,
    duration: 3,
    warmup: 1,
    ok: true,
    error: null,
    seconds: 3,
    requests: {
      answered: Math.round(f.rps * 3),
      failed: f.failed ?? 0,
      non2xx: f.failed ?? 0,
      errors: 0,
      timeouts: 0,
      statusCodes: { "200": Math.round(f.rps * 3) },
    },
    throughputRps: f.rps,
    latencyMs: {
      avg: f.p50,
      min: f.p50 / 2,
      max: f.p99 * 1.5,
      p50: f.p50,
      p90: f.p95,
      p95: f.p95,
      p99: f.p99,
      p999: f.p99,
    },
    service: {
      startupMs: 900,
      cpuSeconds: (f.cpu * f.rps * 3) / 1000,
      cpuMsPerRequest: f.cpu,
      cpuPct: f.busy ?? 95,
      busyPct: f.busy ?? 95,
      rssStartBytes: 100 * 2 ** 20,
      rssPeakBytes: f.rssMiB * 2 ** 20,
      rssFinalBytes: f.rssMiB * 2 ** 20,
      eventLoopP99Ms: 11,
      eventLoopP99MaxMs: 20,
      eventLoopMaxMs: 25,
      stopMs: 30,
      exit: 0,
      killed: false,
    },
    tracing: traced
      ? {
          created: f.created ?? 100,
          createdByType: { trace: 20, span: 40, generation: 40 },
          exported: f.received ?? 100,
          dropped: 0,
          droppedByReason: {},
          exportAttempts: 5,
          exportFailures: 0,
          exportFailuresByReason: scenario === "hung" ? { timeout: 3 } : {},
          errors: 0,
          queueSpansPeak: 40,
          queueBytesPeak: 40_000,
          received: f.received ?? 100,
          receivedUnique: f.received ?? 100,
          duplicates: 0,
          completenessPct: ((f.received ?? 100) / (f.created ?? 100)) * 100,
          receivedUniqueAfterStop: f.received ?? 100,
          completenessAfterStopPct: ((f.received ?? 100) / (f.created ?? 100)) * 100,
          receiverRequestsByStatus: { "200": 5 },
          graceSeconds: f.graceCut ? 6 : 1,
          graceEnd: f.graceCut ? "limit" : "drained",
          heldAfterGrace: f.graceCut ? (f.created ?? 100) - (f.received ?? 100) : 0,
        }
      : null,
    contention: { receiverCpuSeconds: 0.1, loadGeneratorCpuSeconds: 0.2 },
  };
}

/**
 * Two repetitions of instant@16 (off, naive, optimized, hung) and one of realistic@64 (mostly
 * idle: off 35 % busy) and @256 (off 90 % busy), each with off and optimized.
 */
export function fixtureResult(): BenchResultFile {
  const runs: RunResult[] = [];
  for (const rep of [1, 2]) {
    const k = rep === 1 ? 1 : 1.02;
    runs.push(run("instant", 16, "off", rep, { rps: 100 * k, p50: 10, p95: 20, p99: 30, cpu: 5, rssMiB: 200 }));
    runs.push(
      run("instant", 16, "naive", rep, {
        rps: 60 * k,
        p50: 15,
        p95: 40,
        p99: 90,
        cpu: 9,
        rssMiB: 230,
        created: 100,
        received: 50,
        graceCut: rep === 2,
      }),
    );
    runs.push(
      run("instant", 16, "optimized", rep, { rps: 98 * k, p50: 10.2, p95: 20.5, p99: 31, cpu: 5.2, rssMiB: 205 }),
    );
    runs.push(
      run("instant", 16, "hung", rep, {
        rps: 97 * k,
        p50: 10.3,
        p95: 21,
        p99: 33,
        cpu: 5.5,
        rssMiB: 250,
        received: 0,
        failed: rep === 2 ? 1 : 0,
      }),
    );
  }
  for (const c of [64, 256]) {
    const busy = c === 64 ? 35 : 90;
    runs.push(
      run("realistic", c, "off", 1, {
        rps: 30 * (c / 64),
        p50: 2000,
        p95: 2050,
        p99: 2100,
        cpu: 15,
        rssMiB: 180,
        busy,
      }),
    );
    runs.push(
      run("realistic", c, "optimized", 1, {
        rps: 30 * (c / 64),
        p50: 2010,
        p95: 2060,
        p99: 2120,
        cpu: 16,
        rssMiB: 185,
        busy: busy + 3,
      }),
    );
  }
  return {
    schema: RESULT_SCHEMA,
    createdAt: "2025-01-01T00:00:00.000Z",
    finishedAt: "2025-01-01T00:02:00.000Z",
    totalSeconds: 120,
    machine: {
      cpuModel: "Test CPU",
      cores: 2,
      totalMemoryBytes: 8 * 2 ** 30,
      os: "linux test",
      nodeVersion: "v20.0.0",
      gitCommit: "abc123",
      gitDirty: false,
      sourceReadAtStart: true,
    },
    options: {
      quick: true,
      profiles: ["instant", "realistic"],
      scenarios: ["off", "naive", "optimized", "hung"],
      repeat: 2,
      connections: null,
      duration: null,
      warmup: null,
      graceMaxSeconds: 2,
      sessionStore: "memory",
      timeoutSeconds: 30,
    },
    placement: {
      service: "0",
      others: "1",
      serviceCores: 1,
      description: "service pinned to CPU 0; receiver and load generator to CPU 1 (taskset)",
    },
    notes: ["a note"],
    runs,
    summary: summarize(runs),
  };
}

/** [median, min, max] over 3 processes. */
const spreadOf3 = ([median, min, max]: readonly [number, number, number]): SpreadJson => ({ median, min, max, n: 3 });

/** A tracing-share reading of `optimized` in `cell`: its CPU share, longest hold and part of the p99 as [median, min, max]. */
export function fixtureShareReading(
  cell: string,
  share: readonly [number, number, number],
  hold: readonly [number, number, number] | null,
  p99: readonly [number, number, number] | null,
): ShareReading {
  return {
    scenario: "optimized",
    cell,
    overheadPct: spreadOf3(share),
    longestHoldMs: hold && spreadOf3(hold),
    p99OverheadPct: p99 && spreadOf3(p99),
  };
}
