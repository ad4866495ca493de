import { END, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph";
import type { AgentCatalog } from "../agents/catalog.js";
import type { ModelProvider } from "../llm/model-provider.js";
import { createAnswerNode } from "./answer-node.js";
import { agentNodeName, CLARIFY_NODE, ROUTE_NODE } from "./node-names.js";
import { createRouteNode } from "./route-node.js";
import { modelParameters } from "../llm/model-parameters.js";
import { RouterState, type RouterStateType } from "./state.js";

export interface RouterGraphOptions {
  catalog: AgentCatalog;
  provider: ModelProvider;
  checkpointer: BaseCheckpointSaver;
  clarifyThreshold: number;
  historyTurns: number;
}

/**
 * START -> route_node -> (clarify_node | agent_<key>) -> END. One graph for all sessions; the
 * checkpointer keeps each session's state under its thread id.
 */
export function buildRouterGraph(options: RouterGraphOptions) {
  const { catalog, provider, historyTurns } = options;
  // Read once: both calls use the provider's chat model settings (the classifier is built from the same options).
  const parameters = modelParameters(provider.chatModel);
  const graph = new StateGraph(RouterState).addNode(
    ROUTE_NODE,
    createRouteNode({ provider, catalog, clarifyThreshold: options.clarifyThreshold, historyTurns, modelParameters: parameters }),
  );
  const targets: string[] = [CLARIFY_NODE];
  graph.addNode(CLARIFY_NODE, createAnswerNode({ provider, name: CLARIFY_NODE, systemPrompt: catalog.clarifyPrompt, agent: null, historyTurns, modelParameters: parameters }));
  for (const agent of catalog.agents) {
    const name = agentNodeName(agent.key);
    targets.push(name);
    graph.addNode(name, createAnswerNode({ provider, name, systemPrompt: agent.systemPrompt, agent, historyTurns, modelParameters: parameters }));
  }
  const g = graph as unknown as StateGraph<typeof RouterState.spec, RouterStateType, any, string>;
  g.addEdge(START, ROUTE_NODE);
  g.addConditionalEdges(ROUTE_NODE, (state: RouterStateType) => state.route?.next ?? CLARIFY_NODE, targets);
  for (const t of targets) g.addEdge(t, END);
  return g.compile({ checkpointer: options.checkpointer });
}

export type RouterGraph = ReturnType<typeof buildRouterGraph>;
