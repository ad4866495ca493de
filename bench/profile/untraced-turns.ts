// The CPU an untraced chat turn costs inside the process, without HTTP: the real service
// (createService) with LANGFUSE_ENABLED=false and the simulated model at zero latency, turns run
// one after the other through ChatService.runTurn, process.cpuUsage() read around each turn.
// What is left is the turn's own work: session lookup, the LangGraph run, the model calls, the
// checkpoint write. Run it under `node --cpu-prof` to see where that time goes.
//
// With --baseline, a second build (another checkout's dist/, e.g. main's) runs in the same
// process and the two alternate in blocks of turns, so both see the same machine load: on a
// shared machine that is the only before/after comparison worth reading.
//
//   npm run build --silent && node dist/bench/profile/untraced-turns.js [options]
//     --store memory|sqlite   session store (default memory; sqlite uses a temporary file)
//     --mode new|continue     a new session every turn, or sessions of --session-turns turns (history grows)
//     --session-turns N       turns per session in continue mode (default: the load benchmark's)
//     --turns N               measured turns per variant (default 2000)
//     --warmup N              unmeasured turns per variant first (default 500)
//     --block N               turns per block when alternating with --baseline (default 100)
//     --stream                stream the reply (onToken), as /api/v1/chat/stream does
//     --baseline DIR          another build's dist/ folder to compare with (same node_modules); give it
//                             several times to compare several builds in one window (each against
//                             the first and against the one before it: one cut at a time)
//     --only baseline|current with --baseline, run only that one (for instruction counts under
//                             valgrind, where each build is its own run)
//     --json                  one JSON line per variant instead of the table
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import pino from "pino";
import { Registry } from "prom-client";
import type * as ConfigModule from "../../src/config.js";
import type * as ServiceModule from "../../src/service.js";
import { DEFAULT_SESSION_PLAN, MESSAGES } from "../messages.js";
import { percentile } from "../stats.js";
import { buildName, pairedLines } from "./paired-blocks.js";

const { values: args } = parseArgs({
  options: {
    store: { type: "string", default: "memory" },
    mode: { type: "string", default: "new" },
    "session-turns": { type: "string", default: String(DEFAULT_SESSION_PLAN.turnsPerSession) },
    turns: { type: "string", default: "2000" },
    warmup: { type: "string", default: "500" },
    block: { type: "string", default: "100" },
    stream: { type: "boolean", default: false },
    baseline: { type: "string", multiple: true },
    only: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

const store = args.store === "sqlite" ? "sqlite" : "memory";
const mode = args.mode === "continue" ? "continue" : "new";
const sessionTurns = Number(args["session-turns"]);
const turns = Number(args.turns);
const warmup = Number(args.warmup);
const block = Math.max(1, Number(args.block));

/**
 * The own properties of the global Web Crypto object. A build may change it for the whole process
 * (graph/pooled-random-values.ts pools getRandomValues there), which would hand its saving to the
 * other builds of the run: each variant records its own state when it is built and runs with it.
 */
type CryptoState = Map<PropertyKey, PropertyDescriptor>;

function cryptoState(): CryptoState {
  const c = globalThis.crypto;
  return new Map(Reflect.ownKeys(c).map((k) => [k, Object.getOwnPropertyDescriptor(c, k)!]));
}

function setCryptoState(state: CryptoState): void {
  const c = globalThis.crypto as unknown as Record<PropertyKey, unknown>;
  for (const k of Reflect.ownKeys(c)) if (!state.has(k)) delete c[k];
  for (const [k, d] of state) Object.defineProperty(c, k, d);
}

const pristineCrypto = cryptoState();

interface Variant {
  name: string;
  crypto: CryptoState;
  turn(): Promise<void>;
  close(): Promise<void>;
  /** Per-turn CPU (user + system), us. */
  cpuUs: number[];
  /** Mean per-turn CPU of each block, us. */
  blockMeans: number[];
  wallMs: number;
}

/** Loads config.js and service.js of one build and starts its service on its own temporary session store. */
async function loadVariant(name: string, distDir: string | null): Promise<Variant> {
  const from = (path: string) =>
    distDir ? pathToFileURL(join(resolve(distDir), path)).href : new URL(`../../${path}`, import.meta.url).href;
  const { loadConfig } = (await import(from("src/config.js"))) as typeof ConfigModule;
  const { createService } = (await import(from("src/service.js"))) as typeof ServiceModule;
  const dir = mkdtempSync(join(tmpdir(), "switchboard-profile-"));
  const config = loadConfig({
    LANGFUSE_ENABLED: "false",
    LANGFUSE_JOURNAL: "false",
    SESSION_STORE: store,
    SESSION_DB_PATH: join(dir, "sessions.db"),
    SIM_TTFT_MS: "0",
    SIM_TOKEN_MS: "0",
    LOG_LEVEL: "silent",
  });
  // Awaited: createService is async since the OpenAI provider is loaded on demand (older builds return the service itself).
  setCryptoState(pristineCrypto);
  const service = await createService(config, { logger: pino({ level: "silent" }), registry: new Registry() });
  await service.store.init();
  const crypto = cryptoState();
  setCryptoState(pristineCrypto);
  let next = 0;
  let session = "";
  let left = 0;
  return {
    name,
    crypto,
    cpuUs: [],
    blockMeans: [],
    wallMs: 0,
    async turn() {
      const message = MESSAGES[next++ % MESSAGES.length] ?? "";
      let sessionId: string | undefined;
      if (mode === "continue") {
        if (left === 0) {
          session = `profile-${next}`;
          left = sessionTurns;
        }
        left--;
        sessionId = session;
      }
      await service.chat.runTurn({
        userId: "profiler",
        sessionId,
        message,
        endpoint: args.stream ? "stream" : "chat",
        onToken: args.stream ? () => {} : undefined,
      });
    },
    async close() {
      await service.chat.drain();
      await service.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function measureBlock(v: Variant, n: number): Promise<void> {
  setCryptoState(v.crypto);
  const start = performance.now();
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const before = process.cpuUsage();
    await v.turn();
    const used = process.cpuUsage(before);
    v.cpuUs.push(used.user + used.system);
    sum += used.user + used.system;
  }
  v.wallMs += performance.now() - start;
  v.blockMeans.push(sum / n);
}

const baselines = args.baseline ?? [];
const variants: Variant[] = [];
if (baselines.length === 1 && args.only !== "current") variants.push(await loadVariant("baseline", baselines[0]!));
if (baselines.length > 1) for (const dir of baselines) variants.push(await loadVariant(buildName(dir), dir));
if (baselines.length === 0 || args.only !== "baseline")
  variants.push(await loadVariant(baselines.length ? "current" : "turn", null));
for (const v of variants) {
  setCryptoState(v.crypto);
  for (let i = 0; i < warmup; i++) await v.turn();
}
for (let done = 0, k = 0; done < turns; done += block, k++) {
  const n = Math.min(block, turns - done);
  // Rotate which variant goes first, so none always follows the same one's garbage.
  const order = variants.map((_, i) => variants[(i + k) % variants.length]!);
  for (const v of order) await measureBlock(v, n);
}
for (const v of variants) await v.close();

const quantile = (values: number[], q: number) => percentile(values, q * 100);
const round = (x: number) => Math.round(x);
for (const v of variants) {
  const result = {
    variant: v.name,
    store,
    mode: mode === "continue" ? `continue(${sessionTurns})` : "new",
    stream: args.stream,
    turns: v.cpuUs.length,
    cpuUsMedian: round(quantile(v.cpuUs, 0.5)),
    cpuUsP10: round(quantile(v.cpuUs, 0.1)),
    cpuUsP90: round(quantile(v.cpuUs, 0.9)),
    cpuUsMean: round(v.cpuUs.reduce((a, b) => a + b, 0) / v.cpuUs.length),
    blockMeanMin: round(Math.min(...v.blockMeans)),
    blockMeanMedian: round(quantile(v.blockMeans, 0.5)),
    blockMeanMax: round(Math.max(...v.blockMeans)),
    turnsPerSecond: round((v.cpuUs.length / v.wallMs) * 1000),
  };
  if (args.json) console.log(JSON.stringify(result));
  else
    console.log(
      Object.entries(result)
        .map(([k, val]) => `${k}=${String(val)}`)
        .join(" "),
    );
}
for (const line of pairedLines(variants)) {
  if (args.json) console.log(JSON.stringify(line));
  else
    console.log(
      Object.entries(line)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(" "),
    );
}
