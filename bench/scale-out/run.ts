// `npm run bench:scale-out`: measures turns per second per instance and per PostgreSQL database.
// Starts PostgreSQL and Redis (test/support's launchers: loopback, passwords), then for 1, 2 and
// 3 instances of the compiled service behind haproxy runs a closed-loop load of chat turns and
// reads the CPU time of every instance and of PostgreSQL from /proc. Writes
// bench/results/scale-out/reference.json and regenerates the sizing section of
// docs/deployment.md from it. About two minutes.
//   node dist/bench/scale-out/run.js [--measure 15] [--warmup 3] [--concurrency 32] [--instances 1,2,3]
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { spawnService, type SpawnedService } from "../../test/support/spawn-service.js";
import { startPostgres } from "../../test/support/postgres-server.js";
import { startRedis } from "../../test/support/redis-server.js";
import { startHaproxy } from "../../test/support/haproxy.js";
import { ROOT } from "../paths.js";
import { readSourceState } from "../source-state.js";
import { writeSizingSection } from "./report.js";
import type { ScaleOutResult, ScaleOutRun } from "./result.js";

const RESULT_PATH = "bench/results/scale-out/reference.json";
const KEY = "scale-out-bench-key-0123456789";
const TURNS_PER_SESSION = 10;
const CLOCK_TICKS_PER_SEC = 100;

const { values } = parseArgs({
  options: {
    measure: { type: "string", default: "15" },
    warmup: { type: "string", default: "3" },
    concurrency: { type: "string", default: "32" },
    instances: { type: "string", default: "1,2,3" },
  },
});
const measureSec = Number(values.measure);
const warmupSec = Number(values.warmup);
const concurrency = Number(values.concurrency);
const counts = values.instances.split(",").map(Number);

/** CPU seconds (user + system, children that exited included) of the processes `pids`. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime, stime, cutime, cstime are fields 14-17 (1-based), 12-15 after the name.
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // gone since it was listed
    }
  }
  return ticks / CLOCK_TICKS_PER_SEC;
}

/** The PostgreSQL server listening on `port`: its postmaster and every backend it started. */
function postgresPids(port: number): number[] {
  const all = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const parentOf = new Map<number, number>();
  let postmaster = 0;
  for (const pid of all) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      parentOf.set(pid, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (cmd[0]?.endsWith("/postgres") && cmd.includes(String(port))) postmaster = pid;
    } catch {}
  }
  if (!postmaster) throw new Error(`no PostgreSQL server found on port ${port}`);
  return [postmaster, ...all.filter((pid) => parentOf.get(pid) === postmaster)];
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

async function measure(
  url: string,
  instances: SpawnedService[],
  pgPort: number,
  databaseUrl: string,
): Promise<Omit<ScaleOutRun, "instances">> {
  const latencies: number[] = [];
  let turns = 0;
  let errors = 0;
  let recording = false;
  /** Failures by kind, printed at the end of the run. */
  const errorKinds = new Map<string, number>();
  const failed = (kind: string) => {
    errors++;
    errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
  };
  const deadline = Date.now() + (warmupSec + measureSec) * 1000;
  const worker = async (w: number) => {
    let session: string | undefined;
    for (let n = 0; Date.now() < deadline; n++) {
      if (n % TURNS_PER_SESSION === 0) session = undefined;
      const started = performance.now();
      try {
        const res = await fetch(`${url}/api/v1/chat`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
          body: JSON.stringify({
            message: "Where is my order 42? It has not arrived.",
            user_id: `bench-${w}`,
            ...(session ? { session_id: session } : {}),
          }),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        const body = (res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text) as {
          session_id?: string;
        };
        if (!recording) continue;
        if (res.status === 200) {
          session = body.session_id;
          turns++;
          latencies.push(performance.now() - started);
        } else failed(`HTTP ${res.status} ${JSON.stringify(body).slice(0, 120)}`);
      } catch (err) {
        if (recording) failed((err as Error).message);
      }
    }
  };
  const load = Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  await new Promise((r) => setTimeout(r, warmupSec * 1000));
  const pgBefore = cpuSeconds(postgresPids(pgPort));
  const instanceBefore = instances.map((s) => cpuSeconds([s.child.pid!]));
  const started = performance.now();
  recording = true;
  await load;
  const seconds = (performance.now() - started) / 1000;
  const pgCpu = cpuSeconds(postgresPids(pgPort)) - pgBefore;
  const instanceCpu = instances.map((s, i) => cpuSeconds([s.child.pid!]) - instanceBefore[i]!);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const connections = Number(
    (await client.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()")).rows[0].n,
  );
  await client.end();
  latencies.sort((a, b) => a - b);
  if (errorKinds.size) process.stderr.write(`  errors: ${JSON.stringify([...errorKinds])}\n`);
  const totalInstanceCpu = instanceCpu.reduce((a, b) => a + b, 0);
  return {
    turns,
    errors,
    seconds: Number(seconds.toFixed(2)),
    turnsPerSec: turns / seconds,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    instanceCpuMsPerTurn: (totalInstanceCpu * 1000) / Math.max(1, turns),
    postgresCpuMsPerTurn: (pgCpu * 1000) / Math.max(1, turns),
    busiestInstanceCores: Math.max(...instanceCpu) / seconds,
    postgresCores: pgCpu / seconds,
    postgresConnections: connections - 1,
  };
}

async function main(): Promise<void> {
  const source = readSourceState(ROOT);
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const pgPort = Number(new URL(postgres.url).port);
  const runs: ScaleOutRun[] = [];
  let postgresVersion = "PostgreSQL";
  try {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    postgresVersion = `PostgreSQL ${(await client.query("SHOW server_version")).rows[0].server_version}`;
    await client.end();
    for (const n of counts) {
      const env = {
        SESSION_STORE: "postgres",
        DATABASE_URL: postgres.url,
        REDIS_URL: redis.url,
        API_KEYS: KEY,
        // Counted in Redis on every request, as a deployment does, but never reached.
        RATE_LIMIT_PER_MINUTE: "1000000",
        SIM_TTFT_MS: "0",
        SIM_TOKEN_MS: "0",
        LANGFUSE_ENABLED: "false",
        LOG_LEVEL: "info",
      };
      const instances: SpawnedService[] = [];
      for (let i = 0; i < n; i++) instances.push(await spawnService(env, 60_000));
      // Checks as a balancer in production runs them: an instance busy with turns is not "down".
      const proxy = await startHaproxy(
        instances.map((s, i) => ({ name: `i${i}`, url: s.url })),
        { checkIntervalMs: 2000, fall: 3 },
      );
      try {
        process.stderr.write(`scale-out: ${n} instance(s), ${concurrency} clients, ${warmupSec}+${measureSec} s...\n`);
        const run = { instances: n, ...(await measure(proxy.url, instances, pgPort, postgres.url)) };
        process.stderr.write(
          `  ${run.turnsPerSec.toFixed(0)} turns/s, instance CPU ${run.instanceCpuMsPerTurn.toFixed(2)} ms/turn, PostgreSQL CPU ${run.postgresCpuMsPerTurn.toFixed(2)} ms/turn, ${run.errors} errors\n`,
        );
        runs.push(run);
      } finally {
        await proxy.stop();
        await Promise.all(instances.map((s) => s.stop()));
      }
    }
  } finally {
    await Promise.all([postgres.stop(), redis.stop()]);
  }
  const result: ScaleOutResult = {
    measuredAt: new Date().toISOString(),
    command: "npm run bench:scale-out",
    machine: {
      cpuModel: cpus()[0]?.model.trim() ?? "unknown",
      cores: cpus().length,
      nodeVersion: process.version,
      postgres: postgresVersion,
      gitCommit: source.commit ? source.commit.slice(0, 12) : null,
    },
    settings: {
      concurrency,
      warmupSec,
      measureSec,
      turnsPerSession: TURNS_PER_SESSION,
      model: "the simulated model at zero latency (SIM_TTFT_MS=0, SIM_TOKEN_MS=0)",
      tracing: "off (LANGFUSE_ENABLED=false: this measures the service and its database)",
    },
    runs,
  };
  mkdirSync(join(ROOT, "bench", "results", "scale-out"), { recursive: true });
  writeFileSync(join(ROOT, RESULT_PATH), `${JSON.stringify(result, null, 2)}\n`);
  writeSizingSection(join(ROOT, "docs", "deployment.md"), result, RESULT_PATH);
  process.stderr.write(`wrote ${RESULT_PATH} and the sizing section of docs/deployment.md\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
