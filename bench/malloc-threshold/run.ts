// `npm run bench:malloc-threshold [-- --rounds N --traced --threshold BYTES]`: what pinning glibc's
// mmap threshold (MALLOC_MMAP_THRESHOLD_, docs/deployment.md "Memory") costs and saves on a warm
// service. Two services run side by side, one started with it pinned (at BYTES, default npm start's
// value) and one without; after a warm-up each gets one window of instant@16 load per round,
// alternately first, one at a time. Per window: CPU per request of the main thread and of every
// other thread (GC, compiler, libuv), from /proc, and the peak RSS. Writes
// bench/results/malloc-threshold/warm-<off|traced>-<BYTES>.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { pinSelf, planCpus } from "../cpu-affinity.js";
import { LAUNCH_ENV } from "../launch-env.js";
import { runLoad } from "../load.js";
import { machineInfo } from "../machine-info.js";
import { ROOT, RESULTS_DIR } from "../paths.js";
import { freePort } from "../ports.js";
import { readCpuSeconds, RssSampler } from "../process-sampler.js";
import { ReceiverProcess, RECEIVER_PUBLIC_KEY, RECEIVER_SECRET_KEY } from "../receiver-process.js";
import { ServiceProcess } from "../service-process.js";
import { median } from "../stats.js";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "6" },
    traced: { type: "boolean", default: false },
    threshold: { type: "string", default: LAUNCH_ENV["MALLOC_MMAP_THRESHOLD_"] },
  },
});
if (process.env["MALLOC_MMAP_THRESHOLD_"] !== undefined)
  throw new Error("unset MALLOC_MMAP_THRESHOLD_ first: the unpinned service must start without it");
const ROUNDS = Number(args.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error("--rounds must be a positive integer");
const CONNECTIONS = 16;
const WARMUP_SECONDS = 8;
const WINDOW_SECONDS = 4;
/** After a window, time for the turns in flight and (traced) the batch they sealed to finish. */
const SETTLE_MS = 700;
const THRESHOLD = Number(args.threshold);
if (!Number.isInteger(THRESHOLD) || THRESHOLD < 0) throw new Error("--threshold must be a byte count");
/** What npm start sets besides the threshold: both sides get it, so they differ in the threshold alone. */
const UNPINNED = Object.fromEntries(Object.entries(LAUNCH_ENV).filter(([key]) => key !== "MALLOC_MMAP_THRESHOLD_"));
/** A fixed threshold (setting it turns off glibc's dynamic raising). */
const PINNED = { ...UNPINNED, MALLOC_MMAP_THRESHOLD_: String(THRESHOLD) };
const SIDES = ["pinned", "unpinned"] as const;
type Side = (typeof SIDES)[number];

/** CPU milliseconds of a process so far: its main thread, and all its other threads together. */
function threadCpuMs(pid: number): { main: number; other: number } {
  const total = readCpuSeconds(pid);
  const main = readCpuSeconds(pid, pid);
  if (total === null || main === null) throw new Error(`cannot read the CPU time of process ${pid}`);
  return { main: main * 1000, other: (total - main) * 1000 };
}

interface Window {
  round: number;
  side: Side;
  requests: number;
  throughputRps: number;
  mainCpuMsPerRequest: number;
  otherCpuMsPerRequest: number;
  cpuMsPerRequest: number;
  rssPeakMiB: number;
}

const cpus = planCpus(true);
// The load generator runs here: it stays off the services' core, as in the load benchmark.
pinSelf(cpus.others);
const work = mkdtempSync(join(tmpdir(), "switchboard-malloc-"));
const receiverPort = await freePort();
const receiver = args.traced
  ? await ReceiverProcess.start({
      root: ROOT,
      port: receiverPort,
      env: {},
      dbPath: ":memory:",
      logFile: join(work, "receiver.log"),
      cpus: cpus.others,
    })
  : null;
const services = {} as Record<Side, ServiceProcess>;
try {
  for (const side of SIDES) {
    services[side] = await ServiceProcess.start({
      root: ROOT,
      launch: side === "pinned" ? PINNED : UNPINNED,
      port: await freePort(),
      env: {
        SIM_TTFT_MS: "0",
        SIM_TOKEN_MS: "0",
        SIM_REPLY_TOKENS: "60",
        SESSION_STORE: "memory",
        LANGFUSE_JOURNAL_DIR: join(work, side, "journal"),
        ...(receiver
          ? {
              LANGFUSE_ENABLED: "true",
              LANGFUSE_PIPELINE: "switchboard",
              LANGFUSE_BASE_URL: `http://127.0.0.1:${receiverPort}`,
              LANGFUSE_PUBLIC_KEY: RECEIVER_PUBLIC_KEY,
              LANGFUSE_SECRET_KEY: RECEIVER_SECRET_KEY,
            }
          : { LANGFUSE_ENABLED: "false" }),
      },
      logFile: join(work, `${side}.log`),
      cpus: cpus.service,
    });
  }

  const window = async (side: Side, round: number, seconds: number): Promise<Window> => {
    const { pid, baseUrl } = services[side];
    const before = threadCpuMs(pid);
    const rss = new RssSampler(pid, 100).start();
    const { done } = runLoad({
      baseUrl,
      connections: CONNECTIONS,
      warmup: 0.5,
      duration: seconds,
      timeoutSeconds: 10,
      runTag: `${side}-${round}-${Date.now()}`,
    });
    const load = await done;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const peakBytes = rss.stop().peakBytes ?? 0;
    const after = threadCpuMs(pid);
    // CPU runs from the warm-up's start to the settle's end: charge it to every response in that time.
    const requests = load.answered + load.warmupResponses;
    const main = (after.main - before.main) / requests;
    const other = (after.other - before.other) / requests;
    return {
      round,
      side,
      requests,
      throughputRps: load.throughputRps,
      mainCpuMsPerRequest: main,
      otherCpuMsPerRequest: other,
      cpuMsPerRequest: main + other,
      rssPeakMiB: peakBytes / 1024 / 1024,
    };
  };

  for (const side of SIDES) await window(side, 0, WARMUP_SECONDS);
  const windows: Window[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const side of round % 2 === 1 ? SIDES : [...SIDES].reverse()) {
      const w = await window(side, round, WINDOW_SECONDS);
      windows.push(w);
      console.log(
        `round ${round} ${side.padEnd(8)} ${w.cpuMsPerRequest.toFixed(2)} ms/req (main ${w.mainCpuMsPerRequest.toFixed(2)}, other threads ${w.otherCpuMsPerRequest.toFixed(2)}), ${w.throughputRps.toFixed(0)} req/s, peak RSS ${w.rssPeakMiB.toFixed(0)} MiB`,
      );
    }
  }
  const summary = Object.fromEntries(
    SIDES.map((side) => {
      const mine = windows.filter((w) => w.side === side);
      const m = (pick: (w: Window) => number) => median(mine.map(pick));
      return [
        side,
        {
          cpuMsPerRequest: m((w) => w.cpuMsPerRequest),
          mainCpuMsPerRequest: m((w) => w.mainCpuMsPerRequest),
          otherCpuMsPerRequest: m((w) => w.otherCpuMsPerRequest),
          rssPeakMiB: m((w) => w.rssPeakMiB),
        },
      ];
    }),
  );
  // Each round's pinned window against its unpinned one: the ratio that does not move with the machine.
  const ratios = Array.from({ length: ROUNDS }, (_, i) => {
    const of = (side: Side) => windows.find((w) => w.round === i + 1 && w.side === side)!.cpuMsPerRequest;
    return of("pinned") / of("unpinned");
  });
  const result = {
    schema: "switchboard-malloc-threshold/1",
    createdAt: new Date().toISOString(),
    machine: machineInfo(ROOT),
    traced: args.traced,
    pinnedEnv: PINNED,
    method: `instant@${CONNECTIONS}, sessions in memory, two warm services (one started with MALLOC_MMAP_THRESHOLD_=${THRESHOLD}, one without), ${WARMUP_SECONDS} s warm-up each, then ${ROUNDS} rounds of one ${WINDOW_SECONDS} s window each, alternately first; CPU of all threads from /proc per response, from the window's warm-up to ${SETTLE_MS} ms after it`,
    windows,
    summary,
    pinnedOverUnpinnedCpu: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
  };
  const dir = join(RESULTS_DIR, "malloc-threshold");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `warm-${args.traced ? "traced" : "off"}-${THRESHOLD}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `pinned / unpinned CPU per request: median ${result.pinnedOverUnpinnedCpu.median.toFixed(3)} (${result.pinnedOverUnpinnedCpu.min.toFixed(3)}-${result.pinnedOverUnpinnedCpu.max.toFixed(3)}); wrote ${relative(process.cwd(), file)}`,
  );
} finally {
  for (const service of Object.values(services)) await service.stop();
  await receiver?.stop();
  rmSync(work, { recursive: true, force: true });
}
