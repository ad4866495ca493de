// The CPU an untraced chat turn costs the service through HTTP: the real service process
// (dist/src/main.js) with LANGFUSE_ENABLED=false and the simulated model at zero latency, on a
// loopback port, sent POST /api/v1/chat (or /chat/stream) requests by this process. The
// service's CPU is read from the outside (Linux /proc, every thread: main, GC and compiler
// helpers, libuv pool), so the measurement costs the service nothing. Set beside
// untraced-turns.ts (the same turn without HTTP) it says what the HTTP and service layers add.
//
// With --baseline, a second service built from another checkout's dist/ runs beside this
// build's, and the requests alternate between the two in blocks, so both see the same machine
// load: on a shared machine that is the only before/after comparison worth reading.
//
// With --traced, this build also runs traced (LANGFUSE_PIPELINE=switchboard, the defaults, to a
// local receiver process on a loopback port) beside the untraced one, alternating alike: the
// paired lines are then what tracing adds to a turn in the service, every thread of it counted.
// The export is asynchronous, so read the block means (they include the batches a block's turns
// flushed), not the per-request figures.
//
//   npm run build --silent && node dist/bench/profile/untraced-http.js [options]
//     --store memory|sqlite   session store (default memory; sqlite uses a temporary file)
//     --mode new|continue     a new session every turn, or sessions of --session-turns turns
//     --session-turns N       turns per session in continue mode (default: the load benchmark's)
//     --turns N               measured requests per build (default 2000)
//     --warmup N              unmeasured requests per build first (default 500)
//     --idle SEC              idle this long after the warm-up before measuring, as a warm process of a
//                             paired cell idles while the others take their windows (default 0)
//     --block N               requests per block when alternating with --baseline (default 100)
//     --concurrency N         requests in flight at once (default 1: one after the other)
//     --stream                POST /api/v1/chat/stream (SSE) instead of /api/v1/chat
//     --log-level LEVEL       the service's LOG_LEVEL (default warn, as the load benchmark runs it)
//     --traced                also run this build traced, against the untraced one
//     --trace-all             every build traced (with --baseline: a change to tracing, side by side)
//     --langfuse STATE        what the traced build's receiver does, as the load benchmark's degraded
//                             scenarios: fine (default) | slow | hung | down | flaky
//     --traced-env K=V        an environment variable for the traced build (repeatable), e.g.
//                             --traced-env LANGFUSE_MAX_QUEUE_BYTES=4000000
//     --baseline DIR          another build's dist/ folder to compare with; give it several times to
//                             compare several builds in one window (each against the first and
//                             against the one before it)
//     --node-option FLAG      a V8/Node flag for the services' command line (repeatable), e.g.
//                             --node-option=--max-semi-space-size=32
//     --cpu-prof DIR          the services run under `node --cpu-prof`, writing their profiles to DIR
//     --no-pin                leave placement to the scheduler (by default the services share CPU 0,
//                             this process and the receivers the other cores, as `npm run bench` pins)
//     --json                  one JSON line per build instead of the table
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_SESSION_PLAN, MESSAGES } from "../messages.js";
import { freePort } from "../ports.js";
import { ROOT } from "../paths.js";
import { childEnv } from "../child-env.js";
import { httpText, waitUntil } from "../http.js";
import { percentile } from "../stats.js";
import { buildName, pairedLines } from "./paired-blocks.js";
import { pinSelf, planCpus } from "../cpu-affinity.js";
import { launchEnv } from "../launch-env.js";
import { ReceiverProcess, RECEIVER_PUBLIC_KEY, RECEIVER_SECRET_KEY } from "../receiver-process.js";
import { SCENARIOS, type ReceiverMode } from "../scenarios.js";

const { values: args } = parseArgs({
  options: {
    store: { type: "string", default: "memory" },
    mode: { type: "string", default: "new" },
    "session-turns": { type: "string", default: String(DEFAULT_SESSION_PLAN.turnsPerSession) },
    turns: { type: "string", default: "2000" },
    warmup: { type: "string", default: "500" },
    block: { type: "string", default: "100" },
    idle: { type: "string", default: "0" },
    concurrency: { type: "string", default: "1" },
    stream: { type: "boolean", default: false },
    "log-level": { type: "string", default: "warn" },
    baseline: { type: "string", multiple: true },
    traced: { type: "boolean", default: false },
    "trace-all": { type: "boolean", default: false },
    langfuse: { type: "string", default: "fine" },
    "traced-env": { type: "string", multiple: true },
    "cpu-prof": { type: "string" },
    "node-option": { type: "string", multiple: true },
    json: { type: "boolean", default: false },
    pin: { type: "boolean", default: true },
  },
  allowNegative: true,
});

const store = args.store === "sqlite" ? "sqlite" : "memory";
const mode = args.mode === "continue" ? "continue" : "new";
const sessionTurns = Number(args["session-turns"]);
const turns = Number(args.turns);
const warmup = Number(args.warmup);
const block = Math.max(1, Number(args.block));
const concurrency = Math.max(1, Number(args.concurrency));
const cpuPlan = planCpus(args.pin);
pinSelf(cpuPlan.others);
const path = args.stream ? "/api/v1/chat/stream" : "/api/v1/chat";
const tracedEnv = Object.fromEntries(
  (args["traced-env"] ?? []).map((pair) => {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`--traced-env: expected KEY=VALUE, got "${pair}"`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  }),
);
/** The traced build's Langfuse: running as asked, or (down) a port nothing listens on. */
const langfuse: ReceiverMode = (() => {
  const state = args.langfuse ?? "fine";
  if (state === "fine") return { kind: "running", env: {} };
  // The load benchmark's degraded scenarios, by name: one list of them, bench/scenarios.ts.
  const degraded = Object.values(SCENARIOS).filter((s) => s.degraded);
  const scenario = degraded.find((s) => s.name === state);
  if (!scenario)
    throw new Error(`--langfuse: expected fine, ${degraded.map((s) => s.name).join(", ")}, got "${state}"`);
  return scenario.receiver;
})();

/**
 * CPU time the process has used so far, ns: the sum over its threads of the time they spent on a
 * CPU (/proc/<pid>/task/<tid>/schedstat), which unlike /proc/<pid>/stat is not rounded to 10 ms.
 * A thread that exited between two reads takes its time with it; the service keeps its threads.
 */
function readCpuNs(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}

/** The process's peak resident set so far (VmHWM in /proc/<pid>/status), MiB; 0 once it is gone. */
function readPeakRssMiB(pid: number): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return kb ? Number(kb[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

interface Target {
  name: string;
  pid: number;
  baseUrl: string;
  stop(): Promise<void>;
  dir: string;
  agent: Agent;
  /** Per-request CPU (us), measured only when requests run one at a time. */
  cpuUs: number[];
  /** Mean per-request CPU of each block, us. */
  blockMeans: number[];
  wallMs: number;
  sent: number;
  /** Peak resident memory of the service (VmHWM), MiB, read before it is stopped. */
  rssPeakMiB: number;
}

/**
 * Starts `node [--cpu-prof] <root>/dist/src/main.js` on a free loopback port, untraced or traced to
 * a receiver of its own, and waits until it answers.
 */
async function startTarget(name: string, root: string, traced = false): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-http-profile-"));
  const port = await freePort();
  const receiverPort = traced ? await freePort() : 0;
  const receiver =
    traced && langfuse.kind === "running"
      ? await ReceiverProcess.start({
          root,
          port: receiverPort,
          env: langfuse.env,
          dbPath: ":memory:",
          logFile: join(dir, "receiver.log"),
          cpus: cpuPlan.others,
        })
      : null;
  const tracingEnv: Record<string, string> = traced
    ? {
        LANGFUSE_ENABLED: "true",
        LANGFUSE_PIPELINE: "switchboard",
        LANGFUSE_BASE_URL: receiver?.baseUrl ?? `http://127.0.0.1:${receiverPort}`,
        LANGFUSE_PUBLIC_KEY: RECEIVER_PUBLIC_KEY,
        LANGFUSE_SECRET_KEY: RECEIVER_SECRET_KEY,
        LANGFUSE_JOURNAL_DIR: join(dir, "spool"),
        ...tracedEnv,
      }
    : { LANGFUSE_ENABLED: "false", LANGFUSE_JOURNAL: "false" };
  const env = childEnv({
    ...launchEnv(),
    HOST: "127.0.0.1",
    PORT: String(port),
    LLM_PROVIDER: "simulated",
    ...tracingEnv,
    SESSION_STORE: store,
    SESSION_DB_PATH: join(dir, "sessions.db"),
    SIM_TTFT_MS: "0",
    SIM_TOKEN_MS: "0",
    LOG_LEVEL: args["log-level"],
  });
  // --cpu-prof is refused in NODE_OPTIONS, so it goes on the command line.
  const nodeArgs = [
    ...(args["node-option"] ?? []),
    ...(args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${resolve(args["cpu-prof"])}`] : []),
  ];
  const log = openSync(join(dir, "service.log"), "a");
  // The repository is the working directory: relative defaults (agents/shop-support.json) resolve there.
  const node = [process.execPath, ...nodeArgs, join(root, "dist", "src", "main.js")];
  const command = cpuPlan.service === null ? node : ["taskset", "-c", cpuPlan.service, ...node];
  const child = spawn(command[0]!, command.slice(1), {
    env,
    cwd: ROOT,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await httpText(`${baseUrl}/healthz`, { timeoutMs: 1000 })).status === 200, {
    timeoutMs: 30_000,
    what: `${name} service start`,
    abort: () =>
      child.exitCode !== null ? `exited: ${readFileSync(join(dir, "service.log"), "utf8").slice(-2000)}` : null,
  });
  return {
    name,
    pid: child.pid!,
    baseUrl,
    // SIGTERM: the service shuts down gracefully, and --cpu-prof writes its profile on exit.
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      await receiver?.stop();
    },
    dir,
    agent: new Agent({ keepAlive: true, maxSockets: concurrency }),
    cpuUs: [],
    blockMeans: [],
    wallMs: 0,
    sent: 0,
    rssPeakMiB: 0,
  };
}

/** The body of the target's next turn: the load benchmark's messages, a new or continued session. */
function nextBody(t: Target): string {
  const n = t.sent++;
  const message = MESSAGES[n % MESSAGES.length]!;
  const user = `profile-user-${n % 16}`;
  if (mode === "new") return JSON.stringify({ message, user_id: user });
  // Each in-flight slot continues its own sessions, so no two requests wait on one session.
  const slot = n % concurrency;
  const session = Math.floor(Math.floor(n / concurrency) / sessionTurns);
  return JSON.stringify({ message, user_id: `profile-user-${slot}`, session_id: `profile-${slot}-${session}` });
}

function send(t: Target): Promise<void> {
  const body = nextBody(t);
  const url = new URL(path, t.baseUrl);
  return new Promise((done, fail) => {
    const req = request(
      url,
      {
        method: "POST",
        agent: t.agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          if (res.statusCode !== 200)
            fail(new Error(`${t.name}: HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`));
          else done();
        });
        res.on("error", fail);
      },
    );
    req.on("error", fail);
    req.end(body);
  });
}

async function runBlock(t: Target, n: number, measure: boolean): Promise<void> {
  const pid = t.pid;
  const started = performance.now();
  const before = readCpuNs(pid);
  if (concurrency === 1) {
    for (let i = 0; i < n; i++) {
      const b = measure ? readCpuNs(pid) : 0;
      await send(t);
      if (measure) t.cpuUs.push((readCpuNs(pid) - b) / 1000);
    }
  } else {
    let left = n;
    const lane = async () => {
      while (left > 0) {
        left--;
        await send(t);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  }
  if (!measure) return;
  t.blockMeans.push((readCpuNs(pid) - before) / 1000 / n);
  t.wallMs += performance.now() - started;
}

const targets: Target[] = [];
try {
  const baselines = args.baseline ?? [];
  const traceAll = args["trace-all"];
  for (const dir of baselines)
    targets.push(
      await startTarget(baselines.length > 1 ? buildName(dir) : "baseline", dirname(resolve(dir)), traceAll),
    );
  targets.push(await startTarget(baselines.length ? "current" : "service", ROOT, traceAll));
  if (args.traced && !traceAll) targets.push(await startTarget("traced", ROOT, true));
  for (const t of targets) await runBlock(t, warmup, false);
  await new Promise((wake) => setTimeout(wake, Number(args.idle) * 1000));
  for (let done = 0, k = 0; done < turns; done += block, k++) {
    const n = Math.min(block, turns - done);
    // Rotate which build goes first, so none always follows the same one.
    const order = targets.map((_, i) => targets[(i + k) % targets.length]!);
    for (const t of order) await runBlock(t, n, true);
  }
} finally {
  for (const t of targets) {
    t.rssPeakMiB = readPeakRssMiB(t.pid);
    t.agent.destroy();
    await t.stop();
    rmSync(t.dir, { recursive: true, force: true });
  }
}

const round = (x: number) => Math.round(x);
for (const t of targets) {
  const perRequest = t.cpuUs.length
    ? {
        cpuUsMedian: round(percentile(t.cpuUs, 50)),
        cpuUsP10: round(percentile(t.cpuUs, 10)),
        cpuUsP90: round(percentile(t.cpuUs, 90)),
      }
    : {};
  const result = {
    variant: t.name,
    store,
    mode: mode === "continue" ? `continue(${sessionTurns})` : "new",
    endpoint: path,
    concurrency,
    requests: t.blockMeans.length * block,
    ...perRequest,
    blockMeanMin: round(Math.min(...t.blockMeans)),
    blockMeanMedian: round(percentile(t.blockMeans, 50)),
    blockMeanMax: round(Math.max(...t.blockMeans)),
    requestsPerSecond: round(((t.blockMeans.length * block) / t.wallMs) * 1000),
    rssPeakMiB: round(t.rssPeakMiB),
  };
  // The blocks in the order they ran: a trend over them is the service warming up.
  if (args.json) console.log(JSON.stringify({ ...result, blockMeans: t.blockMeans.map(round) }));
  else
    console.log(
      Object.entries(result)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(" "),
    );
}
for (const line of pairedLines(targets)) {
  if (args.json) console.log(JSON.stringify(line));
  else
    console.log(
      Object.entries(line)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(" "),
    );
}
