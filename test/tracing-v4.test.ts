// What Langfuse v4 stores for each kind of turn, read back as a user reads it: rows from
// GET /api/public/v2/observations of the local receiver, which maps spans as the Langfuse server's
// v4 path does. Every row must carry the trace context; the root row holds the turn's input and
// output; generations hold model, usage and (streamed) completion start; every export carries
// the v4 header.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadCatalog } from "../src/agents/catalog.js";
import { APP_VERSION } from "../src/app-version.js";
import { listObservations, type ObservationV2AllGroups } from "./support/observations-api.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { startService, type RunningService } from "./support/start-service.js";
import {
  AUTH,
  CALL_TIMEOUT_MS,
  postChat,
  startReceiver,
  tracedEnv,
  waitFor,
  type Receiver,
} from "./support/tracing-helpers.js";

const ORDER = "Where is my order #1234? It has not arrived.";
const CONTEXT_ENV = { LANGFUSE_ENVIRONMENT: "e2e", LANGFUSE_RELEASE: "r-77" };

type Row = ObservationV2AllGroups;

/** The rows of one trace once `count` have arrived (each row once: duplicates would fail here). */
async function rowsOf(
  receiver: Receiver,
  query: { traceId?: string; userId?: string; sessionId?: string },
  count: number,
): Promise<Row[]> {
  return waitFor(`${count} rows for ${JSON.stringify(query)}`, async () => {
    const rows = await listObservations(receiver.url, AUTH, query);
    if (rows.length > count)
      throw new Error(`${rows.length} rows, expected ${count}: ${rows.map((r) => r.name).join(", ")}`);
    return rows.length === count ? rows : undefined;
  });
}

function byName(rows: Row[], name: string): Row {
  const found = rows.filter((r) => r.name === name);
  assert.equal(found.length, 1, `one row "${name}" in [${rows.map((r) => r.name).join(", ")}]`);
  return found[0]!;
}

/** The trace context every row of a turn must carry (filterable per row in Langfuse v4). */
function assertContextOnEveryRow(
  rows: Row[],
  expect: { userId: string; sessionId: string; endpoint: string; tenant?: string },
): void {
  for (const row of rows) {
    const where = `row ${row.name}`;
    assert.equal(row.userId, expect.userId, `${where}: userId`);
    assert.equal(row.sessionId, expect.sessionId, `${where}: sessionId`);
    assert.equal(row.traceName, "chat", `${where}: trace name`);
    assert.deepEqual(row.tags, [`endpoint:${expect.endpoint}`], `${where}: tags`);
    assert.equal(row.environment, "e2e", `${where}: environment`);
    assert.equal(row.release, "r-77", `${where}: release`);
    assert.equal(row.version, APP_VERSION, `${where}: version`);
    assert.equal(row.metadata["tenant"], expect.tenant ?? "none", `${where}: tenant`);
    // The seed's dedup: the context never sits inside an observation's own input.
    if (!row.isRootObservation && row.input)
      assert.ok(!row.input.includes(expect.sessionId), `${where}: the session id inside its input`);
  }
}

function assertTree(
  rows: Row[],
  answer: string,
  generation: string,
): { root: Row; route: Row; classifier: Row; node: Row; reply: Row } {
  const root = byName(rows, "chat");
  const route = byName(rows, "route_node");
  const classifier = byName(rows, "classifier");
  const node = byName(rows, answer);
  const reply = byName(rows, generation);
  assert.equal(root.isRootObservation, true);
  assert.equal(root.parentObservationId, null);
  assert.equal(route.parentObservationId, root.id);
  assert.equal(classifier.parentObservationId, route.id);
  assert.equal(node.parentObservationId, root.id);
  assert.equal(reply.parentObservationId, node.id);
  for (const gen of [classifier, reply]) {
    assert.equal(gen.type, "GENERATION");
    assert.ok(gen.model, `${gen.name} has a model`);
    assert.ok(
      gen.usageDetails["input"]! > 0 && gen.usageDetails["output"]! > 0 && gen.usageDetails["total"]! > 0,
      `${gen.name} usage ${JSON.stringify(gen.usageDetails)}`,
    );
    assert.equal(JSON.parse(gen.output!).role, "assistant", `${gen.name} output is the assistant message`);
  }
  return { root, route, classifier, node, reply };
}

async function withService<T>(env: Record<string, string>, fn: (svc: RunningService) => Promise<T>): Promise<T> {
  const svc = await startService(env);
  try {
    return await fn(svc);
  } finally {
    await svc.close();
  }
}

describe("Langfuse v4 rows for every kind of turn (our pipeline)", () => {
  let receiver: Receiver;
  let svc: RunningService;
  before(async () => {
    receiver = await startReceiver({ port: 0 });
    svc = await startService(tracedEnv(receiver, CONTEXT_ENV));
  });
  after(async () => {
    await svc?.close();
    // Checked last: whatever the tests above sent went with the v4 header.
    const versions = receiver.stats().requests.byIngestionVersion;
    await receiver?.close();
    assert.ok((versions["4"] ?? 0) > 0, "exports arrived");
    assert.equal(versions["none"], 0, "no export without x-langfuse-ingestion-version: 4");
  });

  test("a routed turn: five rows, each with the trace context; the root holds the turn's input and output", async () => {
    const res = await postChat(svc, { message: ORDER, user_id: "alice-v4" });
    assert.equal(res.status, 200);
    const rows = await rowsOf(receiver, { traceId: res.body.trace_id }, 5);
    assertContextOnEveryRow(rows, { userId: "alice-v4", sessionId: res.body.session_id, endpoint: "chat" });
    const { root, route, node, reply } = assertTree(rows, "agent_orders", "agent_reply");
    assert.equal(root.input, ORDER);
    assert.equal(root.output, res.body.reply);
    assert.equal(root.level, "DEFAULT");
    assert.deepEqual(JSON.parse(route.input!), { messages_count: 1, current_intent: null, current_agent: null });
    assert.deepEqual(JSON.parse(node.input!), { agent_key: "orders", messages_count: 1 });
    assert.equal(node.metadata["intent_type"], "order_status");
    assert.equal(JSON.parse(reply.output!).content, res.body.reply);
    for (const row of [root, node, reply])
      assert.equal(row.metadata["intent"], "order_status", `${row.name} carries the routing`);
    assert.equal(root.metadata["agent"], "orders");
    // Rows are filterable by user and session, as a v4 user filters them.
    assert.equal((await listObservations(receiver.url, AUTH, { userId: "alice-v4", type: "GENERATION" })).length, 2);
    assert.equal((await listObservations(receiver.url, AUTH, { sessionId: res.body.session_id })).length, 5);
  });

  test("a clarification: clarify_node and clarify_question instead of an agent, same context", async () => {
    const res = await postChat(svc, { message: "I have a question", user_id: "clara-v4" });
    assert.equal(res.body.clarification, true);
    const rows = await rowsOf(receiver, { traceId: res.body.trace_id }, 5);
    assertContextOnEveryRow(rows, { userId: "clara-v4", sessionId: res.body.session_id, endpoint: "chat" });
    const { root, reply } = assertTree(rows, "clarify_node", "clarify_question");
    assert.equal(root.output, res.body.reply);
    assert.equal(JSON.parse(reply.output!).content, res.body.reply);
  });

  test("two turns of one session: two traces sharing the session id; the second route_node sees the session's state", async () => {
    const first = await postChat(svc, { message: "Where is my parcel?", user_id: "sam-v4" });
    const second = await postChat(svc, {
      message: "ok, and when will it arrive?",
      user_id: "sam-v4",
      session_id: first.body.session_id,
    });
    assert.equal(second.status, 200);
    assert.notEqual(first.body.trace_id, second.body.trace_id);
    const rows = await rowsOf(receiver, { sessionId: first.body.session_id }, 10);
    assert.deepEqual(new Set(rows.map((r) => r.traceId)), new Set([first.body.trace_id, second.body.trace_id]));
    const route = rows.find((r) => r.name === "route_node" && r.traceId === second.body.trace_id)!;
    assert.deepEqual(JSON.parse(route.input!), {
      messages_count: 3,
      current_intent: "order_status",
      current_agent: "orders",
    });
  });

  test("a Chinese message from a user with a Chinese name: stored and filterable as given", async () => {
    const message = "我的订单 #5678 还没有到，请帮我查一下物流。";
    const res = await postChat(svc, { message, user_id: "张三" });
    assert.equal(res.status, 200);
    const rows = await rowsOf(receiver, { userId: "张三" }, 5);
    assertContextOnEveryRow(rows, { userId: "张三", sessionId: res.body.session_id, endpoint: "chat" });
    const root = byName(rows, "chat");
    assert.equal(root.input, message);
    assert.equal(root.output, res.body.reply);
    assert.ok(byName(rows, "classifier").input!.includes(message), "the classifier's input has the message, unescaped");
  });
});

describe("streamed turns (our pipeline)", () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver({ port: 0 });
  });
  after(() => receiver?.close());

  test("a streamed turn: tagged endpoint:stream, the reply generation has its completion start time", async () => {
    await withService(tracedEnv(receiver, { ...CONTEXT_ENV, SIM_TTFT_MS: "2", SIM_TOKEN_MS: "1" }), async (svc) => {
      const res = await fetch(`${svc.url}/api/v1/chat/stream`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: ORDER, user_id: "streamer-v4" }),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      const done = /event: done\ndata: (.*)\n/.exec(await res.text());
      assert.ok(done);
      const result = JSON.parse(done[1]!) as { trace_id: string; session_id: string; reply: string };
      const rows = await rowsOf(receiver, { traceId: result.trace_id }, 5);
      assertContextOnEveryRow(rows, { userId: "streamer-v4", sessionId: result.session_id, endpoint: "stream" });
      const { root, classifier, reply } = assertTree(rows, "agent_orders", "agent_reply");
      assert.equal(root.output, result.reply);
      assert.ok(reply.completionStartTime, "time to first token recorded");
      assert.ok(
        Date.parse(reply.completionStartTime) >= Date.parse(reply.startTime) &&
          Date.parse(reply.completionStartTime) <= Date.parse(reply.endTime!),
      );
      assert.equal(classifier.completionStartTime, null, "the classifier is not streamed");
    });
  });

  test("a client that disconnects mid-stream: the observations it cut short are WARNING 'client disconnected', none ERROR", async () => {
    await withService(
      tracedEnv(receiver, { ...CONTEXT_ENV, SIM_TTFT_MS: "2", SIM_TOKEN_MS: "50", SIM_REPLY_TOKENS: "300" }),
      async (svc) => {
        const gone = new AbortController();
        const res = await fetch(`${svc.url}/api/v1/chat/stream`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: ORDER, user_id: "leaver-v4" }),
          signal: gone.signal,
        });
        const reader = res.body!.getReader();
        assert.match(new TextDecoder().decode((await reader.read()).value), /event: token/);
        gone.abort();
        const rows = await rowsOf(receiver, { userId: "leaver-v4" }, 5);
        for (const row of rows) assert.notEqual(row.level, "ERROR", `${row.name} is not a failure`);
        for (const name of ["chat", "agent_orders", "agent_reply"]) {
          const row = byName(rows, name);
          assert.equal(row.level, "WARNING", name);
          assert.equal(row.statusMessage, "client disconnected", name);
        }
        assert.equal(byName(rows, "route_node").level, "DEFAULT", "the routing finished before the client left");
        assert.equal(byName(rows, "chat").output, null, "no reply was completed");
        assert.ok(byName(rows, "agent_reply").completionStartTime, "a token went out before the disconnect");
      },
    );
  });
});

describe("the OpenAI-compatible provider (against a fake OpenAI server)", () => {
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

  const openai = () =>
    tracedEnv(receiver, {
      ...CONTEXT_ENV,
      LLM_PROVIDER: "openai",
      LLM_BASE_URL: fake.baseUrl,
      LLM_API_KEY: "sk-test",
      LLM_MODEL: "gpt-4o-mini",
      LLM_MAX_RETRIES: "0",
    });

  test("an OpenAI-endpoint turn: tagged endpoint:openai, the classifier named classifier, the model on each generation", async () => {
    await withService(openai(), async (svc) => {
      const res = await postChat(
        svc,
        { model: "switchboard-router", user: "oai-v4", messages: [{ role: "user", content: ORDER }] },
        "/v1/chat/completions",
      );
      assert.equal(res.status, 200);
      const traceId = res.body.switchboard.trace_id as string;
      const rows = await rowsOf(receiver, { traceId }, 5);
      assertContextOnEveryRow(rows, {
        userId: "oai-v4",
        sessionId: res.body.switchboard.session_id,
        endpoint: "openai",
      });
      const { classifier, reply } = assertTree(rows, "agent_orders", "agent_reply");
      assert.match(classifier.model!, /gpt-4o-mini/);
      assert.match(reply.model!, /gpt-4o-mini/);
    });
  });

  test("usage details as Langfuse prices them (cached and reasoning tokens split out) and the request's parameters on the reply generation", async () => {
    const fakeWithDetails = await startFakeOpenAIServer({
      catalog: loadCatalog("agents/shop-support.json"),
      usageDetails: { cachedTokens: 40, reasoningTokens: 7 },
    });
    try {
      const env = tracedEnv(receiver, {
        ...CONTEXT_ENV,
        LLM_PROVIDER: "openai",
        LLM_BASE_URL: fakeWithDetails.baseUrl,
        LLM_API_KEY: "sk-test",
        LLM_MODEL: "gpt-4o-mini",
        LLM_MAX_RETRIES: "0",
      });
      await withService(env, async (svc) => {
        for (const stream of [false, true]) {
          const user = `cache-v4-${stream}`;
          const res = await fetch(`${svc.url}/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              model: "switchboard-router",
              user,
              stream,
              temperature: 0.3,
              max_tokens: 200,
              messages: [{ role: "user", content: ORDER }],
            }),
            signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
          });
          assert.equal(res.status, 200);
          await res.text();
          const rows = await rowsOf(receiver, { userId: user }, 5);
          for (const name of ["classifier", "agent_reply"]) {
            const gen = byName(rows, name);
            const u = gen.usageDetails;
            assert.equal(u["input_cache_read"], 40, `${name} (stream ${stream}): cached input ${JSON.stringify(u)}`);
            assert.equal(u["output_reasoning"], 7, `${name}: reasoning output`);
            assert.ok(
              u["input"]! >= 0 &&
                u["output"]! >= 0 &&
                u["total"]! ===
                  u["input"]! + u["output"]! + 40 + 7 + (u["input_audio"] ?? 0) + (u["output_audio"] ?? 0),
              `${name}: the parts add up to the total ${JSON.stringify(u)}`,
            );
          }
          assert.deepEqual(byName(rows, "agent_reply").modelParameters, { temperature: 0.3, max_tokens: 200 });
          if (stream) assert.ok(byName(rows, "agent_reply").completionStartTime, "streamed: completion start time");
        }
      });
    } finally {
      await fakeWithDetails.close();
    }
  });

  test("a failing model call: ERROR with its message on the generation, its node and the root", async () => {
    await withService(openai(), async (svc) => {
      fake.enqueue({ status: 500 });
      const res = await postChat(svc, { message: ORDER, user_id: "unlucky-v4" });
      assert.equal(res.status, 503);
      const rows = await rowsOf(receiver, { userId: "unlucky-v4" }, 3);
      assertContextOnEveryRow(rows, {
        userId: "unlucky-v4",
        sessionId: byName(rows, "chat").sessionId!,
        endpoint: "chat",
      });
      for (const name of ["chat", "route_node", "classifier"]) {
        const row = byName(rows, name);
        assert.equal(row.level, "ERROR", name);
        assert.ok(row.statusMessage, `${name} says why`);
      }
      assert.equal(byName(rows, "chat").input, ORDER);
      assert.equal(byName(rows, "chat").output, null);
      // A call that produced nothing carries explicit zero usage: Langfuse (and the receiver,
      // pricing as it does) would otherwise count the input's tokens and bill them.
      await receiver.tokensCounted();
      const [classifier] = await listObservations(receiver.url, AUTH, { userId: "unlucky-v4", name: "classifier" });
      assert.deepEqual(classifier!.usageDetails, { input: 0, output: 0, total: 0 });
      assert.equal(classifier!.totalCost, 0);
      assert.equal(classifier!.model, "gpt-4o-mini", "priced as a known model: zero because nothing was used");
    });
  });
});

describe("the official SDK pipeline, set up as its docs show for Langfuse v4", () => {
  test("LANGFUSE_PIPELINE=sdk: every row carries user, session, trace name and tags; the root holds input and output", async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      let res: { status: number; body: any };
      await withService(tracedEnv(receiver, { ...CONTEXT_ENV, LANGFUSE_PIPELINE: "sdk" }), async (svc) => {
        res = await postChat(svc, { message: ORDER, user_id: "sdk-v4" });
        assert.equal(res.status, 200);
      }); // the SDK batches for 5 s; shutdown flushes
      const rows = await rowsOf(receiver, { traceId: res!.body.trace_id }, 5);
      for (const row of rows) {
        assert.equal(row.userId, "sdk-v4", row.name!);
        assert.equal(row.sessionId, res!.body.session_id, row.name!);
        assert.equal(row.traceName, "chat", row.name!);
        assert.deepEqual(row.tags, ["endpoint:chat"], row.name!);
        assert.equal(row.version, APP_VERSION, row.name!);
      }
      const root = rows.find((r) => r.isRootObservation)!;
      assert.equal(root.input, ORDER);
      assert.equal(root.output, res!.body.reply);
    } finally {
      await receiver.close();
    }
  });
});
