import { test } from "node:test";
import assert from "node:assert/strict";
import { MemorySaver } from "@langchain/langgraph";
import { Registry } from "prom-client";
import { loadCatalog } from "../agents/catalog.js";
import { ChatMetrics } from "../chat/chat-metrics.js";
import { ChatService } from "../chat/chat-service.js";
import { ModelUnavailableError } from "../llm/model-errors.js";
import { NOOP_TRACING } from "../tracing/index.js";
import { buildRouterGraph } from "./build-graph.js";
import { instantModelProvider } from "../../test/support/instant-model.js";

/**
 * The simulated provider, with counted calls and an answering model that can be made to fail. The
 * calls are wrapped on the provider's own (fresh) instances: a copy made with Object.create would
 * not carry their # fields.
 */
function flakyProvider() {
  const catalog = loadCatalog("agents/shop-support.json");
  const provider = instantModelProvider(catalog);
  const calls = { classifier: 0, answer: 0, failAnswers: false };
  const { chatModel, classifier } = provider;
  const answer = chatModel.invoke.bind(chatModel);
  chatModel.invoke = async (...args: Parameters<typeof chatModel.invoke>) => {
    calls.answer++;
    if (calls.failAnswers) throw new ModelUnavailableError("model endpoint down");
    return answer(...args);
  };
  const classify = classifier.classify.bind(classifier);
  classifier.classify = async (...args: Parameters<typeof classifier.classify>) => {
    calls.classifier++;
    return classify(...args);
  };
  return { catalog, provider, calls };
}

test("each turn runs route_node, then exactly the node it chose; a failed turn leaves the session as it was and is not resumed by the next", async () => {
  const { catalog, provider, calls } = flakyProvider();
  const store = new MemorySaver();
  const graph = buildRouterGraph({ catalog, provider, checkpointer: store, clarifyThreshold: 0.6, historyTurns: 10 });
  const chat = new ChatService({
    graph,
    tracing: NOOP_TRACING,
    metrics: new ChatMetrics(new Registry()),
    turnTimeoutMs: 10_000,
  });
  const turn = (message: string, sessionId?: string) =>
    chat.runTurn({ userId: "alice", sessionId, message, endpoint: "chat" });

  const first = await turn("Where is my order 10293?");
  assert.deepEqual([first.agent, first.clarification, calls.classifier, calls.answer], ["orders", false, 1, 1]);
  const stored = await store.getTuple({ configurable: { thread_id: first.session_id } });
  const beforeFailure = await chat.getSession(first.session_id, "alice");

  // The billing agent's model call fails: nothing of the turn reaches the session.
  calls.failAnswers = true;
  await assert.rejects(turn("I was charged twice, please refund one payment.", first.session_id), {
    code: "model_unavailable",
  });
  assert.deepEqual([calls.classifier, calls.answer], [2, 2]);
  const afterFailure = await chat.getSession(first.session_id, "alice");
  assert.deepEqual(afterFailure, beforeFailure);
  assert.equal(afterFailure.current_agent, "orders");
  const unchanged = await store.getTuple({ configurable: { thread_id: first.session_id } });
  assert.equal(unchanged?.checkpoint.id, stored?.checkpoint.id, "the failed turn wrote a checkpoint");

  // The next turn classifies and answers its own message once; the failed billing answer is not run again.
  calls.failAnswers = false;
  const next = await turn("hmm", first.session_id);
  assert.deepEqual([calls.classifier, calls.answer], [3, 3]);
  assert.deepEqual([next.agent, next.clarification], ["orders", false]);
  const session = await chat.getSession(first.session_id, "alice");
  assert.deepEqual(
    session.turns.map((t) => [t.user, t.agent]),
    [
      ["Where is my order 10293?", "orders"],
      ["hmm", "orders"],
    ],
  );

  // An unclear message in a new session: route_node sends it to clarify_node.
  const unclear = await turn("hmm");
  assert.deepEqual([unclear.agent, unclear.clarification, calls.classifier, calls.answer], [null, true, 4, 4]);
});

test("the model sees the last HISTORY_TURNS turns and the new message; the checkpoint keeps just that window", async () => {
  const catalog = loadCatalog("agents/shop-support.json");
  const provider = instantModelProvider(catalog);
  const seen: string[][] = [];
  const { chatModel } = provider;
  const answer = chatModel.invoke.bind(chatModel);
  chatModel.invoke = async (...args: Parameters<typeof chatModel.invoke>) => {
    seen.push((args[0] as { getType(): string; text: string }[]).map((m) => `${m.getType()}: ${m.text.slice(0, 12)}`));
    return answer(...args);
  };
  const store = new MemorySaver();
  const graph = buildRouterGraph({
    catalog,
    provider,
    checkpointer: store,
    clarifyThreshold: 0.6,
    historyTurns: 2,
  });
  const chat = new ChatService({
    graph,
    tracing: NOOP_TRACING,
    metrics: new ChatMetrics(new Registry()),
    turnTimeoutMs: 10_000,
  });
  let sessionId: string | undefined;
  for (let i = 1; i <= 5; i++) {
    const reply = await chat.runTurn({ userId: "w", sessionId, message: `order ${i} where is it?`, endpoint: "chat" });
    sessionId = reply.session_id;
  }
  const last = seen.at(-1)!;
  assert.deepEqual(
    last.map((m) => m.split(":")[0]),
    ["system", "human", "ai", "human", "ai", "human"],
  );
  assert.deepEqual(
    last.filter((m) => m.startsWith("human")),
    ["human: order 3 wher", "human: order 4 wher", "human: order 5 wher"],
  );
  const tuple = await store.getTuple({ configurable: { thread_id: sessionId } });
  const window = tuple?.checkpoint.channel_values["messages"] as { text: string }[];
  assert.deepEqual(
    window.filter((_, i) => i % 2 === 0).map((m) => m.text),
    ["order 4 where is it?", "order 5 where is it?"],
  );
  assert.equal((await chat.getSession(sessionId!, "w")).turn_count, 5, "every turn is in the transcript");
});
