// Tracing end to end: HTTP -> service -> our export pipeline -> local receiver, asserted through
// the receiver's Langfuse public API (and its raw-span view where the wire itself matters).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startService, type RunningService } from "./support/start-service.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { loadCatalog } from "../src/agents/catalog.js";
import {
  CALL_TIMEOUT_MS,
  getTrace,
  metricValue,
  metricsText,
  one,
  postChat,
  rawSpans,
  sleep,
  startReceiver,
  tracedEnv,
  waitFor,
  waitForTrace,
  type Observation,
  type Receiver,
  type Trace,
} from "./support/tracing-helpers.js";

const ORDER_MESSAGE = "Where is my order #1234? It has not arrived.";

async function withService<T>(env: Record<string, string>, fn: (svc: RunningService) => Promise<T>): Promise<T> {
  const svc = await startService(env);
  try {
    return await fn(svc);
  } finally {
    await svc.close();
  }
}

/** The routed-turn contract: exact tree, parent links, node inputs, generations. */
interface RoutedExpectation {
  userId: string;
  sessionId: string;
  message: string;
  reply: string;
  endpoint: string;
  agentKey: string;
  intent: string;
  /** Which pipeline produced the trace: "naive" repeats user/session in node inputs on purpose. */
  pipeline?: "switchboard" | "sdk" | "naive";
}

/** deepEqual, or for the naive pipeline: the contract's keys are there (extra keys allowed). */
function assertNodeFields(actual: Record<string, unknown> | null, expected: Record<string, unknown>, exact: boolean, what: string): void {
  if (exact) {
    assert.deepEqual(actual, expected, what);
    return;
  }
  assert.ok(actual, `${what} present`);
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(actual[k], v, `${what}.${k}`);
}

function assertRoutedTree(trace: Trace, expect: RoutedExpectation): { root: Observation; route: Observation; classifier: Observation; agent: Observation; reply: Observation } {
  assert.equal(trace.name, "chat");
  assert.equal(trace.userId, expect.userId);
  assert.equal(trace.sessionId, expect.sessionId);
  assert.deepEqual(trace.tags, [`endpoint:${expect.endpoint}`]);
  assert.equal(trace.input, expect.message);
  assert.equal(trace.output, expect.reply);
  assert.deepEqual(trace.observations.map((o) => o.name).sort(), ["agent_reply", `agent_${expect.agentKey}`, "chat", "classifier", "route_node"].sort());
  assert.equal(trace.observations.length, 5);

  const root = one(trace, "chat");
  const route = one(trace, "route_node");
  const classifier = one(trace, "classifier");
  const agent = one(trace, `agent_${expect.agentKey}`);
  const reply = one(trace, "agent_reply");
  for (const o of trace.observations) assert.equal(o.traceId, trace.id);

  assert.equal(root.parentObservationId, null, "root has no parent");
  assert.equal(route.parentObservationId, root.id, "route_node under root");
  assert.equal(classifier.parentObservationId, route.id, "classifier under route_node");
  assert.equal(agent.parentObservationId, root.id, "agent span under root");
  assert.equal(reply.parentObservationId, agent.id, "agent generation under agent span");

  const exact = expect.pipeline !== "naive";
  assert.equal(route.type, "SPAN");
  assertNodeFields(route.input, { messages_count: 1, current_intent: null, current_agent: null }, exact, "route_node input");
  assert.equal(agent.type, "SPAN");
  assertNodeFields(agent.input, { agent_key: expect.agentKey, messages_count: 1 }, exact, "agent input");
  assertNodeFields(agent.metadata, { intent_type: expect.intent }, exact, "agent metadata");

  for (const gen of [classifier, reply]) {
    assert.equal(gen.type, "GENERATION", gen.name);
    assert.ok(gen.model, `${gen.name} has a model`);
    assert.ok(gen.usage.input > 0 && gen.usage.output > 0 && gen.usage.total > 0, `${gen.name} usage ${JSON.stringify(gen.usage)}`);
    assert.ok(gen.input !== null && gen.input !== undefined, `${gen.name} has input`);
    assert.ok(gen.output !== null && gen.output !== undefined, `${gen.name} has output`);
    assert.equal(gen.level, "DEFAULT");
  }
  // The generations' inputs carry the user's message; outputs what the model said.
  assert.ok(JSON.stringify(classifier.input).includes(JSON.stringify(expect.message).slice(1, -1)));
  if ((expect.pipeline ?? "switchboard") === "switchboard") {
    // Our pipeline records the model's answer as Langfuse renders it: the JSON, not a message envelope.
    assert.equal(classifier.output.intent, expect.intent);
    assert.equal(typeof classifier.output.confidence, "number");
    assert.equal(reply.output, expect.reply);
  } else {
    assert.ok(JSON.stringify(classifier.output).includes(expect.intent));
    assert.ok(JSON.stringify(reply.output).includes(JSON.stringify(expect.reply).slice(1, 40)));
  }
  return { root, route, classifier, agent, reply };
}

describe("tracing end to end (switchboard pipeline)", () => {
  let receiver: Receiver;
  let svc: RunningService;
  before(async () => {
    receiver = await startReceiver({ port: 0 });
    svc = await startService(tracedEnv(receiver));
  });
  after(async () => {
    await svc?.close();
    await receiver?.close();
  });

  test("a routed turn is exactly the contract's tree, under the trace id the API returns", async () => {
    const res = await postChat(svc, { message: ORDER_MESSAGE, user_id: "alice-e2e" });
    assert.equal(res.status, 200);
    assert.match(res.body.trace_id, /^[0-9a-f]{32}$/);
    const trace = await waitForTrace(receiver, res.body.trace_id, 5);
    assert.equal(trace.id, res.body.trace_id);
    const { root } = assertRoutedTree(trace, {
      userId: "alice-e2e",
      sessionId: res.body.session_id,
      message: ORDER_MESSAGE,
      reply: res.body.reply,
      endpoint: "chat",
      agentKey: "orders",
      intent: "order_status",
    });
    assert.equal(root.level, "DEFAULT");
    assert.deepEqual(trace.metadata, { intent: "order_status", agent: "orders" });
  });

  test("no span repeats the user or the session: only the root carries them", async () => {
    const userId = "user-7f3a9c";
    const res = await postChat(svc, { message: "I was charged twice, I need a refund", user_id: userId });
    assert.equal(res.status, 200);
    const sessionId: string = res.body.session_id;
    const trace = await waitForTrace(receiver, res.body.trace_id, 5);
    const spans = await rawSpans(receiver, res.body.trace_id);
    assert.equal(spans.length, 5);
    const root = spans.filter((s) => s.parent_observation_id === null);
    assert.equal(root.length, 1);
    assert.equal(root[0]!.attributes["user.id"], userId);
    assert.equal(root[0]!.attributes["session.id"], sessionId);
    for (const span of spans) {
      if (span === root[0]) continue;
      const keys = Object.keys(span.attributes);
      assert.ok(!keys.includes("user.id") && !keys.includes("session.id"), `${span.name} repeats user/session: ${keys.join(", ")}`);
      assert.ok(!keys.some((k) => k.startsWith("langfuse.trace.")), `${span.name} writes trace attributes: ${keys.join(", ")}`);
    }
    for (const o of trace.observations) {
      if (o.parentObservationId === null) continue;
      const where = JSON.stringify({ input: o.input, metadata: o.metadata });
      assert.ok(!where.includes(userId), `${o.name} input/metadata mention the user id`);
      assert.ok(!where.includes(sessionId), `${o.name} input/metadata mention the session id`);
    }
    const agent = one(trace, "agent_billing");
    assert.ok(!("agent_key" in (agent.metadata ?? {})), "agent_key is input, not repeated in metadata");
  });

  test("an unclear message: clarify_node and its generation instead of an agent", async () => {
    const res = await postChat(svc, { message: "I have a question", user_id: "clara" });
    assert.equal(res.status, 200);
    assert.equal(res.body.clarification, true);
    const trace = await waitForTrace(receiver, res.body.trace_id, 5);
    assert.deepEqual(trace.observations.map((o) => o.name).sort(), ["chat", "clarify_node", "clarify_question", "classifier", "route_node"]);
    const root = one(trace, "chat");
    const route = one(trace, "route_node");
    const clarify = one(trace, "clarify_node");
    const question = one(trace, "clarify_question");
    assert.equal(root.parentObservationId, null);
    assert.equal(route.parentObservationId, root.id);
    assert.equal(one(trace, "classifier").parentObservationId, route.id);
    assert.equal(clarify.parentObservationId, root.id);
    assert.equal(clarify.type, "SPAN");
    assert.deepEqual(clarify.input, { messages_count: 1 });
    assert.equal(question.parentObservationId, clarify.id);
    assert.equal(question.type, "GENERATION");
    assert.equal(question.output, res.body.reply);
    assert.equal(trace.output, res.body.reply);
    assert.ok(!trace.observations.some((o) => o.name.startsWith("agent_")));
  });

  test("two turns of one session are two traces sharing the session id", async () => {
    const first = await postChat(svc, { message: "Where is my parcel?", user_id: "sam" });
    const second = await postChat(svc, { message: "ok, and when will it arrive?", user_id: "sam", session_id: first.body.session_id });
    assert.equal(second.status, 200);
    assert.notEqual(first.body.trace_id, second.body.trace_id);
    const t1 = await waitForTrace(receiver, first.body.trace_id, 5);
    const t2 = await waitForTrace(receiver, second.body.trace_id, 5);
    assert.equal(t1.sessionId, t2.sessionId);
    // The second turn's route_node sees the session's state.
    assert.deepEqual(one(t2, "route_node").input, { messages_count: 3, current_intent: "order_status", current_agent: "orders" });
  });
});

describe("streamed turns", () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver({ port: 0 });
  });
  after(() => receiver?.close());

  test("same tree, tagged endpoint:stream, and the agent generation has a time to first token", async () => {
    await withService(tracedEnv(receiver, { SIM_TTFT_MS: "2", SIM_TOKEN_MS: "1" }), async (svc) => {
      const res = await fetch(`${svc.url}/api/v1/chat/stream`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: ORDER_MESSAGE, user_id: "streamer" }),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      assert.equal(res.status, 200);
      const text = await res.text();
      const done = /event: done\ndata: (.*)\n/.exec(text);
      assert.ok(done, `no done event in ${text.slice(0, 200)}`);
      const result = JSON.parse(done[1]!);
      const trace = await waitForTrace(receiver, result.trace_id, 5);
      const { reply, classifier } = assertRoutedTree(trace, {
        userId: "streamer",
        sessionId: result.session_id,
        message: ORDER_MESSAGE,
        reply: result.reply,
        endpoint: "stream",
        agentKey: "orders",
        intent: "order_status",
      });
      assert.ok(reply.completionStartTime, "the streamed generation has a completion start time");
      assert.ok(Date.parse(reply.completionStartTime) >= Date.parse(reply.startTime));
      assert.ok(Date.parse(reply.completionStartTime) <= Date.parse(reply.endTime));
      assert.equal(classifier.completionStartTime, null, "the classifier is not streamed");
    });
  });

  test("a client that disconnects mid-stream still closes its trace: root WARNING, agent generation not left open", async () => {
    await withService(tracedEnv(receiver, { SIM_TTFT_MS: "2", SIM_TOKEN_MS: "50", SIM_REPLY_TOKENS: "300" }), async (svc) => {
      const controller = new AbortController();
      const res = await fetch(`${svc.url}/api/v1/chat/stream`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: ORDER_MESSAGE, user_id: "leaver-e2e" }),
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]),
      });
      const reader = res.body!.getReader();
      const first = await reader.read();
      assert.match(new TextDecoder().decode(first.value), /event: token/);
      controller.abort();
      // The trace id never reached the client: find the trace by its user.
      const trace = await waitFor("the disconnected turn's trace", async () => {
        const list = await fetch(`${receiver.url}/api/public/traces?userId=leaver-e2e`, { headers: { authorization: `Basic ${Buffer.from("pk-lf-local:sk-lf-local").toString("base64")}` }, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) }).then((r) => r.json() as Promise<{ data: Array<{ id: string }> }>);
        const id = list.data[0]?.id;
        if (!id) return undefined;
        const t = await getTrace(receiver, id);
        return t && t.observations.some((o) => o.parentObservationId === null) && t.observations.length >= 5 ? t : undefined;
      });
      const root = one(trace, "chat");
      assert.equal(root.level, "WARNING");
      assert.match(root.statusMessage ?? "", /client disconnected/);
      assert.equal(trace.metadata["disconnected"], "true");
      assert.equal(trace.output, null, "no reply was completed");
      const agent = one(trace, "agent_orders");
      const gen = one(trace, "agent_reply");
      assert.equal(gen.parentObservationId, agent.id);
      assert.ok(gen.endTime, "the agent generation was closed");
      assert.equal(gen.level, "ERROR", `agent generation level ${gen.level}`);
      assert.equal(agent.level, "ERROR", "the aborted node span is marked");
      assert.ok(gen.completionStartTime, "a token was streamed before the disconnect");
    });
  });
});

describe("a failing model call (OpenAI provider against a fake server answering 500)", () => {
  let receiver: Receiver;
  let fake: FakeOpenAIServer;
  before(async () => {
    receiver = await startReceiver({ port: 0 });
    fake = await startFakeOpenAIServer({ catalog: loadCatalog("agents/shop-support.json") });
  });
  after(async () => {
    await fake?.close();
    await receiver?.close();
  });

  test("503 to the client; generation, node span and root are ERROR with a status message", async () => {
    await withService(tracedEnv(receiver, { LLM_PROVIDER: "openai", LLM_BASE_URL: fake.baseUrl, LLM_API_KEY: "x", LLM_MAX_RETRIES: "0" }), async (svc) => {
      fake.enqueue({ status: 500 });
      const res = await postChat(svc, { message: ORDER_MESSAGE, user_id: "unlucky" });
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, "model_unavailable");
      const list = await waitFor("the failed turn's trace", async () => {
        const body = await fetch(`${receiver.url}/api/public/traces?userId=unlucky`, { headers: { authorization: `Basic ${Buffer.from("pk-lf-local:sk-lf-local").toString("base64")}` }, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) }).then((r) => r.json() as Promise<{ data: Array<{ id: string }> }>);
        return body.data[0];
      });
      const trace = await waitForTrace(receiver, list.id, 3);
      assert.equal(trace.observations.length, 3, trace.observations.map((o) => o.name).join(", "));
      const root = one(trace, "chat");
      const route = one(trace, "route_node");
      // The OpenAI classifier is a structured-output sequence named "classifier"; its model run
      // (the generation) keeps the model's own run name. Find it by its place in the tree.
      const gens = trace.observations.filter((o) => o.type === "GENERATION");
      assert.equal(gens.length, 1);
      const gen = gens[0]!;
      assert.equal(gen.parentObservationId, route.id);
      assert.equal(route.parentObservationId, root.id);
      assert.equal(gen.level, "ERROR");
      assert.ok(gen.statusMessage && gen.statusMessage.length > 0, "generation has a status message");
      assert.equal(route.level, "ERROR");
      assert.ok(route.statusMessage);
      assert.equal(root.level, "ERROR");
      assert.ok(root.statusMessage);
      assert.equal(trace.output, null);
    });
  });
});

describe("configuration switches", () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver({ port: 0 });
  });
  after(() => receiver?.close());

  test("LANGFUSE_ENABLE_SPANS=false: the trace and its two generations, both under the root, no node spans", async () => {
    await withService(tracedEnv(receiver, { LANGFUSE_ENABLE_SPANS: "false" }), async (svc) => {
      const res = await postChat(svc, { message: ORDER_MESSAGE, user_id: "flat" });
      assert.equal(res.status, 200);
      const trace = await waitForTrace(receiver, res.body.trace_id, 3);
      assert.equal(trace.observations.length, 3);
      const root = one(trace, "chat");
      assert.equal(root.parentObservationId, null);
      for (const name of ["classifier", "agent_reply"]) {
        const gen = one(trace, name);
        assert.equal(gen.type, "GENERATION");
        assert.equal(gen.parentObservationId, root.id, `${name} hangs under the root`);
      }
      assert.equal(trace.userId, "flat");
      assert.equal(trace.output, res.body.reply);
    });
  });

  test("LANGFUSE_ENABLED=false: no trace id, nothing sent, no tracing series on /metrics", async () => {
    const quiet = await startReceiver({ port: 0 });
    try {
      await withService(tracedEnv(quiet, { LANGFUSE_ENABLED: "false" }), async (svc) => {
        for (let i = 0; i < 3; i++) {
          const res = await postChat(svc, { message: ORDER_MESSAGE, user_id: "off" });
          assert.equal(res.status, 200);
          assert.equal(res.body.trace_id, null);
        }
        await sleep(300); // several flush intervals: anything exported would have arrived
        assert.equal(quiet.stats().requests.total, 0);
        const metrics = await metricsText(svc);
        assert.ok(metrics.includes("switchboard_chat_turns_total"), "the registry is served");
        assert.ok(!metrics.includes("switchboard_tracing_"), "no tracing series when disabled");
      });
    } finally {
      await quiet.close();
    }
  });

  test("LANGFUSE_SAMPLE_RATE=0: no trace id, nothing sent, turns counted as sampled out", async () => {
    const quiet = await startReceiver({ port: 0 });
    try {
      await withService(tracedEnv(quiet, { LANGFUSE_SAMPLE_RATE: "0" }), async (svc) => {
        for (let i = 0; i < 4; i++) {
          const res = await postChat(svc, { message: ORDER_MESSAGE, user_id: "unsampled" });
          assert.equal(res.status, 200);
          assert.equal(res.body.trace_id, null);
        }
        await sleep(300);
        assert.equal(quiet.stats().requests.total, 0);
        const metrics = await metricsText(svc);
        assert.equal(metricValue(metrics, "switchboard_tracing_turns_sampled_out_total"), 4);
        assert.equal(metricValue(metrics, "switchboard_tracing_observations_created_total"), 0);
      });
    } finally {
      await quiet.close();
    }
  });

  test("LANGFUSE_SAMPLE_RATE=0.5: some turns traced, some not, every traced trace whole", async () => {
    const sampled = await startReceiver({ port: 0 });
    try {
      await withService(tracedEnv(sampled, { LANGFUSE_SAMPLE_RATE: "0.5" }), async (svc) => {
        const ids: string[] = [];
        let untraced = 0;
        const turns = 40;
        for (let i = 0; i < turns; i++) {
          const res = await postChat(svc, { message: ORDER_MESSAGE, user_id: `sampler-${i}` });
          assert.equal(res.status, 200);
          if (res.body.trace_id === null) untraced++;
          else ids.push(res.body.trace_id);
        }
        assert.ok(ids.length > 0 && untraced > 0, `traced ${ids.length}, untraced ${untraced}`);
        for (const id of ids) {
          const trace = await waitForTrace(sampled, id, 5);
          assert.equal(trace.observations.length, 5, `trace ${id} is whole`);
        }
        await waitFor("every exported span stored", () => (sampled.stats().store.observations === ids.length * 5 ? true : undefined));
        assert.equal(sampled.stats().store.traces, ids.length, "no partial traces from unsampled turns");
        const metrics = await metricsText(svc);
        assert.equal(metricValue(metrics, "switchboard_tracing_turns_sampled_out_total"), untraced);
      });
    } finally {
      await sampled.close();
    }
  });

  test("LANGFUSE_MAX_FIELD_CHARS=100: a 600-character message is cut, with a marker giving its length", async () => {
    await withService(tracedEnv(receiver, { LANGFUSE_MAX_FIELD_CHARS: "100" }), async (svc) => {
      const words = Array.from({ length: 120 }, (_, i) => `w${i}`).join(" ");
      const message = `Where is my order #5678? ${words} ${"z".repeat(600)}`.slice(0, 600);
      assert.equal(message.length, 600);
      const res = await postChat(svc, { message, user_id: "verbose" });
      assert.equal(res.status, 200);
      const trace = await waitForTrace(receiver, res.body.trace_id, 5);
      assert.equal(typeof trace.input, "string");
      assert.ok(trace.input.startsWith(message.slice(0, 100)), trace.input);
      assert.ok(!trace.input.includes(message.slice(100, 140)), "the rest is cut");
      assert.match(trace.input, /truncated/);
      assert.match(trace.input, /600 chars/);
      assert.ok(trace.input.length < 200);
      const reply = one(trace, "agent_reply");
      // Generation input (JSON of the messages) is capped as well, so it is no longer valid JSON.
      assert.equal(typeof reply.input, "string");
      assert.ok(reply.input.length < 200);
      assert.match(reply.input, /truncated by switchboard: \d+ chars/);
    });
  });

  test("LANGFUSE_CAPTURE_IO=false: trace and generation inputs/outputs are sizes, not text", async () => {
    await withService(tracedEnv(receiver, { LANGFUSE_CAPTURE_IO: "false" }), async (svc) => {
      const res = await postChat(svc, { message: ORDER_MESSAGE, user_id: "private" });
      assert.equal(res.status, 200);
      const trace = await waitForTrace(receiver, res.body.trace_id, 5);
      assert.deepEqual(trace.input, { captured: false, chars: ORDER_MESSAGE.length });
      assert.deepEqual(trace.output, { captured: false, chars: res.body.reply.length });
      for (const name of ["classifier", "agent_reply"]) {
        const gen = one(trace, name);
        assert.equal(gen.input.captured, false, `${name} input`);
        assert.equal(typeof gen.input.chars, "number");
        assert.equal(gen.output.captured, false, `${name} output`);
        assert.equal(typeof gen.output.chars, "number");
      }
      assert.equal(one(trace, "agent_reply").output.chars, res.body.reply.length);
      const spans = await rawSpans(receiver, res.body.trace_id);
      assert.ok(!JSON.stringify(spans.map((s) => s.attributes)).includes("my order #1234"), "the message text is not exported anywhere");
    });
  });
});

describe("the official-SDK pipelines (comparison)", () => {
  for (const pipeline of ["sdk", "naive"] as const) {
    test(`LANGFUSE_PIPELINE=${pipeline}: the routed turn has the contract's tree`, async () => {
      const receiver = await startReceiver({ port: 0 });
      try {
        const svc = await startService(tracedEnv(receiver, { LANGFUSE_PIPELINE: pipeline }));
        let res: { status: number; body: any };
        try {
          res = await postChat(svc, { message: ORDER_MESSAGE, user_id: `alice-${pipeline}` });
          assert.equal(res.status, 200);
          assert.match(res.body.trace_id, /^[0-9a-f]{32}$/);
        } finally {
          await svc.close(); // the SDK batches for 5 s; shutdown flushes
        }
        const trace = await waitForTrace(receiver, res.body.trace_id, 5);
        assertRoutedTree(trace, {
          userId: `alice-${pipeline}`,
          sessionId: res.body.session_id,
          message: ORDER_MESSAGE,
          reply: res.body.reply,
          endpoint: "chat",
          agentKey: "orders",
          intent: "order_status",
          pipeline,
        });
        const spans = await rawSpans(receiver, res.body.trace_id);
        const repeating = spans.filter((s) => s.parent_observation_id !== null && (s.attributes["user.id"] !== undefined || s.attributes["session.id"] !== undefined));
        if (pipeline === "naive") assert.ok(repeating.length > 0, "naive repeats user/session in child spans (the 'before' being compared)");
      } finally {
        await receiver.close();
      }
    });
  }
});
