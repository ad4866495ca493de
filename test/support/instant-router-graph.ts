// The router graph as the service builds it on its defaults (clarify under 0.6, ten turns of
// history), answered by the instant model: for tests that drive the graph or a ChatService
// themselves and care about what happens around the graph, not about its settings.
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { loadCatalog, type AgentCatalog } from "../../src/agents/catalog.js";
import { buildRouterGraph } from "../../src/graph/build-graph.js";
import { instantModelProvider } from "./instant-model.js";

export interface InstantRouterGraphOptions {
  /** The agents to route to; the shop-support catalog the service ships with when absent. */
  catalog?: AgentCatalog;
  /** Where sessions are kept; a fresh in-memory saver when absent. */
  checkpointer?: BaseCheckpointSaver;
}

export function instantRouterGraph(options: InstantRouterGraphOptions = {}): ReturnType<typeof buildRouterGraph> {
  const catalog = options.catalog ?? loadCatalog("agents/shop-support.json");
  return buildRouterGraph({
    catalog,
    provider: instantModelProvider(catalog),
    checkpointer: options.checkpointer ?? new MemorySaver(),
    clarifyThreshold: 0.6,
    historyTurns: 10,
  });
}
