// The result of `npm run bench:scale-out`, as committed in bench/results/scale-out/reference.json.

export interface ScaleOutRun {
  /** Service instances behind haproxy. */
  instances: number;
  /** Turns answered 200 in the measured window. */
  turns: number;
  /** Requests that failed (non-200 or no answer). */
  errors: number;
  seconds: number;
  turnsPerSec: number;
  latencyMs: { p50: number; p99: number };
  /** CPU time of all instances together, per turn (ms). */
  instanceCpuMsPerTurn: number;
  /** CPU time of the PostgreSQL server (all its processes), per turn (ms). */
  postgresCpuMsPerTurn: number;
  /** Busiest instance's CPU use over the window, in cores. */
  busiestInstanceCores: number;
  /** PostgreSQL's CPU use over the window, in cores. */
  postgresCores: number;
  /** Connections PostgreSQL held at the end of the window. */
  postgresConnections: number;
}

export interface ScaleOutResult {
  measuredAt: string;
  command: string;
  machine: { cpuModel: string; cores: number; nodeVersion: string; postgres: string; gitCommit: string | null };
  settings: {
    concurrency: number;
    warmupSec: number;
    measureSec: number;
    turnsPerSession: number;
    model: string;
    tracing: string;
  };
  runs: ScaleOutRun[];
}
