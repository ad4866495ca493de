// A finished turn leaves nothing of itself reachable through its abort signal. LangGraph's
// stream() adds an abort listener to the signal a run is given and never removes it; Node pins a
// composite signal (AbortSignal.any) that has one for the life of the process, so a turn whose
// signals were combined that way leaked ~3 KB forever (combined-signal.ts). Driven through the
// real graph, so a LangGraph or Node change that brings it back fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { NOOP_TRACING } from "../tracing/index.js";
import { instantRouterGraph } from "../../test/support/instant-router-graph.js";
import { stillReachable } from "../../test/support/reachability.js";
import { ChatMetrics } from "./chat-metrics.js";
import { ChatService } from "./chat-service.js";

test("a finished turn's run signal is collected, though LangGraph leaves a listener on it", async () => {
  const graph = instantRouterGraph();
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
  assert.equal(await stillReachable(signals), 0, "run signals still reachable");
});
