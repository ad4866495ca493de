// A finished turn leaves nothing of itself reachable through its abort signal. LangGraph's
// stream() adds an abort listener to the signal a run is given and never removes it; Node pins a
// composite signal (AbortSignal.any) that has one for the life of the process, so a turn whose
// signals were combined that way leaked ~3 KB forever (combined-signal.ts). Driven through the
// real graph, so a LangGraph or Node change that brings it back fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { MemorySaver } from "@langchain/langgraph";
import { Registry } from "prom-client";
import { loadCatalog } from "../agents/catalog.js";
import { buildRouterGraph } from "../graph/build-graph.js";
import { createSimulatedProvider } from "../llm/create-model-provider.js";
import { NOOP_TRACING } from "../tracing/index.js";
import { ChatMetrics } from "./chat-metrics.js";
import { ChatService } from "./chat-service.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

test("a finished turn's run signal is collected, though LangGraph leaves a listener on it", async () => {
  const catalog = loadCatalog("agents/shop-support.json");
  const provider = createSimulatedProvider(
    {
      provider: "simulated",
      simTtftMs: 0,
      simTokenMs: 0,
      simReplyTokens: 5,
      model: "switchboard-sim",
      timeoutMs: 10_000,
      maxRetries: 0,
      structuredOutput: "json_schema",
    },
    catalog,
  );
  const graph = buildRouterGraph({
    catalog,
    provider,
    checkpointer: new MemorySaver(),
    clarifyThreshold: 0.6,
    historyTurns: 10,
  });
  const signals: WeakRef<AbortSignal>[] = [];
  const invoke = graph.invoke.bind(graph);
  graph.invoke = ((input, config) => {
    if (config?.signal) signals.push(new WeakRef(config.signal));
    return invoke(input, config);
  }) as typeof graph.invoke;
  const chat = new ChatService({
    graph,
    tracing: NOOP_TRACING,
    metrics: new ChatMetrics(new Registry()),
    turnTimeoutMs: 30_000,
  });
  const turns = 20;
  for (let i = 0; i < turns; i++) {
    // As the HTTP routes call it: the client's connection signal is one of the turn's sources.
    const client = new AbortController();
    await chat.runTurn({
      userId: "u",
      sessionId: `s-${i % 4}`,
      message: "Where is my order?",
      endpoint: "chat",
      clientSignal: client.signal,
    });
  }
  assert.equal(signals.length, turns, "every turn ran the graph with a signal");
  for (let i = 0; i < 10 && signals.some((s) => s.deref() !== undefined); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
  }
  assert.equal(signals.filter((s) => s.deref() !== undefined).length, 0, "run signals still reachable");
});
