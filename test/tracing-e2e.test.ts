// Tracing end to end: configuration switches and the comparison pipelines, asserted through the
// receiver's legacy trace API (and its raw-span view where the wire itself matters). What Langfuse
// v4 stores for each kind of turn is in tracing-v4.test.ts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startService, type RunningService } from "./support/start-service.js";
import {
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
function assertNodeFields(
  actual: Record<string, unknown> | null,
  expected: Record<string, unknown>,
  exact: boolean,
  what: string,
): void {
  if (exact) {
    assert.deepEqual(actual, expected, what);
    return;
  }
  assert.ok(actual, `${what} present`);
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(actual[k], v, `${what}.${k}`);
}

function assertRoutedTree(
  trace: Trace,
  expect: RoutedExpectation,
): { root: Observation; route: Observation; classifier: Observation; agent: Observation; reply: Observation } {
  assert.equal(trace.name, "chat");
  assert.equal(trace.userId, expect.userId);
  assert.equal(trace.sessionId, expect.sessionId);
  assert.deepEqual(trace.tags, [`endpoint:${expect.endpoint}`]);
  assert.equal(trace.input, expect.message);
  assert.equal(trace.output, expect.reply);
  assert.deepEqual(
    trace.observations.map((observation) => observation.name).sort(),
    ["agent_reply", `agent_${expect.agentKey}`, "chat", "classifier", "route_node"].sort(),
  );
  assert.equal(trace.observations.length, 5);

  const root = one(trace, "chat");
  const route = one(trace, "route_node");
  const classifier = one(trace, "classifier");
  const agent = one(trace, `agent_${expect.agentKey}`);
  const reply = one(trace, "agent_reply");
  for (const observation of trace.observations) assert.equal(observation.traceId, trace.id);

  assert.equal(root.parentObservationId, null, "root has no parent");
  assert.equal(route.parentObservationId, root.id, "route_node under root");
  assert.equal(classifier.parentObservationId, route.id, "classifier under route_node");
  assert.equal(agent.parentObservationId, root.id, "agent span under root");
  assert.equal(reply.parentObservationId, agent.id, "agent generation under agent span");

  const exact = expect.pipeline !== "naive";
  assert.equal(route.type, "SPAN");
  assertNodeFields(
    route.input,
    { messages_count: 1, current_intent: null, current_agent: null },
    exact,
    "route_node input",
  );
  assert.equal(agent.type, "SPAN");
  assertNodeFields(agent.input, { agent_key: expect.agentKey, messages_count: 1 }, exact, "agent input");
  assertNodeFields(agent.metadata, { intent_type: expect.intent }, exact, "agent metadata");

  for (const gen of [classifier, reply]) {
    assert.equal(gen.type, "GENERATION", gen.name);
    assert.ok(gen.model, `${gen.name} has a model`);
    assert.ok(
      gen.usage.input > 0 && gen.usage.output > 0 && gen.usage.total > 0,
      `${gen.name} usage ${JSON.stringify(gen.usage)}`,
    );
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
        await waitFor("every exported span stored", () =>
          sampled.stats().store.observations === ids.length * 5 ? true : undefined,
        );
        assert.equal(sampled.stats().store.traces, ids.length, "no partial traces from unsampled turns");
        const metrics = await metricsText(svc);
        assert.equal(metricValue(metrics, "switchboard_tracing_turns_sampled_out_total"), untraced);
      });
    } finally {
      await sampled.close();
    }
  });

  test("LANGFUSE_MAX_FIELD_CHARS=1000: a 3,000-character message is cut with its true length; generation inputs stay message arrays", async () => {
    await withService(tracedEnv(receiver, { LANGFUSE_MAX_FIELD_CHARS: "1000" }), async (svc) => {
      const words = Array.from({ length: 600 }, (_, i) => `w${i}`).join(" ");
      const message = `Where is my order #5678? ${words} ${"z".repeat(3000)}`.slice(0, 3000);
      assert.equal(message.length, 3000);
      const res = await postChat(svc, { message, user_id: "verbose" });
      assert.equal(res.status, 200);
      const trace = await waitForTrace(receiver, res.body.trace_id, 5);
      assert.equal(typeof trace.input, "string");
      assert.ok(trace.input.length <= 1000, `${trace.input.length}`);
      assert.ok(trace.input.startsWith(message.slice(0, 900)));
      assert.ok(trace.input.endsWith("…[truncated by switchboard: 3000 chars]"), trace.input.slice(-60));
      for (const name of ["classifier", "agent_reply"]) {
        const gen = one(trace, name);
        // Langfuse parses a JSON string attribute: a message array that stays valid JSON is shown as a chat.
        assert.ok(Array.isArray(gen.input), `${name}: input is still a message array`);
        const contents = (gen.input as { role: string; content: string }[]).map((m) => m.content);
        assert.ok(JSON.stringify(gen.input).length <= 1000);
        assert.ok(
          contents.some((c) => c.endsWith("…[truncated by switchboard: 3000 chars]")),
          `${name}: the user's message is cut with its true length`,
        );
      }
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
      const spans = await rawSpans(receiver, res.body.trace_id);
      assert.ok(
        !JSON.stringify(spans.map((s) => s.attributes)).includes("my order #1234"),
        "the message text is not exported anywhere",
      );
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
        const repeating = spans.filter(
          (s) =>
            s.parent_observation_id !== null &&
            (s.attributes["user.id"] !== undefined || s.attributes["session.id"] !== undefined),
        );
        if (pipeline === "naive")
          assert.ok(repeating.length > 0, "naive repeats user/session in child spans (the 'before' being compared)");
      } finally {
        await receiver.close();
      }
    });
  }
});
