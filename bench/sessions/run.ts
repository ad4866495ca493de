// The session benchmark: what one chat turn costs at turn 1, 100 and 1,000 of one session, on
// SQLite and on PostgreSQL: CPU of the service (and of the database server), bytes the session
// occupies more after the turn, bytes the trace exporter sends for it, and the size of a session
// read. A session's thousandth turn should cost what its first did.
//
//   node dist/bench/sessions/run.js [--turns 1000] [--message-chars 1000] [--stores sqlite,postgres]
//                                   [--root <checkout to measure>] [--label after|before] [--reference]
//
// The service runs as its own process (the build under --root, this checkout by default), with the
// simulated model at 0 ms and tracing on, exporting to a counting OTLP endpoint in this process.
// --reference writes bench/sessions/<label>.json and regenerates the section of docs/sessions.md.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { launchEnv } from "../launch-env.js";
import { machineInfo } from "../machine-info.js";
import { ROOT } from "../paths.js";
import { readSourceState, referenceRefusal } from "../source-state.js";
import { median } from "../stats.js";
import { startPostgres, type PostgresServer } from "../../test/support/postgres-server.js";
import { startCountingReceiver, type CountingReceiver } from "./counting-receiver.js";
import { renderSection, renderStdout, replaceSection } from "./report.js";
import { RESULT_SCHEMA, type PointResult, type SessionBenchResult, type StoreResult } from "./result.js";
import { postgresProbe, sqliteProbe, type StorageProbe } from "./storage-probe.js";
import { readProcessCpu } from "./thread-cpu.js";

const RESULTS_DIR = join(ROOT, "bench", "sessions");
const DOC_PATH = join(ROOT, "docs", "sessions.md");
/** Observations of one routed turn: chat, route_node, classifier, agent_<key>, agent_reply. */
const SPANS_PER_TURN = 5;
/** Turns each point's medians are taken over. */
const WINDOW = 10;
const WARMUP_TURNS = 30;
const REPLY_TOKENS = 60;
const USER = "bench";

const { values: args } = parseArgs({
  options: {
    turns: { type: "string", default: "1000" },
    "message-chars": { type: "string", default: "1000" },
    stores: { type: "string", default: "sqlite,postgres" },
    root: { type: "string" },
    label: { type: "string", default: "after" },
    reference: { type: "boolean", default: false },
    note: { type: "string", multiple: true },
    // The commit a --root without git metadata (an exported copy) was built from.
    commit: { type: "string" },
    // Regenerates the section of docs/sessions.md from the result files, measuring nothing.
    "render-only": { type: "boolean", default: false },
  },
});
const turns = Math.max(1, Number(args.turns));
const messageChars = Math.max(40, Number(args["message-chars"]));
const stores = args.stores.split(",").map((s) => s.trim()) as ("sqlite" | "postgres")[];
const root = args.root ?? ROOT;
if (args["render-only"]) {
  renderDoc();
  process.exit(0);
}
const points = [1, 100, 1000, 10_000].filter((p) => p <= turns);
const read = readSourceState(root);
const source = read.commit === null && args.commit ? { ...read, commit: args.commit, dirty: false } : read;
if (args.reference && root === ROOT) {
  const refusal = referenceRefusal(source);
  if (refusal) {
    console.error(refusal);
    process.exit(2);
  }
}

/** A message of about `messageChars` characters, unique to its turn, that the router sends to the orders desk. */
function message(n: number): string {
  const head = `Turn ${n}: where is my order ${10_000 + n}? It has not arrived yet. `;
  const filler = "The parcel was due on Monday and the tracking page has not changed since. ";
  return (head + filler.repeat(Math.ceil(messageChars / filler.length))).slice(0, messageChars);
}

interface Service {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function spawnService(env: Record<string, string>): Promise<Service> {
  const child: ChildProcess = spawn(process.execPath, [join(root, "dist", "src", "main.js")], {
    cwd: root,
    env: { ...launchEnv(), PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-32_768));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output}`)), 60_000);
    const check = () => {
      const m = /switchboard ready on (http:\/\/[0-9.]+:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface TurnSample {
  cpuUs: number;
  mainCpuUs: number;
  databaseCpuUs: number | null;
  latencyMs: number;
  storedBytes: number;
  sessionBytes: number;
  traceBytes: number;
}

class TurnRunner {
  #spans = 0;

  readonly #service: Service;
  readonly #receiver: CountingReceiver;
  readonly #probe: StorageProbe;

  constructor(service: Service, receiver: CountingReceiver, probe: StorageProbe) {
    this.#service = service;
    this.#receiver = receiver;
    this.#probe = probe;
  }

  /** Runs one turn and waits until the exporter has delivered its spans; storage read around it when asked. */
  async turn(sessionId: string, text: string, storage: boolean): Promise<TurnSample> {
    const before = storage ? await this.#probe.sessionBytes(sessionId) : 0;
    const cpu0 = readProcessCpu(this.#service.pid);
    const db0 = this.#probe.serverCpuNs();
    const bytes0 = this.#receiver.bytes;
    const t0 = performance.now();
    const res = await fetch(`${this.#service.url}/api/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: text, user_id: USER, session_id: sessionId }),
    });
    const body = await res.text();
    const latencyMs = performance.now() - t0;
    if (res.status !== 200) throw new Error(`turn on ${sessionId} answered ${res.status}: ${body.slice(0, 300)}`);
    this.#spans += SPANS_PER_TURN;
    await this.#receiver.untilSpans(this.#spans, 60_000);
    const cpu1 = readProcessCpu(this.#service.pid);
    const db1 = this.#probe.serverCpuNs();
    const after = storage ? await this.#probe.sessionBytes(sessionId) : 0;
    return {
      cpuUs: (cpu1.allNs - cpu0.allNs) / 1000,
      mainCpuUs: (cpu1.mainNs - cpu0.mainNs) / 1000,
      databaseCpuUs: db0 === null || db1 === null ? null : (db1 - db0) / 1000,
      latencyMs,
      storedBytes: after - before,
      sessionBytes: after,
      traceBytes: this.#receiver.bytes - bytes0,
    };
  }

  async readBytes(sessionId: string): Promise<number> {
    const res = await fetch(`${this.#service.url}/api/v1/sessions/${sessionId}?user_id=${USER}`);
    const bytes = (await res.arrayBuffer()).byteLength;
    if (res.status !== 200) throw new Error(`session read answered ${res.status}`);
    return bytes;
  }
}

function point(turn: number, samples: TurnSample[], sessionReadBytes: number): PointResult {
  const m = (f: (s: TurnSample) => number) => Math.round(median(samples.map(f)) * 10) / 10;
  const db = samples.map((s) => s.databaseCpuUs);
  return {
    turn,
    samples: samples.length,
    cpuUs: m((s) => s.cpuUs),
    mainCpuUs: m((s) => s.mainCpuUs),
    databaseCpuUs: db.every((v) => v !== null) ? Math.round(median(db as number[]) * 10) / 10 : null,
    latencyMs: Math.round(median(samples.map((s) => s.latencyMs)) * 100) / 100,
    storedBytesPerTurn: m((s) => s.storedBytes),
    sessionBytes: samples[samples.length - 1]!.sessionBytes,
    traceBytesPerTurn: m((s) => s.traceBytes),
    sessionReadBytes,
  };
}

async function runStore(store: "sqlite" | "postgres"): Promise<StoreResult> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-sessions-"));
  const receiver = await startCountingReceiver();
  let postgres: PostgresServer | undefined;
  let service: Service | undefined;
  let probe: StorageProbe | undefined;
  try {
    const dbPath = join(dir, "sessions.db");
    let storeEnv: Record<string, string>;
    if (store === "sqlite") storeEnv = { SESSION_STORE: "sqlite", SESSION_DB_PATH: dbPath };
    else {
      postgres = await startPostgres();
      storeEnv = { SESSION_STORE: "postgres", DATABASE_URL: postgres.url };
    }
    service = await spawnService({
      ...storeEnv,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      SIM_TTFT_MS: "0",
      SIM_TOKEN_MS: "0",
      SIM_REPLY_TOKENS: String(REPLY_TOKENS),
      MAX_MESSAGE_CHARS: String(Math.max(8000, messageChars)),
      RATE_LIMIT_PER_MINUTE: "0",
      LANGFUSE_PUBLIC_KEY: receiver.publicKey,
      LANGFUSE_SECRET_KEY: receiver.secretKey,
      LANGFUSE_BASE_URL: receiver.baseUrl,
      // Each turn's spans are sealed and sent at once, so they can be told apart on the wire.
      LANGFUSE_FLUSH_INTERVAL: "0",
      LANGFUSE_JOURNAL_DIR: join(dir, "spool"),
    });
    probe = store === "sqlite" ? sqliteProbe(dbPath) : await postgresProbe(postgres!.url);
    const runner = new TurnRunner(service, receiver, probe);
    for (let i = 0; i < WARMUP_TURNS; i++) await runner.turn(`bench-warmup-${i % 3}`, message(i + 1), false);

    const results: PointResult[] = [];
    // Turn 1: the first turn of fresh sessions.
    const firsts: TurnSample[] = [];
    for (let i = 0; i < WINDOW; i++) firsts.push(await runner.turn(`bench-first-${i}`, message(1), true));
    results.push(point(1, firsts, await runner.readBytes("bench-first-0")));
    // Turns 100 and 1,000: the ten turns up to them of one long session.
    const session = "bench-long";
    let window: TurnSample[] = [];
    for (let n = 1; n <= turns; n++) {
      const measured = points.some((p) => p > 1 && n > p - WINDOW && n <= p);
      const sample = await runner.turn(session, message(n), measured);
      if (measured) window.push(sample);
      if (points.includes(n) && n > 1) {
        results.push(point(n, window, await runner.readBytes(session)));
        window = [];
        console.error(`  ${store}: turn ${n} of ${turns} (${Math.round((performance.now() - started) / 1000)} s)`);
      }
    }
    return {
      store,
      points: results,
      databaseBytes: await probe.databaseBytes(),
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    await service?.stop();
    await probe?.close();
    await receiver.close();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const startedAt = new Date().toISOString();
const results: StoreResult[] = [];
for (const store of stores) {
  console.error(`session benchmark on ${store}: ${turns} turns of ${messageChars} characters`);
  results.push(await runStore(store));
}
const result: SessionBenchResult = {
  schema: RESULT_SCHEMA,
  label: args.label,
  startedAt,
  machine: { ...machineInfo(root, source), sourceReadAtStart: true },
  options: {
    turns,
    messageChars,
    replyTokens: REPLY_TOKENS,
    historyTurns: null,
    warmupTurns: WARMUP_TURNS,
    window: WINDOW,
  },
  stores: results,
  notes: [
    "Service: the simulated model at 0 ms (60-token replies), HISTORY_TURNS at its default, tracing on (protobuf, the journal on), exporting to a counting OTLP endpoint.",
    `Turn 1: the first turn of ${WINDOW} fresh sessions; turn N: turns N-${WINDOW - 1}..N of one session. Medians. ${WARMUP_TURNS} warm-up turns first.`,
    "CPU: /proc/<pid>/task/*/schedstat of the service (every thread) from sending the turn until its spans were delivered; database CPU: the PostgreSQL server's processes over the same interval.",
    "Stored bytes: the session's rows (checkpoints, writes, channel blobs, transcript) after the turn minus before it; PostgreSQL sizes are as stored (pg_column_size, compressed).",
    ...(args.note ?? []),
  ],
};
console.log(renderStdout(result));
if (args.reference) {
  const file = join(RESULTS_DIR, `${args.label === "after" ? "result" : args.label}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.error(`wrote ${file}`);
  renderDoc();
}

/** Regenerates the section of docs/sessions.md from result.json (and before.json), when there is a result. */
function renderDoc(): void {
  const load = (name: string) => {
    const path = join(RESULTS_DIR, name);
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as SessionBenchResult) : undefined;
  };
  const after = load("result.json");
  if (!after) return;
  writeFileSync(DOC_PATH, replaceSection(readFileSync(DOC_PATH, "utf8"), renderSection(after, load("before.json"))));
  console.error(`regenerated the benchmark section of ${DOC_PATH}`);
}
