import assert from "node:assert/strict";
import { test } from "node:test";
import { HumanMessage } from "@langchain/core/messages";
import { Registry } from "prom-client";
import { FaultReporter, type TracingLogger } from "../fault-reporter.js";
import { TracingMetrics } from "../tracing-metrics.js";
import type { Tracing, TurnTrace } from "../turn-trace.js";
import { createSdkTracing, type SdkTracingOptions } from "./create-sdk-tracing.js";
import { startTestReceiver, type ReceivedSpan, type TestReceiver } from "../../../test/support/otlp-span-receiver.js";
import { UsageChatModel } from "../../../test/support/usage-chat-model.js";

const TEST_TIMEOUT = { timeout: 15_000 };

interface Harness {
  tracing: Tracing;
  metrics: TracingMetrics;
  warnings: { obj: object; msg: string }[];
}

function harness(receiverUrl: string, overrides: Partial<SdkTracingOptions> = {}): Harness {
  const metrics = new TracingMetrics(new Registry());
  const warnings: Harness["warnings"] = [];
  const logger: TracingLogger = {
    warn: (obj, msg) => warnings.push({ obj, msg }),
    info() {},
    error: (obj, msg) => warnings.push({ obj, msg }),
  };
  const tracing = createSdkTracing({
    variant: "sdk",
    publicKey: "pk-lf-test",
    secretKey: "sk-lf-test",
    baseUrl: receiverUrl,
    environment: "test",
    release: "r1",
    enableSpans: true,
    sampleRate: 1,
    shutdownTimeoutMs: 5_000,
    metrics,
    faults: new FaultReporter(metrics, logger),
    logger,
    ...overrides,
  });
  return { tracing, metrics, warnings };
}

async function counter(
  c: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await c.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

/** One turn the way the graph drives it: root -> route_node -> real model call -> end. */
async function routeTurn(tracing: Tracing, reply = "billing"): Promise<TurnTrace> {
  const turn = tracing.startTurn({
    userId: "user-1",
    sessionId: "sess-1",
    message: "I was charged twice",
    endpoint: "chat",
  });
  const node = turn.startNode("route_node", { messages_count: 1, current_intent: null, current_agent: null });
  const model = new UsageChatModel(reply);
  const answer = await node.run(() =>
    model.invoke([new HumanMessage("I was charged twice")], { callbacks: node.callbacks }),
  );
  node.end();
  turn.end({ output: String(answer.content), intent: "billing", agent: "billing" });
  return turn;
}

function byName(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `exactly one span named ${name}; got ${spans.map((s) => s.name).join(", ")}`);
  return found[0]!;
}

function generations(spans: ReceivedSpan[]): ReceivedSpan[] {
  return spans.filter((s) => s.attributes["langfuse.observation.type"] === "generation");
}

async function withReceiver(fn: (r: TestReceiver) => Promise<void>, respondWith?: () => number): Promise<void> {
  const receiver = await startTestReceiver(respondWith);
  try {
    await fn(receiver);
  } finally {
    await receiver.close();
  }
}

test(
  "sdk: one trace, root chat with trace attributes, route_node under root, generation under route_node",
  TEST_TIMEOUT,
  () =>
    withReceiver(async (receiver) => {
      const { tracing, metrics } = harness(receiver.baseUrl);
      const turn = await routeTurn(tracing);
      await tracing.shutdown();

      const spans = receiver.spans;
      assert.equal(spans.length, 3, `spans: ${spans.map((s) => s.name).join(", ")}`);
      assert.match(turn.traceId ?? "", /^[0-9a-f]{32}$/);
      assert.deepEqual(new Set(spans.map((s) => s.traceId)), new Set([turn.traceId]));

      const root = byName(spans, "chat");
      assert.equal(root.parentSpanId, undefined);
      assert.equal(root.attributes["langfuse.observation.type"], "span");
      assert.equal(root.attributes["langfuse.trace.name"], "chat");
      assert.equal(root.attributes["user.id"], "user-1");
      assert.equal(root.attributes["session.id"], "sess-1");
      assert.deepEqual(root.attributes["langfuse.trace.tags"], ["endpoint:chat"]);
      // Langfuse v4: the turn's input and output on the root observation, no deprecated setTraceIO.
      assert.equal(root.attributes["langfuse.trace.input"], undefined);
      assert.equal(root.attributes["langfuse.trace.output"], undefined);
      assert.equal(root.attributes["langfuse.observation.input"], "I was charged twice");
      assert.equal(root.attributes["langfuse.observation.output"], "billing");
      assert.equal(root.attributes["langfuse.trace.metadata.intent"], "billing");
      assert.equal(root.attributes["langfuse.environment"], "test");
      assert.equal(root.attributes["langfuse.release"], "r1");

      const route = byName(spans, "route_node");
      assert.equal(route.parentSpanId, root.spanId);
      assert.deepEqual(JSON.parse(String(route.attributes["langfuse.observation.input"])), {
        messages_count: 1,
        current_intent: null,
        current_agent: null,
      });
      // The contract: user/session at trace level only, never in a span's input or metadata.
      assert.ok(
        !Object.keys(route.attributes).some((k) => k.startsWith("langfuse.observation.metadata.")),
        "sdk variant adds no span metadata",
      );

      const [gen, ...more] = generations(spans);
      assert.equal(more.length, 0);
      assert.equal(gen!.parentSpanId, route.spanId, "generation nests under route_node");
      assert.equal(gen!.attributes["langfuse.observation.model.name"], "usage-test-model");
      assert.deepEqual(JSON.parse(String(gen!.attributes["langfuse.observation.usage_details"])), {
        input: 12,
        output: 5,
        total: 17,
      });
      assert.equal(
        gen!.attributes["langfuse.observation.output"],
        JSON.stringify({ content: "billing", role: "assistant" }),
      );
      assert.equal(gen!.attributes["user.id"], "user-1", "propagated attributes reach the generation");

      // Same wire setup as the SDK's own exporter; batched: one request for the whole turn.
      assert.equal(receiver.requests.length, 1);
      const headers = receiver.requests[0]!.headers;
      assert.equal(headers["authorization"], `Basic ${Buffer.from("pk-lf-test:sk-lf-test").toString("base64")}`);
      assert.equal(headers["x-langfuse-public-key"], "pk-lf-test");
      assert.equal(headers["x-langfuse-sdk-name"], "javascript");

      assert.equal(await counter(metrics.observationsCreated, { type: "span" }), 2);
      assert.equal(await counter(metrics.observationsCreated, { type: "generation" }), 1);
      assert.equal(await counter(metrics.spansExported), 3);
      assert.equal(await counter(metrics.exportAttempts), 1);
      assert.equal(await counter(metrics.errors), 0);
    }),
);

test(
  "naive: user/session repeated in every span's input and metadata, agent_key twice, one export per span",
  TEST_TIMEOUT,
  () =>
    withReceiver(async (receiver) => {
      const { tracing } = harness(receiver.baseUrl, { variant: "naive" });
      const turn = tracing.startTurn({ userId: "user-1", sessionId: "sess-1", message: "hi", endpoint: "chat" });
      const route = turn.startNode("route_node", { messages_count: 1 });
      route.end();
      const agent = turn.startNode(
        "agent_billing",
        { agent_key: "billing", messages_count: 1 },
        { intent_type: "billing" },
      );
      await agent.run(() => new UsageChatModel("ok").invoke("hi", { callbacks: agent.callbacks }));
      agent.end();
      turn.end({ output: "ok" });
      await tracing.shutdown();

      const routeSpan = byName(receiver.spans, "route_node");
      assert.deepEqual(JSON.parse(String(routeSpan.attributes["langfuse.observation.input"])), {
        messages_count: 1,
        user_id: "user-1",
        session_id: "sess-1",
      });
      assert.equal(routeSpan.attributes["langfuse.observation.metadata.user_id"], "user-1");
      assert.equal(routeSpan.attributes["langfuse.observation.metadata.session_id"], "sess-1");

      const agentSpan = byName(receiver.spans, "agent_billing");
      assert.deepEqual(JSON.parse(String(agentSpan.attributes["langfuse.observation.input"])), {
        agent_key: "billing",
        messages_count: 1,
        user_id: "user-1",
        session_id: "sess-1",
      });
      assert.equal(agentSpan.attributes["langfuse.observation.metadata.agent_key"], "billing");
      assert.equal(agentSpan.attributes["langfuse.observation.metadata.user_id"], "user-1");
      assert.equal(agentSpan.attributes["langfuse.observation.metadata.session_id"], "sess-1");
      assert.equal(agentSpan.attributes["langfuse.observation.metadata.intent_type"], "billing");

      const root = byName(receiver.spans, "chat");
      assert.equal(routeSpan.parentSpanId, root.spanId);
      assert.equal(agentSpan.parentSpanId, root.spanId);
      assert.equal(generations(receiver.spans)[0]!.parentSpanId, agentSpan.spanId);
      assert.equal(receiver.spans.length, 4);
      // exportMode "immediate": every span its own HTTP request.
      assert.equal(receiver.requests.length, 4);
    }),
);

test("enableSpans=false: no node span, the generation hangs directly under the root", TEST_TIMEOUT, () =>
  withReceiver(async (receiver) => {
    const { tracing, metrics } = harness(receiver.baseUrl, { enableSpans: false });
    await routeTurn(tracing);
    await tracing.shutdown();

    assert.equal(receiver.spans.length, 2, `spans: ${receiver.spans.map((s) => s.name).join(", ")}`);
    assert.equal(receiver.spans.filter((s) => s.name === "route_node").length, 0);
    const root = byName(receiver.spans, "chat");
    assert.equal(generations(receiver.spans)[0]!.parentSpanId, root.spanId);
    assert.equal(await counter(metrics.observationsCreated, { type: "span" }), 1);
  }),
);

test("sampleRate 0: traceId null, nothing created or sent, sampled-out counted", TEST_TIMEOUT, () =>
  withReceiver(async (receiver) => {
    const { tracing, metrics } = harness(receiver.baseUrl, { sampleRate: 0 });
    const turn = await routeTurn(tracing);
    await tracing.shutdown();

    assert.equal(turn.traceId, null);
    assert.equal(receiver.requests.length, 0);
    assert.equal(await counter(metrics.sampledOut), 1);
    assert.equal(await counter(metrics.observationsCreated), 0);
  }),
);

test(
  "hostile input/metadata (BigInt, circular, throwing getter) never throws out and the turn is still exported",
  TEST_TIMEOUT,
  () =>
    withReceiver(async (receiver) => {
      const { tracing, metrics } = harness(receiver.baseUrl);
      const circular: Record<string, unknown> = { a: 1 };
      circular["self"] = circular;
      const throwing = Object.defineProperty({}, "boom", {
        enumerable: true,
        get() {
          throw new Error("getter exploded");
        },
      }) as Record<string, unknown>;

      const turn = tracing.startTurn({ userId: "u", sessionId: "s", message: "m", endpoint: "chat" });
      const a = turn.startNode("route_node", { big: 10n, circular }, { big: 1n, circular });
      a.end();
      const b = turn.startNode("clarify_node", throwing, throwing);
      const result = await b.run(async () => 42);
      b.end(new Error("node failed"));
      turn.end({ error: new Error("turn failed") });
      await tracing.shutdown();

      assert.equal(result, 42);
      const route = byName(receiver.spans, "route_node");
      assert.equal(route.attributes["langfuse.observation.input"], "<failed to serialize>");
      assert.equal(route.attributes["langfuse.observation.metadata.big"], "<failed to serialize>");
      const root = byName(receiver.spans, "chat");
      assert.equal(root.attributes["langfuse.observation.level"], "ERROR");
      assert.equal(root.attributes["langfuse.observation.status_message"], "turn failed");
      // The throwing getter failed our startNode: reported, and the node degraded to "no span".
      assert.equal(await counter(metrics.errors, { kind: "sdk_start_node" }), 1);
    }),
);

test("disconnected client: root observation level WARNING 'client disconnected'", TEST_TIMEOUT, () =>
  withReceiver(async (receiver) => {
    const { tracing } = harness(receiver.baseUrl);
    const turn = tracing.startTurn({ userId: "u", sessionId: "s", message: "m", endpoint: "stream" });
    turn.end({ output: "partial", disconnected: true });
    await tracing.shutdown();
    const root = byName(receiver.spans, "chat");
    assert.equal(root.attributes["langfuse.observation.level"], "WARNING");
    assert.equal(root.attributes["langfuse.observation.status_message"], "client disconnected");
    assert.deepEqual(root.attributes["langfuse.trace.tags"], ["endpoint:stream"]);
  }),
);

test("node.run propagates the caller's errors and results unchanged", TEST_TIMEOUT, () =>
  withReceiver(async (receiver) => {
    const { tracing } = harness(receiver.baseUrl);
    const turn = tracing.startTurn({ userId: "u", sessionId: "s", message: "m", endpoint: "chat" });
    const node = turn.startNode("route_node", {});
    await assert.rejects(
      node.run(async () => Promise.reject(new Error("model down"))),
      /model down/,
    );
    node.end(new Error("model down"));
    turn.end({ error: new Error("model down") });
    await tracing.shutdown();
    assert.equal(byName(receiver.spans, "route_node").attributes["langfuse.observation.level"], "ERROR");
  }),
);

test(
  "concurrent turns: every generation under its own turn's node (LangChain's background callback queue is busy)",
  TEST_TIMEOUT,
  () =>
    withReceiver(async (receiver) => {
      const { tracing } = harness(receiver.baseUrl);
      const turns = await Promise.all(Array.from({ length: 25 }, (_, i) => routeTurnWithDelay(tracing, i)));
      await tracing.shutdown();

      assert.equal(receiver.spans.length, 75);
      for (const turn of turns) {
        const mine = receiver.spans.filter((s) => s.traceId === turn.traceId);
        assert.equal(mine.length, 3, `turn ${turn.traceId} has ${mine.map((s) => s.name).join(", ")}`);
        const route = byName(mine, "route_node");
        assert.equal(generations(mine)[0]!.parentSpanId, route.spanId);
      }
    }),
);

async function routeTurnWithDelay(tracing: Tracing, i: number): Promise<TurnTrace> {
  const turn = tracing.startTurn({ userId: `user-${i}`, sessionId: `s-${i}`, message: "m", endpoint: "chat" });
  const node = turn.startNode("route_node", {});
  await node.run(() => new UsageChatModel("r", (i * 7) % 13).invoke("m", { callbacks: node.callbacks }));
  node.end();
  turn.end({ output: "r" });
  return turn;
}

test("backend answering 500: failures and drops counted, nothing thrown, shutdown completes", TEST_TIMEOUT, () =>
  withReceiver(
    async (receiver) => {
      const { tracing, metrics } = harness(receiver.baseUrl);
      await routeTurn(tracing);
      await tracing.shutdown();
      assert.ok(receiver.requests.length >= 1);
      assert.equal(await counter(metrics.spansExported), 0);
      // 500 is not retried by the OTLP exporter: one attempt, the batch is rejected.
      assert.equal(await counter(metrics.exportAttempts), 1);
      assert.equal(await counter(metrics.exportFailures, { reason: "http_5xx" }), 1);
      assert.equal(await counter(metrics.spansDropped, { reason: "rejected" }), 3);
    },
    () => 500,
  ),
);

test("shutdown is bounded by shutdownTimeoutMs when the backend hangs", TEST_TIMEOUT, async () => {
  // A server that accepts the connection and never answers.
  const { createServer } = await import("node:http");
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  try {
    const { tracing, metrics } = harness(`http://127.0.0.1:${port}`, { shutdownTimeoutMs: 300 });
    await routeTurn(tracing);
    const started = Date.now();
    await tracing.shutdown();
    const took = Date.now() - started;
    // Unbounded, it would wait out the exporter's 5 s timeout; the slack absorbs a loaded machine.
    assert.ok(took < 4_000, `shutdown took ${took} ms`);
    assert.equal(await counter(metrics.errors, { kind: "sdk_shutdown_timeout" }), 1);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("a bad baseUrl at setup does not throw: reported, and tracing behaves as NOOP", TEST_TIMEOUT, async () => {
  const { tracing, metrics, warnings } = harness("not a url");
  const turn = await routeTurn(tracing);
  await tracing.shutdown();
  assert.equal(turn.traceId, null);
  assert.equal(await counter(metrics.errors, { kind: "sdk_setup" }), 1);
  assert.equal(warnings.length, 1);
});
