// Where our pipeline's time goes: the same request with progressively more of the pipeline
// switched on, plus the per-call cost of its pieces. For profiling, not part of the reference.
//
//   node dist/bench/tracing-cost/breakdown.js [--payload 2KB|100KB] [--requests N]
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { parseArgs } from "node:util";
import { Registry } from "prom-client";
import { SpanExporter } from "../../src/tracing/export/span-exporter.js";
import { MemoryJournal } from "../../src/tracing/export/memory-journal.js";
import { FaultReporter } from "../../src/tracing/fault-reporter.js";
import { newSpanId, newTraceId } from "../../src/tracing/ids.js";
import { OtlpJsonFormat } from "../../src/tracing/encoding/otlp-json-format.js";
import { OtlpProtobufFormat } from "../../src/tracing/encoding/otlp-protobuf-format.js";
import { ObservationEncoder } from "../../src/tracing/observation-encoder.js";
import { ProtobufWriter } from "../../src/tracing/encoding/protobuf-writer.js";
import { OK } from "../../src/tracing/trace-contract.js";
import { SwitchboardTracing } from "../../src/tracing/switchboard-tracing.js";
import { TracingMetrics } from "../../src/tracing/tracing-metrics.js";
import { resolveTracingOptions } from "../../src/tracing/tracing-options.js";
import { NOOP_GENERATION, NOOP_TURN, type Tracing } from "../../src/tracing/turn-trace.js";
import { makePayload } from "./payload.js";
import { ReceiverClient } from "./receiver-client.js";
import { runRequest, yieldToLoop } from "./request.js";
import { buildVariant } from "./variants.js";

const { values: args } = parseArgs({
  options: { payload: { type: "string", default: "2KB" }, requests: { type: "string" } },
});
const big = args.payload === "100KB";
const payload = big ? makePayload("100KB", 102_400, 51_200) : makePayload("2KB", 2048, 1024);
const N = Number(args.requests ?? (big ? 300 : 3000));
const silent = { warn() {}, info() {}, error() {} };
const FORMATS = {
  json: new OtlpJsonFormat({ serviceName: "switchboard", serviceVersion: "0.0.0" }),
  protobuf: new OtlpProtobufFormat({ serviceName: "switchboard", serviceVersion: "0.0.0" }),
};
const encoderOptions = { maxFieldChars: 20_000, captureIo: true, legacyTraceIo: false, maxBatchBytes: 1_000_000 };

class NoopHandler extends BaseCallbackHandler {
  name = "noop";
  override awaitHandlers = true;
  override ignoreChain = true;
  override handleChatModelStart(): void {}
  override handleLLMEnd(): void {}
}

/** A Tracing whose nodes carry a do-nothing LangChain handler: LangChain's own price for having any callback. */
const noopHandlerTracing: Tracing = {
  startTurn: () => ({
    traceId: "x",
    requestPathMs: 0,
    startNode: () => ({
      callbacks: [new NoopHandler()],
      run: (fn) => fn(),
      startGeneration: () => NOOP_GENERATION,
      end() {},
    }),
    setRouting() {},
    end() {},
  }),
  shutdown: async () => {},
};
void NOOP_TURN;

function ourTracing(): { tracing: Tracing } {
  const metrics = new TracingMetrics(new Registry());
  const faults = new FaultReporter(metrics, silent);
  // The defaults, with room for everything the benchmark holds.
  // Every turn traced: the loop below keeps the event loop busy on purpose.
  const settings = resolveTracingOptions({
    maxQueueBytes: 64 * 1024 * 1024,
    maxJournalBytes: 64 * 1024 * 1024,
    busyTracesPerSec: 0,
  });
  const exporter = new SpanExporter({
    settings,
    transport: { send: async () => ({ kind: "stored" as const, status: 200 }), close() {} },
    journal: new MemoryJournal(),
    formats: FORMATS,
    metrics,
    faults,
    logger: silent,
  });
  return {
    tracing: new SwitchboardTracing({
      exporter,
      encoder: new ObservationEncoder(encoderOptions),
      metrics,
      faults,
      settings,
    }),
  };
}

/** Only the request path's part: observations encoded, then discarded. */
function encodeOnlyTracing(): Tracing {
  const metrics = new TracingMetrics(new Registry());
  const faults = new FaultReporter(metrics, silent);
  // One buffer every span is written into and then forgotten.
  const scratch = new ProtobufWriter(1024 * 1024);
  const exporter = {
    beginSpan: () => ((scratch.pos = 0), scratch),
    commitSpan() {},
    abortSpan() {},
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  return new SwitchboardTracing({
    exporter,
    encoder: new ObservationEncoder(encoderOptions),
    metrics,
    faults,
    settings: resolveTracingOptions({ busyTracesPerSec: 0 }),
  });
}

async function perRequestCpu(tracing: Tracing | null, shutdown: () => Promise<void>): Promise<number> {
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    await runRequest(tracing, payload, i, null);
    await yieldToLoop();
  }
  await shutdown();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / N;
}

function perCall(label: string, n: number, fn: (i: number) => unknown): void {
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn(i);
    const cpu = process.cpuUsage(cpu0);
    best = Math.min(best, (cpu.user + cpu.system) / n);
  }
  console.log(`  ${label.padEnd(64)} ${best.toFixed(2).padStart(9)} us`);
}

const receiver = await ReceiverClient.start();
try {
  console.log(`${payload.name}, ${N} sequential requests, process CPU per request, best of 5 (us):`);
  const stages: [string, () => Promise<number>][] = [
    ["none (no tracing code)", () => perRequestCpu(null, async () => {})],
    ["LangChain callbacks with a do-nothing handler", () => perRequestCpu(noopHandlerTracing, async () => {})],
    [
      "switchboard, spans encoded, then discarded (the request path)",
      async () => {
        const tracing = encodeOnlyTracing();
        return perRequestCpu(tracing, () => tracing.shutdown());
      },
    ],
    [
      "switchboard, encode + batch, sender a no-op (no journal, no HTTP)",
      async () => {
        const { tracing } = ourTracing();
        return perRequestCpu(tracing, () => tracing.shutdown());
      },
    ],
    [
      "switchboard, full (HTTP to the receiver child)",
      async () => {
        const built = await buildVariant("switchboard", await receiver.fresh());
        const r = await perRequestCpu(built.tracing, () => built.shutdown());
        built.cleanup();
        return r;
      },
    ],
    [
      "switchboard, full, what-if LANGFUSE_FLUSH_AT=200",
      async () => {
        const built = await buildVariant("switchboard", await receiver.fresh(), { LANGFUSE_FLUSH_AT: "200" });
        const r = await perRequestCpu(built.tracing, () => built.shutdown());
        built.cleanup();
        return r;
      },
    ],
  ];
  const best = new Map<string, number>();
  for (let rep = 0; rep < 5; rep++) {
    for (const [label, run] of stages) best.set(label, Math.min(best.get(label) ?? Infinity, await run()));
  }
  for (const [label] of stages) console.log(`  ${label.padEnd(64)} ${best.get(label)!.toFixed(1).padStart(9)} us`);

  console.log("pieces, per call (us):");
  const encoder = new ObservationEncoder(encoderOptions);
  const messages = [
    new SystemMessage(
      "You are Switchboard's billing agent. Answer briefly and politely; ask one question when unsure.",
    ),
    new HumanMessage(payload.input),
  ];
  const n = big ? 300 : 5000;
  const traceId = newTraceId();
  const shared = encoder.context({ traceId, userId: "user-1", sessionId: "session-1", endpoint: "chat" });
  const routing = encoder.routing("billing", "billing");
  const common = {
    traceId,
    spanId: "0123456789abcdef",
    parentSpanId: "fedcba9876543210",
    startMs: 1.7e12 + 0.123,
    endMs: 1.7e12 + 5.456,
    shared,
    routing,
    outcome: OK,
  };
  const scratch = new ProtobufWriter(1024 * 1024);
  const into = () => ((scratch.pos = 0), scratch);
  perCall("encoder.context(turn)", 50_000, () =>
    encoder.context({ traceId, userId: "u", sessionId: "s", endpoint: "chat" }),
  );
  perCall("encoder.generation(input messages, reply, usage)", n, () =>
    encoder.generation(
      {
        ...common,
        name: "agent_reply",
        model: "gpt-4o-mini",
        parametersJson: '{"temperature":0.2}',
        messages,
        reply: { content: payload.output, toolCallsJson: undefined },
        usageJson: '{"input":537,"output":256,"total":793}',
        completionStartMs: undefined,
        prompt: undefined,
      },
      into(),
    ),
  );
  perCall("encoder.node(small input)", 50_000, () =>
    encoder.node(
      {
        ...common,
        name: "route_node",
        type: "chain",
        input: { messages_count: 1, current_intent: null, current_agent: null },
        metadata: undefined,
        langgraphStep: 1,
      },
      into(),
    ),
  );
  perCall("encoder.root(input, output)", n, () =>
    encoder.root({ ...common, parentSpanId: undefined, input: payload.input, output: payload.output }, into()),
  );
  perCall("newSpanId()", 100_000, () => newSpanId());
  const metrics = new TracingMetrics(new Registry());
  perCall("prom-client counter inc({type})", 100_000, () => metrics.observationsCreated.inc({ type: "span" }));
  perCall("prom-client gauge set (x2 per push)", 100_000, (i) => metrics.queueBytes.set(i));
} finally {
  await receiver.stop();
}
process.exit(0);
