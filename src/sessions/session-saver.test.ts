import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver, type CheckpointTuple } from "@langchain/langgraph-checkpoint";
import { Registry } from "prom-client";
import { ChatMetrics } from "../chat/chat-metrics.js";
import { ChatService } from "../chat/chat-service.js";
import { NOOP_TRACING } from "../tracing/index.js";
import { SessionSaver } from "./session-saver.js";
import { MemorySessionLedger } from "./memory-session-ledger.js";
import { instantRouterGraph } from "../../test/support/instant-router-graph.js";

/** A memory store that counts reads of a thread's latest checkpoint (what a turn pays to deserialize). */
class CountingSaver extends MemorySaver {
  latestReads = 0;
  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    if (!config.configurable?.["checkpoint_id"]) this.latestReads++;
    return super.getTuple(config);
  }
}

function chatService(store: MemorySaver): ChatService {
  const graph = instantRouterGraph({ checkpointer: store });
  return new ChatService({
    graph,
    tracing: NOOP_TRACING,
    metrics: new ChatMetrics(new Registry()),
    turnTimeoutMs: 10_000,
  });
}

test("a turn reads its session from the store once: the graph run starts from the read the ownership check made", async () => {
  const store = new CountingSaver();
  const chat = chatService(store);
  const messages = [
    "Where is my order 10293?",
    "It was supposed to arrive yesterday.",
    "I was charged twice for it, please refund one payment.",
  ];
  const readsPerTurn: number[] = [];
  let sessionId: string | undefined;
  for (const message of messages) {
    const before = store.latestReads;
    const reply = await chat.runTurn({ userId: "alice", sessionId, message, endpoint: "chat" });
    readsPerTurn.push(store.latestReads - before);
    sessionId = reply.session_id;
  }
  assert.deepEqual(readsPerTurn, [1, 1, 1]);

  // Every turn started from the state the previous one stored.
  const session = await chat.getSession(sessionId!, "alice");
  assert.deepEqual(
    session.turns.map((t) => [t.user, t.agent]),
    [
      [messages[0], "orders"],
      [messages[1], "orders"],
      [messages[2], "billing"],
    ],
  );
  const tuple = await store.getTuple({ configurable: { thread_id: sessionId } });
  assert.equal((tuple?.checkpoint.channel_values["messages"] as unknown[]).length, 6);
  // Someone else's turn on it is refused before anything runs, and stores nothing.
  await assert.rejects(
    chat.runTurn({ userId: "mallory", sessionId, message: "Where is my order?", endpoint: "chat" }),
    { code: "session_not_found" },
  );
  const after = await store.getTuple({ configurable: { thread_id: sessionId } });
  assert.equal(after?.checkpoint.id, tuple?.checkpoint.id);
});

test("a prefetched checkpoint is handed over once, and only to a read of its own thread's latest checkpoint", async () => {
  const store = new CountingSaver();
  const chat = chatService(store);
  const { session_id: thread } = await chat.runTurn({
    userId: "alice",
    message: "Where is my order?",
    endpoint: "chat",
  });
  const saver = new SessionSaver(new MemorySessionLedger(store));
  const prefetched = await saver.prefetch(thread);
  assert.equal(prefetched.values?.["owner"], "alice");
  const stored = prefetched.tuple!;
  const withPrefetch = (configurable: Record<string, unknown>) => ({
    configurable: { ...configurable, ...prefetched.configurable() },
  });

  const reads = store.latestReads;
  // Another thread, another namespace, or a named checkpoint: read from the store.
  assert.equal(await saver.getTuple(withPrefetch({ thread_id: "someone-else" })), undefined);
  assert.notEqual(await saver.getTuple(withPrefetch({ thread_id: thread, checkpoint_ns: "sub" })), stored);
  const named = await saver.getTuple(withPrefetch({ thread_id: thread, checkpoint_id: stored.checkpoint.id }));
  assert.notEqual(named, stored);
  assert.equal(named?.checkpoint.id, stored.checkpoint.id);
  assert.equal(store.latestReads, reads + 2);
  // The thread's latest checkpoint: the prefetched read, once; then the store again.
  assert.equal(await saver.getTuple(withPrefetch({ thread_id: thread, checkpoint_ns: "" })), stored);
  assert.equal(store.latestReads, reads + 2);
  const again = await saver.getTuple(withPrefetch({ thread_id: thread }));
  assert.notEqual(again, stored);
  assert.equal(again?.checkpoint.id, stored.checkpoint.id);
  assert.equal(store.latestReads, reads + 3);
});

test("a new session's prefetch finds nothing, and the run does not read the store again", async () => {
  const store = new CountingSaver();
  const saver = new SessionSaver(new MemorySessionLedger(store));
  const prefetched = await saver.prefetch("brand-new");
  assert.equal(prefetched.values, undefined);
  assert.equal(
    await saver.getTuple({ configurable: { thread_id: "brand-new", ...prefetched.configurable() } }),
    undefined,
  );
  assert.equal(store.latestReads, 1);
});
