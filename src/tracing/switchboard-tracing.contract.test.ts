// The trace contract as our pipeline writes it, read back from the OTLP bodies it sends: trace
// context on every observation (and never inside input or metadata), the turn's input and output
// on the root, generations with model, parameters, usage details and the assistant message,
// disconnects as WARNING, oversized spans cut to fit.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { FORMATS, RecordingLogger, ScriptedTransport, testMetrics } from "../../test/support/export-fakes.js";
import { MemoryJournal } from "./export/memory-journal.js";
import { SpanExporter } from "./export/span-exporter.js";
import { EncodingExporter } from "./export/encoding-exporter.js";
import { spanEncoderFor } from "./span-encoder.js";
import { SwitchboardTracing } from "./switchboard-tracing.js";
import { usageDetails } from "./trace-contract.js";
import type { TurnStart } from "./turn-trace.js";

type Attr = {
  key: string;
  value: { stringValue?: string; intValue?: string; arrayValue?: { values: { stringValue: string }[] } };
};
interface Span {
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Attr[];
  status: { code: number; message?: string };
}

function attrs(span: Span): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of span.attributes)
    out[a.key] = a.value.arrayValue
      ? a.value.arrayValue.values.map((v) => v.stringValue)
      : (a.value.stringValue ?? a.value.intValue);
  return out;
}

function setup(options: { legacyTraceIo?: boolean; maxSpanBytes?: number; maxChars?: number; mask?: string } = {}) {
  const transport = new ScriptedTransport();
  transport.autoAnswer = () => ({ kind: "stored", status: 200 });
  const { metrics, faults, count } = testMetrics();
  const exporter = new SpanExporter({
    transport,
    journal: new MemoryJournal(),
    format: FORMATS.json,
    formats: FORMATS,
    maxBatchSpans: 1000,
    maxBatchBytes: 10_000_000,
    flushIntervalMs: 10,
    concurrency: 2,
    maxRetries: 0,
    retryDelayMs: 10,
    maxMemoryBytes: 64 * 1024 * 1024,
    maxJournalBytes: 64 * 1024 * 1024,
    replayRatePerSec: 1000,
    metrics,
    faults,
    logger: new RecordingLogger(),
  });
  const maxChars = options.maxChars ?? 20_000;
  const encoder = spanEncoderFor(
    {
      maxFieldChars: maxChars,
      captureIo: true,
      mask: options.mask ?? "none",
      maskPatterns: undefined,
      environment: "staging",
      release: "r42",
      version: "9.9.9",
      legacyTraceIo: options.legacyTraceIo ?? false,
      maxSpanBytes: options.maxSpanBytes ?? 1_000_000,
    },
    FORMATS.json,
    () => metrics.spansCut.inc(),
  );
  const tracing = new SwitchboardTracing({
    exporter: new EncodingExporter(encoder, exporter, metrics, faults),
    metrics,
    faults,
    maxFieldChars: maxChars,
    enableSpans: true,
    sampleRate: 1,
    shutdownTimeoutMs: 2000,
  });
  const spans = async (): Promise<Span[]> => {
    await tracing.shutdown();
    return transport.sent.flatMap(
      (r) =>
        (JSON.parse(r.body as string) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }).resourceSpans[0]!
          .scopeSpans[0]!.spans,
    );
  };
  return { tracing, spans, count };
}

const TURN: TurnStart = {
  userId: "张三 (ops)",
  sessionId: "s-1",
  message: "Where is my order?",
  endpoint: "chat",
  tenant: "key-a",
};

/** The graph's shape: route_node + classifier, agent node + reply, root. */
function routedTurn(tracing: SwitchboardTracing, turn: TurnStart = TURN) {
  const trace = tracing.startTurn(turn);
  const route = trace.startNode("route_node", { messages_count: 1, current_intent: null, current_agent: null });
  const input = [new SystemMessage("classify"), new HumanMessage(turn.message)];
  const classifier = route.startGeneration("classifier", {
    model: "gpt-4o-mini",
    parameters: { temperature: 0 },
    input,
  });
  trace.setRouting("order_status", "orders");
  classifier.end(
    new AIMessage({
      content: '{"intent":"order_status"}',
      usage_metadata: { input_tokens: 100, output_tokens: 10, total_tokens: 110 },
      response_metadata: { model_name: "gpt-4o-mini-2024-07-18" },
    }),
  );
  route.end();
  const agent = trace.startNode(
    "agent_orders",
    { agent_key: "orders", messages_count: 1 },
    { intent_type: "order_status" },
  );
  const reply = agent.startGeneration("agent_reply", {
    model: "gpt-4o-mini",
    parameters: { temperature: 0.2, max_tokens: 300 },
    input: [new SystemMessage("orders desk"), new HumanMessage(turn.message)],
  });
  reply.firstToken();
  reply.end(
    new AIMessage({
      content: "On its way.",
      usage_metadata: {
        input_tokens: 1000,
        output_tokens: 50,
        total_tokens: 1050,
        input_token_details: { cache_read: 800 },
        output_token_details: { reasoning: 20 },
      },
    }),
  );
  agent.end();
  trace.end({ output: "On its way." });
  return trace;
}

describe("the trace contract on the wire", () => {
  test("every observation carries the trace context; none carries it in input or metadata", async () => {
    const { tracing, spans } = setup();
    const trace = routedTurn(tracing);
    const all = await spans();
    assert.deepEqual(all.map((s) => s.name).sort(), [
      "agent_orders",
      "agent_reply",
      "chat",
      "classifier",
      "route_node",
    ]);
    for (const span of all) {
      const a = attrs(span);
      assert.equal(a["user.id"], TURN.userId, `${span.name} user`);
      assert.equal(a["session.id"], "s-1", `${span.name} session`);
      assert.equal(a["langfuse.trace.name"], "chat");
      assert.deepEqual(a["langfuse.trace.tags"], ["endpoint:chat"]);
      assert.equal(a["langfuse.trace.metadata.tenant"], "key-a");
      assert.equal(a["langfuse.environment"], "staging");
      assert.equal(a["langfuse.release"], "r42");
      assert.equal(a["langfuse.version"], "9.9.9");
      assert.equal(a["langfuse.trace.metadata.intent"], "order_status", `${span.name} ends after routing`);
      const own = JSON.stringify([
        a["langfuse.observation.input"],
        Object.entries(a).filter(([k]) => k.startsWith("langfuse.observation.metadata")),
      ]);
      assert.ok(
        !own.includes("s-1") && !own.includes("key-a"),
        `${span.name}: trace context repeated in input/metadata: ${own}`,
      );
    }
    const root = all.find((s) => s.name === "chat")!;
    assert.equal(root.parentSpanId, undefined);
    assert.equal(attrs(root)["langfuse.observation.input"], TURN.message);
    assert.equal(attrs(root)["langfuse.observation.output"], "On its way.");
    assert.equal(attrs(root)["langfuse.trace.input"], undefined, "no legacy trace IO by default");
    assert.equal(trace.traceId?.length, 32);
  });

  test("LANGFUSE_LEGACY_TRACE_IO also writes the trace-level input and output (self-hosted v3)", async () => {
    const { tracing, spans } = setup({ legacyTraceIo: true });
    routedTurn(tracing);
    const root = (await spans()).find((s) => s.name === "chat")!;
    assert.equal(attrs(root)["langfuse.trace.input"], TURN.message);
    assert.equal(attrs(root)["langfuse.trace.output"], "On its way.");
    assert.equal(attrs(root)["langfuse.observation.input"], TURN.message, "the root keeps them too");
  });

  test("generations: model, parameters, usage details split as Langfuse prices them, assistant message, completion start", async () => {
    const { tracing, spans } = setup();
    routedTurn(tracing);
    const all = await spans();
    const classifier = attrs(all.find((s) => s.name === "classifier")!);
    assert.equal(classifier["langfuse.observation.type"], "generation");
    assert.equal(classifier["langfuse.observation.model.name"], "gpt-4o-mini-2024-07-18", "the model that answered");
    assert.deepEqual(JSON.parse(classifier["langfuse.observation.model.parameters"] as string), { temperature: 0 });
    assert.deepEqual(JSON.parse(classifier["langfuse.observation.output"] as string), {
      role: "assistant",
      content: '{"intent":"order_status"}',
    });
    assert.deepEqual(JSON.parse(classifier["langfuse.observation.input"] as string), [
      { role: "system", content: "classify" },
      { role: "user", content: TURN.message },
    ]);
    const reply = attrs(all.find((s) => s.name === "agent_reply")!);
    assert.deepEqual(JSON.parse(reply["langfuse.observation.usage_details"] as string), {
      input: 200,
      output: 30,
      total: 1050,
      input_cache_read: 800,
      output_reasoning: 20,
    });
    assert.deepEqual(JSON.parse(reply["langfuse.observation.model.parameters"] as string), {
      temperature: 0.2,
      max_tokens: 300,
    });
    assert.ok(Date.parse(JSON.parse(reply["langfuse.observation.completion_start_time"] as string)) > 0);
    assert.equal(
      all.find((s) => s.name === "agent_reply")!.parentSpanId,
      all.find((s) => s.name === "agent_orders")!.spanId,
    );
  });

  test("a client that goes away: the observations it cut short are WARNING 'client disconnected', never ERROR", async () => {
    const { tracing, spans } = setup();
    const gone = new AbortController();
    const trace = tracing.startTurn({ ...TURN, clientSignal: gone.signal });
    const node = trace.startNode("agent_orders", { agent_key: "orders" });
    const gen = node.startGeneration("agent_reply", { model: "m", input: [] });
    gone.abort();
    const abort = Object.assign(new Error("aborted"), { name: "AbortError" });
    gen.fail(abort);
    node.end(abort);
    trace.end({ error: abort });
    for (const span of await spans()) {
      assert.equal(attrs(span)["langfuse.observation.level"], "WARNING", span.name);
      assert.equal(attrs(span)["langfuse.observation.status_message"], "client disconnected");
      assert.equal(span.status.code, 0, `${span.name}: not an OTLP error`);
    }
  });

  test("a failing model call is ERROR with its message on the generation, node and root", async () => {
    const { tracing, spans } = setup();
    const trace = tracing.startTurn(TURN);
    const node = trace.startNode("route_node", {});
    const err = new Error("upstream 500");
    node.startGeneration("classifier", { model: "m", input: [] }).fail(err);
    node.end(err);
    trace.end({ error: err });
    for (const span of await spans()) {
      assert.equal(attrs(span)["langfuse.observation.level"], "ERROR", span.name);
      assert.equal(span.status.code, 2);
      assert.match(String(attrs(span)["langfuse.observation.status_message"]), /upstream 500/);
    }
  });

  test("a span larger than a batch may be is cut to fit, with the marker, not rejected", async () => {
    const { tracing, spans, count } = setup({ maxSpanBytes: 20_000, maxChars: 10_000_000 });
    const trace = tracing.startTurn({ ...TURN, message: "长".repeat(30_000) });
    trace.end({ output: "ok" });
    const [root] = await spans();
    const input = attrs(root!)["langfuse.observation.input"] as string;
    assert.match(input, /truncated by switchboard: 30000 chars/);
    assert.ok(Buffer.byteLength(JSON.stringify(root)) <= 20_000, `${Buffer.byteLength(JSON.stringify(root))} bytes`);
    assert.equal(await count("spans_cut_total"), 1);
  });
});

describe("long texts", () => {
  test("cut at the field cap with their whole length in the marker; a value across the cut is masked whole", async () => {
    const { tracing, spans } = setup({ maxChars: 1000, mask: "email" });
    // The address starts 10 characters before the cap and ends after it.
    const message = `${"a".repeat(990)} bob.smith@example.com ${"z".repeat(50_000)}`;
    const trace = tracing.startTurn({ ...TURN, message });
    const node = trace.startNode("agent_orders", { agent_key: "orders" });
    const gen = node.startGeneration("agent_reply", { model: "m", input: [new HumanMessage(message)] });
    gen.end(new AIMessage({ content: "ok" }));
    node.end();
    trace.end({ output: "ok" });
    const all = await spans();
    const root = attrs(all.find((s) => s.name === "chat")!)["langfuse.observation.input"] as string;
    assert.ok(root.endsWith(`…[truncated by switchboard: ${message.length} chars]`), root.slice(-60));
    assert.ok(!root.includes("bob") && !root.includes("example.com"), "no part of the address is left");
    const input = attrs(all.find((s) => s.name === "agent_reply")!)["langfuse.observation.input"] as string;
    assert.ok(!input.includes("bob") && !input.includes("example.com"));
    assert.match(input, /truncated by switchboard/);
  });
});

describe("usage details, as the official LangChain handler maps them", () => {
  test("cached input, audio and reasoning are their own keys, taken out of input and output", () => {
    assert.deepEqual(
      usageDetails({
        input_tokens: 100,
        output_tokens: 40,
        total_tokens: 140,
        input_token_details: { cache_read: 60, audio: 10 },
        output_token_details: { reasoning: 25, audio: 5 },
      }),
      {
        input: 30,
        output: 10,
        total: 140,
        input_cache_read: 60,
        input_audio: 10,
        output_reasoning: 25,
        output_audio: 5,
      },
    );
  });
  test("plain usage stays plain; missing parts stay missing", () => {
    assert.deepEqual(usageDetails({ input_tokens: 3, output_tokens: 4, total_tokens: 7 }), {
      input: 3,
      output: 4,
      total: 7,
    });
    assert.deepEqual(usageDetails({ output_tokens: 4 }), { output: 4 });
  });
});
