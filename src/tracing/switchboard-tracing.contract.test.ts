// The trace contract as our pipeline writes it, read back from the OTLP/protobuf bodies it sends
// (decoded by the receiver's decoder, as Langfuse decodes them): trace context on every
// observation (and never inside input or metadata), the turn's input and output on the root,
// generations with model, parameters, usage details and the assistant message, agentic types and
// LangGraph's node metadata, disconnects as WARNING, long fields cut keeping their structure.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { FORMATS, RecordingLogger, ScriptedTransport, testMetrics } from "../../test/support/export-fakes.js";
import { decodeOtlpProtobuf } from "../receiver/otlp-protobuf-decoder.js";
import type { OtlpSpan } from "../receiver/otlp-span.js";
import { MemoryJournal } from "./export/memory-journal.js";
import { ENVELOPE_ALLOWANCE_BYTES } from "./export/span-batcher.js";
import { SpanExporter } from "./export/span-exporter.js";
import { createMasker } from "./masking/create-masker.js";
import { ProtobufWriter } from "./encoding/protobuf-writer.js";
import { ObservationEncoder } from "./observation-encoder.js";
import { BUSY_WINDOW_MS, CALM_WINDOW_MS } from "./busy-shedding.js";
import { SwitchboardTracing } from "./switchboard-tracing.js";
import { resolveTracingOptions } from "./tracing-options.js";
import { usageDetails } from "./trace-contract.js";
import type { TurnStart } from "./turn-trace.js";

type Span = OtlpSpan;

function attrs(span: Span): Record<string, unknown> {
  return span.attributes;
}

function setup(
  options: {
    legacyTraceIo?: boolean;
    maxSpanBytes?: number;
    maxChars?: number;
    mask?: string;
    sampleRate?: number;
    keepSlowerThanMs?: number;
    busyTracesPerSec?: number;
  } = {},
) {
  const transport = new ScriptedTransport();
  transport.autoAnswer = () => ({ kind: "stored", status: 200 });
  const { metrics, faults, count } = testMetrics();
  const settings = resolveTracingOptions({
    maxBatchBytes: 10_000_000,
    flushIntervalMs: 10,
    maxRetries: 0,
    retryDelayMs: 10,
    maxQueueBytes: 64 * 1024 * 1024,
    maxJournalBytes: 64 * 1024 * 1024,
    sampleRate: options.sampleRate ?? 1,
    keepSlowerThanMs: options.keepSlowerThanMs ?? 10_000,
    // Off unless a test is about it: a busy test machine must not shed the turns others count.
    busyTracesPerSec: options.busyTracesPerSec ?? 0,
    shutdownTimeoutMs: 2000,
  });
  const exporter = new SpanExporter({
    settings,
    transport,
    journal: new MemoryJournal(),
    formats: FORMATS,
    metrics,
    faults,
    logger: new RecordingLogger(),
  });
  const encoder = new ObservationEncoder(
    {
      maxFieldChars: options.maxChars ?? 20_000,
      captureIo: true,
      environment: "staging",
      release: "r42",
      version: "9.9.9",
      legacyTraceIo: options.legacyTraceIo ?? false,
      maxBatchBytes: (options.maxSpanBytes ?? 1_000_000) + ENVELOPE_ALLOWANCE_BYTES,
    },
    { mask: createMasker(options.mask ?? "none", undefined), onCut: () => metrics.spansCut.inc() },
  );
  const logger = new RecordingLogger();
  const tracing = new SwitchboardTracing({
    exporter,
    encoder,
    metrics,
    faults,
    settings,
    logger,
  });
  const bodies = async (): Promise<Uint8Array[]> => {
    await tracing.shutdown();
    return transport.sent.map((r) => r.body as Uint8Array);
  };
  const spans = async (): Promise<Span[]> => (await bodies()).flatMap((b) => decodeOtlpProtobuf(b));
  return { tracing, spans, bodies, count, logger };
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
    assert.equal(root.parentSpanId, null);
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
      assert.equal(span.statusCode, 0, `${span.name}: not an OTLP error`);
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
      assert.equal(span.statusCode, 2);
      assert.match(String(attrs(span)["langfuse.observation.status_message"]), /upstream 500/);
    }
  });

  test("a span larger than a batch may be is cut to fit, with the marker, not rejected", async () => {
    const { tracing, bodies, count } = setup({ maxSpanBytes: 20_000, maxChars: 10_000_000 });
    const trace = tracing.startTurn({ ...TURN, message: "长".repeat(30_000) });
    trace.end({ output: "ok" });
    const [body] = await bodies();
    const [root] = decodeOtlpProtobuf(body!);
    const input = attrs(root!)["langfuse.observation.input"] as string;
    assert.match(input, /truncated by switchboard: 30000 chars/);
    assert.ok(body!.length <= 20_000 + 1024, `${body!.length} bytes`);
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

describe("what Langfuse draws, bills and attributes", () => {
  test("node observations say what they are, with LangGraph's node and step; the root is the app's root", async () => {
    const { tracing, spans } = setup();
    const trace = tracing.startTurn(TURN);
    const route = trace.startNode("route_node", { messages_count: 1 }, undefined, { type: "chain", langgraphStep: 1 });
    route.end();
    const agent = trace.startNode(
      "agent_orders",
      { agent_key: "orders" },
      { intent_type: "order_status" },
      {
        type: "agent",
        langgraphStep: 2,
      },
    );
    agent.end();
    trace.end({ output: "ok" });
    const all = await spans();
    const byName = (name: string) => attrs(all.find((s) => s.name === name)!);
    assert.equal(byName("route_node")["langfuse.observation.type"], "chain");
    assert.equal(byName("route_node")["langfuse.observation.metadata.langgraph_node"], "route_node");
    assert.equal(byName("route_node")["langfuse.observation.metadata.langgraph_step"], "1");
    assert.equal(byName("agent_orders")["langfuse.observation.type"], "agent");
    assert.equal(byName("agent_orders")["langfuse.observation.metadata.langgraph_step"], "2");
    assert.equal(byName("agent_orders")["langfuse.observation.metadata.intent_type"], "order_status");
    assert.equal(byName("chat")["langfuse.internal.is_app_root"], true);
    assert.equal(byName("route_node")["langfuse.internal.is_app_root"], undefined);
  });

  test("a model call that failed or was cut off carries explicit zero usage, so Langfuse never tokenizes and bills it", async () => {
    const { tracing, spans } = setup();
    const trace = tracing.startTurn(TURN);
    const node = trace.startNode("route_node", {});
    node
      .startGeneration("classifier", { model: "gpt-4o-mini", input: [new HumanMessage("hello")] })
      .fail(new Error("503"));
    const streamed = node.startGeneration("agent_reply", { model: "gpt-4o-mini", input: [new HumanMessage("hi")] });
    streamed.firstToken();
    streamed.fail(Object.assign(new Error("aborted"), { name: "AbortError" }));
    node.end();
    trace.end({ output: "ok" });
    for (const name of ["classifier", "agent_reply"]) {
      const gen = attrs((await spans()).find((s) => s.name === name)!);
      assert.deepEqual(JSON.parse(gen["langfuse.observation.usage_details"] as string), {
        input: 0,
        output: 0,
        total: 0,
      });
    }
  });

  test("a reply without reported usage leaves usage to Langfuse (a real call it may price)", async () => {
    const { tracing, spans } = setup();
    const trace = tracing.startTurn(TURN);
    const node = trace.startNode("route_node", {});
    node.startGeneration("classifier", { model: "m", input: [] }).end(new AIMessage({ content: "x" }));
    node.end();
    trace.end({ output: "ok" });
    const gen = attrs((await spans()).find((s) => s.name === "classifier")!);
    assert.equal(gen["langfuse.observation.usage_details"], undefined);
  });

  test("a generation links the Langfuse prompt it used", async () => {
    const { tracing, spans } = setup();
    const trace = tracing.startTurn(TURN);
    const node = trace.startNode("route_node", {});
    const gen = node.startGeneration("classifier", {
      model: "m",
      input: [],
      prompt: { name: "classifier", version: 7 },
    });
    gen.end(new AIMessage({ content: "x" }));
    node.end();
    trace.end({ output: "ok" });
    const a = attrs((await spans()).find((s) => s.name === "classifier")!);
    assert.equal(a["langfuse.observation.prompt.name"], "classifier");
    assert.equal(a["langfuse.observation.prompt.version"], "7");
  });

  test("we say who we are: our scope (keeping Langfuse's conventions), our version, our telemetry SDK", async () => {
    const { tracing, spans } = setup();
    tracing.startTurn(TURN).end({ output: "ok" });
    const [root] = await spans();
    assert.equal(root!.origin.scopeName, "langfuse-sdk/switchboard");
    assert.ok(root!.origin.scopeName.startsWith("langfuse-sdk"), "Langfuse reads it as Langfuse-convention spans");
    assert.equal(
      root!.origin.scopeVersion,
      "0.0.0",
      "the application's version (test resource), not the official SDK's",
    );
    assert.equal(root!.origin.resourceAttributes["telemetry.sdk.name"], "switchboard");
    assert.equal(root!.origin.resourceAttributes["telemetry.sdk.version"], "0.0.0");
  });

  test("a 100 KB message leaves every generation input a parseable message array with true-length markers", async () => {
    const { tracing, spans } = setup();
    const message = `${"长".repeat(1441)}${"word ".repeat(20_000)}`;
    const trace = tracing.startTurn({ ...TURN, message });
    const node = trace.startNode("agent_orders", {});
    const gen = node.startGeneration("agent_reply", {
      model: "m",
      input: [new SystemMessage("orders desk"), new HumanMessage("earlier"), new HumanMessage(message)],
    });
    gen.end(new AIMessage({ content: message }));
    node.end();
    trace.end({ output: message });
    const all = await spans();
    const a = attrs(all.find((s) => s.name === "agent_reply")!);
    const input = JSON.parse(a["langfuse.observation.input"] as string) as { role: string; content: string }[];
    assert.equal((a["langfuse.observation.input"] as string).length <= 20_000, true);
    assert.deepEqual(
      input.map((m) => m.role),
      ["system", "user", "user"],
    );
    assert.equal(input[0]!.content, "orders desk");
    assert.match(input[2]!.content, new RegExp(`truncated by switchboard: ${message.length} chars\\]$`));
    const output = JSON.parse(a["langfuse.observation.output"] as string) as { role: string; content: string };
    assert.equal(output.role, "assistant");
    assert.match(output.content, new RegExp(`truncated by switchboard: ${message.length} chars\\]$`));
    const root = attrs(all.find((s) => s.name === "chat")!)["langfuse.observation.input"] as string;
    assert.ok(root.length <= 20_000 && root.endsWith(`truncated by switchboard: ${message.length} chars]`));
  });

  test("LANGFUSE_CAPTURE_IO=false sends sizes, never contents", async () => {
    const encoder = new ObservationEncoder({
      maxFieldChars: 1000,
      captureIo: false,
      legacyTraceIo: false,
      maxBatchBytes: 1e6,
    });
    const shared = encoder.context({ traceId: "a".repeat(32), userId: "u", sessionId: "s", endpoint: "chat" });
    const common = {
      traceId: "a".repeat(32),
      spanId: "b".repeat(16),
      startMs: 1,
      endMs: 2,
      shared,
      routing: undefined,
    };
    const target = new ProtobufWriter();
    encoder.root(
      {
        ...common,
        parentSpanId: undefined,
        outcome: { level: undefined, message: undefined },
        input: "secret",
        output: "also secret",
      },
      target,
    );
    encoder.generation(
      {
        ...common,
        parentSpanId: "c".repeat(16),
        outcome: { level: undefined, message: undefined },
        name: "g",
        model: "m",
        parametersJson: undefined,
        messages: [new HumanMessage("secret")],
        reply: { content: "also secret", toolCallsJson: undefined },
        usageJson: undefined,
        completionStartMs: undefined,
        prompt: undefined,
      },
      target,
    );
    const text = target.buf.subarray(0, target.pos).toString("latin1");
    assert.ok(!text.includes("secret"));
    assert.ok(text.includes('{"captured":false,"chars":6}'));
  });
});

describe("sampling decided when the turn ends", () => {
  const sampledSetup = () => setup({ sampleRate: 0, keepSlowerThanMs: 50 });

  test("at rate 0 an ordinary turn is not encoded, has no trace id and leaves nothing; a failed one is kept whole", async () => {
    const { tracing, spans, count } = sampledSetup();
    const ordinary = routedTurn(tracing);
    assert.equal(ordinary.traceId, null, "no trace id for a trace that will not exist");
    const failed = tracing.startTurn({ ...TURN, userId: "unlucky" });
    const node = failed.startNode("route_node", {});
    const err = new Error("upstream 500");
    node.startGeneration("classifier", { model: "m", input: [] }).fail(err);
    node.end(err);
    failed.end({ error: err });
    assert.match(failed.traceId ?? "", /^[0-9a-f]{32}$/);
    const all = await spans();
    assert.deepEqual(all.map((s) => s.name).sort(), ["chat", "classifier", "route_node"]);
    assert.ok(all.every((s) => s.traceId === failed.traceId));
    const classifier = all.find((s) => s.name === "classifier")!;
    assert.equal(classifier.parentSpanId, all.find((s) => s.name === "route_node")!.spanId, "parents kept");
    assert.equal(await count("turns_sampled_out_total"), 1);
    assert.equal(await count("turns_kept_by_rule_total"), 1);
  });

  test("clarifying, cut-short and slow turns are kept too, each counted by its rule", async () => {
    const { tracing, spans, count } = sampledSetup();
    tracing.startTurn(TURN).end({ output: "Which order?", clarification: true });
    const gone = new AbortController();
    const cut = tracing.startTurn({ ...TURN, clientSignal: gone.signal });
    gone.abort();
    cut.end({ error: new Error("aborted"), disconnected: true });
    const slow = tracing.startTurn(TURN);
    await new Promise((r) => setTimeout(r, 80));
    slow.end({ output: "late" });
    assert.equal((await spans()).length, 3);
    assert.equal(await count("turns_kept_by_rule_total"), 3);
    assert.equal(await count("turns_sampled_out_total"), 0);
  });
});

describe("a busy event loop", () => {
  /** Keeps the event loop busy for longer than shedding's measuring window. */
  const busyLoop = () => {
    const until = performance.now() + BUSY_WINDOW_MS + 50;
    while (performance.now() < until);
  };

  test("turns past the allowance are not traced, counted, and the change is logged once", async () => {
    const { tracing, spans, count, logger } = setup({ busyTracesPerSec: 2 });
    busyLoop();
    const turns = Array.from({ length: 5 }, (_, i) => routedTurn(tracing, { ...TURN, userId: `u${i}` }));
    assert.deepEqual(
      turns.map((t) => t.traceId !== null),
      [true, true, false, false, false],
      "one second's allowance (2), then nothing",
    );
    assert.equal(await count("turns_shed_total"), 3);
    assert.equal(await count("busy"), 1);
    await new Promise((resolve) => setTimeout(resolve, CALM_WINDOW_MS + 50));
    assert.equal(await count("busy"), 0, "a service gone quiet is not busy on /metrics, turn or no turn");
    const all = await spans();
    assert.equal(new Set(all.map((s) => s.traceId)).size, 2);
    assert.ok(
      all.every((s) => s.attributes["langfuse.observation.metadata.tracing"] === undefined),
      "traced whole",
    );
    const told = logger.lines.filter((l) => l.msg.includes("LANGFUSE_BUSY_TRACES_PER_SEC"));
    assert.equal(told.length, 1);
    assert.equal(told[0]!.level, "warn");
  });

  test("a shed turn that fails, asks a clarifying question or loses its client is traced by its root alone, saying so", async () => {
    const { tracing, spans, count } = setup({ busyTracesPerSec: 1 });
    busyLoop();
    routedTurn(tracing, { ...TURN, userId: "allowance" });

    const failed = tracing.startTurn({ ...TURN, userId: "failed" });
    const node = failed.startNode("route_node", {});
    const err = new Error("upstream 500");
    node.startGeneration("classifier", { model: "m", input: [] }).fail(err);
    node.end(err);
    failed.setRouting("order_status", "orders");
    failed.end({ error: err });
    tracing.startTurn({ ...TURN, userId: "unsure" }).end({ output: "Which order?", clarification: true });
    const gone = new AbortController();
    const cut = tracing.startTurn({ ...TURN, userId: "gone", clientSignal: gone.signal });
    gone.abort();
    cut.end({ error: new Error("aborted"), disconnected: true });

    assert.match(failed.traceId ?? "", /^[0-9a-f]{32}$/, "a kept turn's answer names its trace");
    const roots = (await spans()).filter((s) => attrs(s)["user.id"] !== "allowance");
    assert.deepEqual(
      roots.map((s) => s.name),
      ["chat", "chat", "chat"],
      "root observations only",
    );
    const byUser = Object.fromEntries(roots.map((s) => [attrs(s)["user.id"], s]));
    const failedRoot = byUser["failed"]!;
    assert.equal(failedRoot.traceId, failed.traceId);
    assert.equal(attrs(failedRoot)["langfuse.observation.level"], "ERROR");
    assert.equal(attrs(failedRoot)["langfuse.observation.input"], TURN.message);
    assert.equal(attrs(failedRoot)["langfuse.trace.metadata.intent"], "order_status");
    assert.equal(
      attrs(failedRoot)["langfuse.observation.metadata.tracing"],
      "root only: the event loop was busy; kept for error",
    );
    assert.equal(attrs(byUser["unsure"]!)["langfuse.observation.output"], "Which order?");
    assert.equal(attrs(byUser["gone"]!)["langfuse.observation.level"], "WARNING");
    assert.equal(await count("turns_kept_by_rule_total", { rule: "error" }), 1);
    assert.equal(await count("turns_kept_by_rule_total", { rule: "clarification" }), 1);
    assert.equal(await count("turns_kept_by_rule_total", { rule: "warning" }), 1);
    assert.equal(await count("turns_shed_total"), 0);
  });

  test("LANGFUSE_BUSY_TRACES_PER_SEC=0 traces every turn however busy the loop is", async () => {
    const { tracing, spans, count } = setup({ busyTracesPerSec: 0 });
    busyLoop();
    const turns = Array.from({ length: 5 }, () => routedTurn(tracing));
    assert.ok(turns.every((t) => t.traceId !== null));
    assert.equal(new Set((await spans()).map((s) => s.traceId)).size, 5);
    assert.equal(await count("turns_shed_total"), 0);
  });
});
