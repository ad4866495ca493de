// One measurement = one variant x one payload x one round: a fresh Tracing, N requests, drain.
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Payload } from "./payload.js";
import type { ReceiverClient, ReceiverTarget } from "./receiver-client.js";
import { runRequest, yieldToLoop } from "./request.js";
import { buildVariant, VARIANTS, type VariantName } from "./variants.js";

/** Observations per request: root, 2 node spans, 2 generations. */
export const OBSERVATIONS_PER_REQUEST = 5;

// A full GC between measurements, so one variant's garbage is not collected on the next one's time.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

export interface SequentialMeasurement {
  requests: number;
  /** Mean time inside one request (await runRequest): the latency tracing adds to the request itself. */
  inRequestUs: number;
  /** Main-thread busy time (event-loop utilization "active") over the loop, per request: request path + export work interleaved with it. */
  mainUs: number;
  /** Same, plus the final drain (shutdown/flush): all main-thread time the requests caused. */
  mainInclDrainUs: number;
  /** Process CPU (all threads: main, GC helpers, libuv) over the loop, per request. */
  cpuUs: number;
  /** Same, plus the drain. */
  cpuInclDrainUs: number;
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
  /** monitorEventLoopDelay({resolution: 1}) while the requests ran (idle floor ~1.1 ms: the 1 ms timer itself). */
  eventLoopP99Ms: number;
  eventLoopP50Ms: number;
  eventLoopMaxMs: number;
  /** Main-thread busy time per request, drain included. */
  mainInclDrainUs: number;
  cpuInclDrainUs: number;
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
async function settle(receiver: ReceiverClient, exporting: boolean, quietMs = 300, maxMs = 15_000): Promise<{ uniqueSpans: number }> {
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

export async function measureSequential(name: VariantName, payload: Payload, requests: number, receiver: ReceiverClient): Promise<SequentialMeasurement> {
  const target = await prepare(receiver);
  const built = await buildVariant(name, target);
  const tracing = built.tracing;
  let inRequest = 0;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await runRequest(tracing, payload, i, null);
    inRequest += performance.now() - started;
    // Each request of a server starts from its own I/O callback: give the event loop (and the
    // exporter's timers and sockets) its turn between requests.
    await yieldToLoop();
  }
  const eluLoop = performance.eventLoopUtilization(elu0);
  const cpuLoop = process.cpuUsage(cpu0);
  const drainStart = performance.now();
  await built.shutdown();
  const drainMs = performance.now() - drainStart;
  const eluAll = performance.eventLoopUtilization(elu0);
  const cpuAll = process.cpuUsage(cpu0);
  const health = await built.health();
  built.cleanup();
  const stats = await settle(receiver, exportsSpans(name));
  return {
    requests,
    inRequestUs: (inRequest * 1000) / requests,
    mainUs: (eluLoop.active * 1000) / requests,
    mainInclDrainUs: (eluAll.active * 1000) / requests,
    cpuUs: (cpuLoop.user + cpuLoop.system) / requests,
    cpuInclDrainUs: (cpuAll.user + cpuAll.system) / requests,
    drainMs,
    spansExpected: exportsSpans(name) ? requests * OBSERVATIONS_PER_REQUEST : 0,
    spansUnique: stats.uniqueSpans,
    tracingErrors: health.errors,
    spansDropped: health.dropped,
    exportFailures: health.exportFailures,
  };
}

export async function measureConcurrent(name: VariantName, payload: Payload, requests: number, concurrency: number, receiver: ReceiverClient): Promise<ConcurrentMeasurement> {
  const target = await prepare(receiver);
  const built = await buildVariant(name, target);
  const tracing = built.tracing;
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      // The model call yields to the event loop between its start and end, as a real one waits on the network.
      await runRequest(tracing, payload, i, yieldToLoop);
    }
  };
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  histogram.enable();
  await Promise.all(Array.from({ length: concurrency }, worker));
  histogram.disable();
  await built.shutdown();
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const health = await built.health();
  built.cleanup();
  const stats = await settle(receiver, exportsSpans(name));
  return {
    requests,
    concurrency,
    eventLoopP99Ms: histogram.percentile(99) / 1e6,
    eventLoopP50Ms: histogram.percentile(50) / 1e6,
    eventLoopMaxMs: histogram.max / 1e6,
    mainInclDrainUs: (elu.active * 1000) / requests,
    cpuInclDrainUs: (cpu.user + cpu.system) / requests,
    spansExpected: exportsSpans(name) ? requests * OBSERVATIONS_PER_REQUEST : 0,
    spansUnique: stats.uniqueSpans,
    tracingErrors: health.errors,
    spansDropped: health.dropped,
    exportFailures: health.exportFailures,
  };
}

const RESOLVED = Promise.resolve();
const noWork = () => RESOLVED;

/**
 * The Tracing calls of one request and nothing else (no LangChain, no messages), per request,
 * best of 5 x `iterations`, minus the same loop with no tracing. What disabled and sampled-out
 * add, measured finely enough to compare with 1 us (the end-to-end difference is too noisy).
 */
export async function measureCallsOnly(name: VariantName, receiver: ReceiverClient, iterations: number): Promise<number> {
  const built = await buildVariant(name, await receiver.fresh());
  const tracing = built.tracing;
  const once = (withTracing: boolean): number => {
    const started = process.cpuUsage();
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
        sink += turn.userId.length + routeInput.messages_count + agentInput.messages_count + agentMeta.intent_type.length;
      }
    }
    const cpu = process.cpuUsage(started);
    if (sink < 0) console.log(sink);
    return (cpu.user + cpu.system) / iterations;
  };
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) best = Math.min(best, once(true) - once(false));
  await built.shutdown();
  built.cleanup();
  return best;
}
