// One measurement = one variant x one payload x one round: a fresh Tracing, N requests, drain.
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Payload } from "./payload.js";
import type { ReceiverClient, ReceiverTarget } from "./receiver-client.js";
import { runRequest, yieldToLoop } from "./request.js";
import { median } from "./stats.js";
import { mainThreadClock, processCpuMicros } from "./thread-cpu.js";
import { buildVariant, VARIANTS, type BuiltVariant, type VariantName } from "./variants.js";

/** Observations per request: root, 2 node spans, 2 generations. */
export const OBSERVATIONS_PER_REQUEST = 5;

// A full GC between measurements, so one variant's garbage is not collected on the next one's time.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** The main thread's CPU clock; null where it cannot be read (then main-thread CPU is not measured). */
export const MAIN_THREAD_CLOCK = mainThreadClock();
const mainCpu = (): number => MAIN_THREAD_CLOCK?.read() ?? Number.NaN;
/** Microseconds per request, or null when the main-thread clock is missing. */
const perRequest = (micros: number, requests: number): number | null =>
  Number.isFinite(micros) ? micros / requests : null;

export interface SequentialMeasurement {
  requests: number;
  /** Mean time inside one request (await runRequest): the latency tracing adds to the request itself. */
  inRequestUs: number;
  /** Main thread's CPU time over the loop, per request: request path + export work interleaved with it on the main thread. Null without a main-thread clock. */
  mainThreadCpuUs: number | null;
  /** Same, plus the final drain (shutdown/flush): all main-thread CPU the requests caused, export included. */
  mainThreadCpuInclDrainUs: number | null;
  /** CPU time of every thread of the process (main, workers, GC helpers, libuv) over the loop, per request. */
  processCpuUs: number;
  /** Same, plus the drain: all CPU the requests caused in this process, wherever it ran. */
  processCpuInclDrainUs: number;
  /** Event-loop utilization "active" time over loop + drain, per request: main-thread wall time not spent waiting (includes time another process held the core). */
  eventLoopActiveInclDrainUs: number;
  /** Wall time of the drain (mostly waiting for the receiver). */
  drainMs: number;
  spansExpected: number;
  spansUnique: number;
  tracingErrors: number;
  spansDropped: number;
  /** Failed export attempts (timeouts, 5xx ...) the pipeline counted; retries may deliver a span twice. */
  exportFailures: number;
}

export interface ConcurrentMeasurement {
  requests: number;
  concurrency: number;
  /** Event-loop delay samples the percentiles come from (one per millisecond of the run: at least MIN_CONCURRENT_MS worth). */
  eventLoopSamples: number;
  /** monitorEventLoopDelay({resolution: 1}) while the requests ran (idle floor ~1.1 ms: the 1 ms timer itself). */
  eventLoopP99Ms: number;
  eventLoopP50Ms: number;
  eventLoopMaxMs: number;
  /** Main thread's CPU per request, drain included (null without a main-thread clock). */
  mainThreadCpuInclDrainUs: number | null;
  /** Every thread's CPU per request, drain included. */
  processCpuInclDrainUs: number;
  spansExpected: number;
  spansUnique: number;
  tracingErrors: number;
  spansDropped: number;
  exportFailures: number;
}

function exportsSpans(name: VariantName): boolean {
  return VARIANTS.find((v) => v.name === name)?.exports ?? false;
}

/**
 * Waits until the receiver has seen no new span for `quietMs` (at most `maxMs`): an attempt
 * abandoned at its timeout and retried, or a batch still in flight after a shutdown, lands
 * late; counted here it stays with the measurement that sent it.
 */
async function settle(
  receiver: ReceiverClient,
  exporting: boolean,
  quietMs = 300,
  maxMs = 15_000,
): Promise<{ uniqueSpans: number }> {
  if (!exporting) return receiver.stats();
  const deadline = performance.now() + maxMs;
  let last = await receiver.stats();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = await receiver.stats();
    if (now.receivedSpans === last.receivedSpans || performance.now() > deadline) return now;
    last = now;
  }
}

async function prepare(receiver: ReceiverClient): Promise<ReceiverTarget> {
  const target = await receiver.fresh();
  gc();
  await yieldToLoop();
  return target;
}

/**
 * Unmeasured requests on each freshly built pipeline first: a service's pipeline has long
 * compiled its code, one built for a measurement has not. Their export can still run into the
 * measured window (counted against the variant), and their spans count toward completeness.
 */
const WARMUP_SHARE = 0.1;

async function warmUp(tracing: BuiltVariant["tracing"], payload: Payload, requests: number): Promise<number> {
  const n = Math.ceil(requests * WARMUP_SHARE);
  for (let i = 0; i < n; i++) {
    await runRequest(tracing, payload, requests + i, null);
    await yieldToLoop();
  }
  return n;
}

export async function measureSequential(
  name: VariantName,
  payload: Payload,
  requests: number,
  receiver: ReceiverClient,
): Promise<SequentialMeasurement> {
  const target = await prepare(receiver);
  const built = await buildVariant(name, target);
  const tracing = built.tracing;
  const warm = await warmUp(tracing, payload, requests);
  let inRequest = 0;
  const elu0 = performance.eventLoopUtilization();
  const main0 = mainCpu();
  const cpu0 = processCpuMicros();
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await runRequest(tracing, payload, i, null);
    inRequest += performance.now() - started;
    // Each request of a server starts from its own I/O callback: give the event loop (and the
    // exporter's timers and sockets) its turn between requests.
    await yieldToLoop();
  }
  const mainLoop = mainCpu() - main0;
  const cpuLoop = processCpuMicros() - cpu0;
  const drainStart = performance.now();
  await built.shutdown();
  const drainMs = performance.now() - drainStart;
  const eluAll = performance.eventLoopUtilization(elu0);
  const mainAll = mainCpu() - main0;
  const cpuAll = processCpuMicros() - cpu0;
  const health = await built.health();
  built.cleanup();
  const stats = await settle(receiver, exportsSpans(name));
  return {
    requests,
    inRequestUs: (inRequest * 1000) / requests,
    mainThreadCpuUs: perRequest(mainLoop, requests),
    mainThreadCpuInclDrainUs: perRequest(mainAll, requests),
    processCpuUs: cpuLoop / requests,
    processCpuInclDrainUs: cpuAll / requests,
    eventLoopActiveInclDrainUs: (eluAll.active * 1000) / requests,
    drainMs,
    spansExpected: exportsSpans(name) ? (requests + warm) * OBSERVATIONS_PER_REQUEST : 0,
    spansUnique: stats.uniqueSpans,
    tracingErrors: health.errors,
    spansDropped: health.dropped,
    exportFailures: health.exportFailures,
  };
}

/**
 * The concurrent phase runs at least this long (and at least its request count), so the
 * event-loop percentiles come from thousands of samples: a p99 of a few hundred is its maximum.
 */
export const MIN_CONCURRENT_MS = 2000;

export async function measureConcurrent(
  name: VariantName,
  payload: Payload,
  requests: number,
  concurrency: number,
  receiver: ReceiverClient,
): Promise<ConcurrentMeasurement> {
  const target = await prepare(receiver);
  const built = await buildVariant(name, target);
  const tracing = built.tracing;
  const warm = await warmUp(tracing, payload, requests);
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let next = 0;
  let until = Infinity;
  const worker = async () => {
    while (next < requests || performance.now() < until) {
      const i = next++;
      // The model call yields to the event loop between its start and end, as a real one waits on the network.
      await runRequest(tracing, payload, i, yieldToLoop);
    }
  };
  const main0 = mainCpu();
  const cpu0 = processCpuMicros();
  histogram.enable();
  until = performance.now() + MIN_CONCURRENT_MS;
  await Promise.all(Array.from({ length: concurrency }, worker));
  histogram.disable();
  const done = next;
  await built.shutdown();
  const main = mainCpu() - main0;
  const cpu = processCpuMicros() - cpu0;
  const health = await built.health();
  built.cleanup();
  const stats = await settle(receiver, exportsSpans(name));
  return {
    requests: done,
    concurrency,
    eventLoopSamples: histogram.count,
    eventLoopP99Ms: histogram.percentile(99) / 1e6,
    eventLoopP50Ms: histogram.percentile(50) / 1e6,
    eventLoopMaxMs: histogram.max / 1e6,
    mainThreadCpuInclDrainUs: perRequest(main, done),
    processCpuInclDrainUs: cpu / done,
    spansExpected: exportsSpans(name) ? (done + warm) * OBSERVATIONS_PER_REQUEST : 0,
    spansUnique: stats.uniqueSpans,
    tracingErrors: health.errors,
    spansDropped: health.dropped,
    exportFailures: health.exportFailures,
  };
}

const RESOLVED = Promise.resolve();
const noWork = () => RESOLVED;

/** What the Tracing calls of one request cost alone: per repetition, and their median. */
export interface CallsOnlyMeasurement {
  /** Main-thread CPU per request of each repetition: with tracing minus the same loop without. */
  repsUs: number[];
  /** The median of the repetitions: this round's figure. */
  medianUs: number;
}

/**
 * The Tracing calls of one request and nothing else (no LangChain, no messages, no payload), per
 * request, minus the same loop with no tracing, `reps` times; the round's figure is the median.
 * What disabled and sampled-out add, measured finely enough to compare with 1 us (the
 * end-to-end difference is too noisy). Main-thread CPU (process CPU where there is no
 * main-thread clock: nothing here runs on another thread).
 */
export async function measureCallsOnly(
  name: VariantName,
  receiver: ReceiverClient,
  iterations: number,
  reps = 5,
): Promise<CallsOnlyMeasurement> {
  const built = await buildVariant(name, await receiver.fresh());
  const tracing = built.tracing;
  const clock = MAIN_THREAD_CLOCK ? () => MAIN_THREAD_CLOCK.read() : processCpuMicros;
  const once = (withTracing: boolean): number => {
    const started = clock();
    let sink = 0;
    for (let i = 0; i < iterations; i++) {
      const turn = { userId: "user-1", sessionId: "session-1", message: "hello", endpoint: "chat" };
      const routeInput = { messages_count: 1, current_intent: null, current_agent: null };
      const agentInput = { agent_key: "billing", messages_count: 2 };
      const agentMeta = { intent_type: "billing" };
      if (withTracing && tracing) {
        const trace = tracing.startTurn(turn);
        const route = trace.startNode("route_node", routeInput);
        if (route.callbacks) sink++;
        void route.run(noWork);
        route.end();
        const agent = trace.startNode("agent_billing", agentInput, agentMeta);
        if (agent.callbacks) sink++;
        void agent.run(noWork);
        agent.end();
        trace.end({ output: "reply", intent: "billing", agent: "billing" });
      } else {
        sink +=
          turn.userId.length + routeInput.messages_count + agentInput.messages_count + agentMeta.intent_type.length;
      }
    }
    const used = clock() - started;
    if (sink < 0) console.log(sink);
    return used / iterations;
  };
  const repsUs: number[] = [];
  for (let rep = 0; rep < reps; rep++) repsUs.push(once(true) - once(false));
  await built.shutdown();
  built.cleanup();
  return { repsUs, medianUs: median(repsUs) };
}
