// How many bytes Langfuse stores in each row's metadata for our spans under each instrumentation
// scope we could send: Langfuse's OtelIngestionProcessor builds a row's metadata from the
// resource attributes, the scope, the span's trace/observation metadata and, for any scope whose
// name does not start with "langfuse-sdk", every other span attribute (I/O and metadata keys
// removed) as strings (`isLangfuseSDKSpans`, `extractInputAndOutput`). This mirrors that rule on
// the spans our pipeline writes for one routed turn, decoded as Langfuse decodes them.
//
//   npm run build --silent && node dist/bench/tracing-cost/scope-metadata-bytes.js
import { AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { decodeOtlpProtobuf } from "../../src/receiver/otlp-protobuf-decoder.js";
import { OtlpProtobufFormat } from "../../src/tracing/encoding/otlp-protobuf-format.js";
import { ProtobufWriter } from "../../src/tracing/encoding/protobuf-writer.js";
import { ObservationEncoder } from "../../src/tracing/observation-encoder.js";
import { OK } from "../../src/tracing/trace-contract.js";

const IO_KEYS = new Set([
  "langfuse.trace.input",
  "langfuse.trace.output",
  "langfuse.observation.input",
  "langfuse.observation.output",
]);
const METADATA_PREFIXES = ["langfuse.trace.metadata", "langfuse.observation.metadata"];

const encoder = new ObservationEncoder({
  maxFieldChars: 20_000,
  captureIo: true,
  legacyTraceIo: false,
  maxBatchBytes: 1_000_000,
  environment: "production",
  release: "r42",
  version: "0.1.0",
});
const traceId = "4e8a".padEnd(32, "0");
const shared = encoder.context({ traceId, userId: "alice", sessionId: "6f1c0a", endpoint: "chat", tenant: "none" });
const routing = encoder.routing("order_status", "orders");
const common = { traceId, startMs: Date.now() - 5, endMs: Date.now(), shared, routing, outcome: OK };
const w = new ProtobufWriter();
const messages = [new SystemMessage("You are the orders desk."), new HumanMessage("Where is my order 1234?")];
const reply = { content: "Orders desk here. Order 1234 left our warehouse yesterday.", toolCallsJson: undefined };
encoder.root(
  {
    ...common,
    spanId: "1".repeat(16),
    parentSpanId: undefined,
    input: "Where is my order 1234?",
    output: reply.content,
  },
  w,
);
for (const [spanId, name, type] of [
  ["2".repeat(16), "route_node", "chain"],
  ["3".repeat(16), "agent_orders", "agent"],
] as const)
  encoder.node(
    {
      ...common,
      spanId,
      parentSpanId: "1".repeat(16),
      name,
      type,
      input: { messages_count: 1 },
      metadata: { intent_type: "order_status" },
      langgraphStep: 1,
    },
    w,
  );
for (const [spanId, parent, name] of [
  ["4".repeat(16), "2".repeat(16), "classifier"],
  ["5".repeat(16), "3".repeat(16), "agent_reply"],
] as const)
  encoder.generation(
    {
      ...common,
      spanId,
      parentSpanId: parent,
      name,
      model: "gpt-4o-mini",
      parametersJson: '{"temperature":0.2}',
      messages,
      reply,
      usageJson: '{"input":120,"output":30,"total":150}',
      completionStartMs: undefined,
      prompt: undefined,
    },
    w,
  );
void AIMessage;

const format = new OtlpProtobufFormat({ serviceName: "switchboard", serviceVersion: "0.1.0" });
const spans = decodeOtlpProtobuf(Buffer.concat(format.body(w.buf.subarray(0, w.pos)) as Uint8Array[]));

function rowMetadata(span: (typeof spans)[number], langfuseScope: boolean, scopeName: string): number {
  const filtered: Record<string, string> = {};
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(span.attributes)) {
    const prefix = METADATA_PREFIXES.find((p) => key.startsWith(`${p}.`));
    if (prefix) own[key.slice(prefix.length + 1)] = value;
    else if (!IO_KEYS.has(key)) filtered[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  const metadata = {
    ...(langfuseScope ? {} : { attributes: filtered }),
    resourceAttributes: span.origin.resourceAttributes,
    scope: { name: scopeName, version: span.origin.scopeVersion, attributes: {} },
    ...own,
  };
  return Buffer.byteLength(JSON.stringify(metadata));
}

console.log("metadata bytes Langfuse stores per row, one routed turn (5 rows):");
console.log("row".padEnd(14), "langfuse-sdk/switchboard".padStart(26), "switchboard".padStart(14));
let a = 0;
let b = 0;
for (const span of spans) {
  const ours = rowMetadata(span, true, "langfuse-sdk/switchboard");
  const other = rowMetadata(span, false, "switchboard");
  a += ours;
  b += other;
  console.log(span.name.padEnd(14), String(ours).padStart(26), String(other).padStart(14));
}
console.log("turn".padEnd(14), String(a).padStart(26), String(b).padStart(14));
