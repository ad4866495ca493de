import {
  Command,
  END,
  START,
  StateGraph,
  type BaseCheckpointSaver,
  type LangGraphRunnableConfig,
} from "@langchain/langgraph";
import type { AgentCatalog } from "../agents/catalog.js";
import type { ModelProvider } from "../llm/model-provider.js";
import { createAnswerNode } from "./answer-node.js";
import { agentNodeName, CLARIFY_NODE, ROUTE_NODE } from "./node-names.js";
import { createRouteNode } from "./route-node.js";
import { modelParameters } from "../llm/model-parameters.js";
import { MemorySessionLedger } from "../sessions/memory-session-ledger.js";
import { SessionSaver } from "../sessions/session-saver.js";
import { RouterState, type RouteDecision, type RouterStateType } from "./state.js";
import { catalogRouterPrompts, type RouterPrompts } from "../prompts/router-prompts.js";
import { useUntracedRunContexts } from "./untraced-run-context.js";
import { usePooledRandomValues } from "./pooled-random-values.js";

export interface RouterGraphOptions {
  catalog: AgentCatalog;
  provider: ModelProvider;
  /** The session store's SessionSaver; a bare LangGraph saver is wrapped in one. */
  checkpointer: BaseCheckpointSaver;
  clarifyThreshold: number;
  /** Earlier turns the model sees, and the window a session's checkpoint keeps (HISTORY_TURNS). */
  historyTurns: number;
  /** Where the nodes' prompts come from (Langfuse prompt management); the catalog's when absent. */
  prompts?: RouterPrompts;
}

/**
 * START -> route_node -> (clarify_node | agent_<key>) -> END. One graph for all sessions; the
 * checkpointer keeps each session's state under its thread id.
 */
export function buildRouterGraph(options: RouterGraphOptions) {
  // LangGraph would build a LangSmith RunTree for every node and channel write of every turn,
  // and draw each checkpoint id's random bytes with a native call of its own.
  useUntracedRunContexts();
  usePooledRandomValues();
  const { catalog, provider, historyTurns } = options;
  const prompts = options.prompts ?? catalogRouterPrompts(catalog);
  // Read once: both calls use the provider's chat model settings (the classifier is built from the same options).
  const parameters = modelParameters(provider.chatModel);
  const targets: string[] = [CLARIFY_NODE, ...catalog.agents.map((agent) => agentNodeName(agent.key))];
  const decide = createRouteNode({
    provider,
    catalog,
    clarifyThreshold: options.clarifyThreshold,
    historyTurns,
    prompt: () => prompts.classifier(),
    modelParameters: parameters,
  });
  // The route node names the next node itself (a Command) instead of a conditional edge reading
  // the state back: the same update and the same next node, without the edge's own runnables and
  // its fresh copy of the state on every turn.
  const route_node = async (state: RouterStateType, config: LangGraphRunnableConfig) => {
    const update = await decide(state, config);
    const route = update.route as RouteDecision | null | undefined;
    return new Command({ update, goto: route?.next ?? CLARIFY_NODE });
  };
  const graph = new StateGraph(RouterState).addNode(ROUTE_NODE, route_node, { ends: targets });
  graph.addNode(
    CLARIFY_NODE,
    createAnswerNode({
      provider,
      name: CLARIFY_NODE,
      prompt: () => prompts.clarify(),
      agent: null,
      historyTurns,
      modelParameters: parameters,
    }),
  );
  for (const agent of catalog.agents) {
    const name = agentNodeName(agent.key);
    graph.addNode(
      name,
      createAnswerNode({
        provider,
        name,
        prompt: () => prompts.agent(agent.key),
        agent,
        historyTurns,
        modelParameters: parameters,
      }),
    );
  }
  const g = graph as unknown as StateGraph<typeof RouterState.spec, RouterStateType, any, string>;
  g.addEdge(START, ROUTE_NODE);
  for (const t of targets) g.addEdge(t, END);
  // A bare LangGraph saver (tests) keeps its transcripts in memory beside it.
  const checkpointer =
    options.checkpointer instanceof SessionSaver
      ? options.checkpointer
      : new SessionSaver(new MemorySessionLedger(options.checkpointer));
  // `sessions`: the checkpointer, through which a turn reads its session once (the ownership
  // check) and hands that read to the run, which then starts from it instead of reading again,
  // and commits the finished turn.
  return Object.assign(g.compile({ checkpointer }), { sessions: checkpointer });
}

export type RouterGraph = ReturnType<typeof buildRouterGraph>;
