import { test } from "node:test";
import assert from "node:assert/strict";
import { MemorySaver } from "@langchain/langgraph";
import { Registry } from "prom-client";
import { loadCatalog } from "../agents/catalog.js";
import { buildRouterGraph } from "../graph/build-graph.js";
import { createSimulatedProvider } from "../llm/create-model-provider.js";
import { NOOP_TRACING } from "../tracing/index.js";
import { ChatMetrics } from "./chat-metrics.js";
import { ChatService, type ChatServiceOptions } from "./chat-service.js";

/** A chat service whose models take `modelMs` to answer, with turns bounded by `turnTimeoutMs`. */
function service(modelMs: number, turnTimeoutMs: number, sessionLock?: ChatServiceOptions["sessionLock"]) {
  const catalog = loadCatalog("agents/shop-support.json");
  const provider = createSimulatedProvider(
    {
      provider: "simulated",
      simTtftMs: modelMs,
      simTokenMs: 0,
      simReplyTokens: 10,
      model: "switchboard-sim",
      timeoutMs: 10_000,
      maxRetries: 0,
      structuredOutput: "json_schema",
    },
    catalog,
  );
  const checkpointer = new MemorySaver();
  const graph = buildRouterGraph({ catalog, provider, checkpointer, clarifyThreshold: 0.6, historyTurns: 10 });
  const metrics = new ChatMetrics(new Registry());
  return new ChatService({ graph, tracing: NOOP_TRACING, metrics, turnTimeoutMs, sessionLock });
}

test("TURN_TIMEOUT_MS: a turn whose model is slower fails with 503 model_timeout, at its timeout, and stores nothing", async () => {
  const chat = service(10_000, 150);
  const started = performance.now();
  const turn = chat.runTurn({ userId: "u", sessionId: "s-slow", message: "Where is my order?", endpoint: "chat" });
  await assert.rejects(turn, { status: 503, code: "model_timeout" });
  assert.ok(
    performance.now() - started < 5_000,
    "the turn ends at its timeout, not when the model would answer (10 s)",
  );
  await assert.rejects(chat.getSession("s-slow", "u"), { code: "session_not_found" });
});

test("TURN_TIMEOUT_MS: a turn that waits longer than that for its session's earlier turn fails with 503 session_busy", async () => {
  // The first turn holds the session while it waits 1.5 s for the cross-instance lock: longer
  // than the 1 s budget, so the queued turn gives up, while the running turn's own budget (which
  // starts once it holds the lock) leaves a loaded machine ample time for a zero-latency turn.
  let first = true;
  const sessionLock = async <T>(_key: string, fn: () => Promise<T>): Promise<T> => {
    if (first) {
      first = false;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    }
    return fn();
  };
  const chat = service(0, 1_000, sessionLock);
  const running = chat.runTurn({ userId: "u", sessionId: "s-busy", message: "Where is my order?", endpoint: "chat" });
  const queued = chat.runTurn({ userId: "u", sessionId: "s-busy", message: "and my refund?", endpoint: "chat" });
  await assert.rejects(queued, { status: 503, code: "session_busy" });
  const answered = await running;
  assert.equal((await chat.getSession(answered.session_id, "u")).turns.length, 1);
});
