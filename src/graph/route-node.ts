import type { UsageMetadata } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { ModelProvider } from "../llm/model-provider.js";
import type { AgentCatalog } from "../agents/catalog.js";
import type { ServedPrompt } from "../prompts/prompt-cache.js";
import { recentHistory } from "./history.js";
import { agentNodeName, CLARIFY_NODE } from "./node-names.js";
import type { RouterStateType, RouterUpdate } from "./state.js";
import { langgraphStepOf, turnContextOf } from "./turn-context.js";

/** The classifier's model call, as traces name it whatever the provider. */
const CLASSIFIER_CALL = "classifier";

export interface RouteNodeOptions {
  provider: ModelProvider;
  catalog: AgentCatalog;
  /** Confidence below which the turn goes to the clarify node. */
  clarifyThreshold: number;
  /** Earlier turns the classifier sees. */
  historyTurns: number;
  /** The classifier's instructions, asked for on every turn. */
  prompt: () => ServedPrompt;
  /** The model's configured parameters, reported on the classifier generation. */
  modelParameters: Record<string, unknown>;
}

/**
 * Classifies the turn's message and decides who answers. It writes only `route`: the session's
 * intent and agent change when the answering node succeeds, not before.
 */
export function createRouteNode(options: RouteNodeOptions) {
  const agentByIntent = new Map(options.catalog.agents.map((a) => [a.intent, a]));
  return async function route_node(state: RouterStateType, config: LangGraphRunnableConfig): Promise<RouterUpdate> {
    const turn = turnContextOf(config);
    // A chain: the step between the user's message and whoever answers it (Langfuse's agent graph).
    const node = turn.trace.startNode(
      "route_node",
      {
        messages_count: state.messages.length + 1,
        current_intent: state.current_intent,
        current_agent: state.current_agent,
      },
      undefined,
      { type: "chain", langgraphStep: langgraphStepOf(config) },
    );
    try {
      const { classifier, modelName } = options.provider;
      const input = {
        history: recentHistory(state.messages, options.historyTurns),
        message: state.input,
        currentIntent: state.current_intent,
      };
      const prompt = options.prompt();
      const messages = classifier.messagesFor(input, prompt.text);
      const generation = node.startGeneration(CLASSIFIER_CALL, {
        model: modelName,
        parameters: options.modelParameters,
        input: messages,
        prompt: prompt.link,
      });
      let result;
      try {
        result = await node.run(() =>
          classifier.classify(messages, {
            signal: turn.signal,
            callbacks: node.callbacks,
            tags: ["nostream"],
            runName: CLASSIFIER_CALL,
          }),
        );
      } catch (err) {
        generation.fail(err);
        throw err;
      }
      turn.usage?.add((result.raw as { usage_metadata?: UsageMetadata }).usage_metadata);
      const parsed = result.parsed;
      const agent = parsed?.intent ? agentByIntent.get(parsed.intent) : undefined;
      const confident = parsed !== null && parsed.confidence >= options.clarifyThreshold;
      const route = {
        intent: parsed?.intent ?? null,
        confidence: parsed?.confidence ?? 0,
        next: agent && confident ? agentNodeName(agent.key) : CLARIFY_NODE,
      };
      // Known now, so the classifier generation and every observation after it carry it.
      turn.trace.setRouting(route.intent, agent && confident ? agent.key : null);
      turn.onRoute?.({
        intent: route.intent,
        agent: agent && confident ? agent.key : null,
        clarification: !(agent && confident),
      });
      generation.end(result.raw);
      node.end();
      return { route };
    } catch (err) {
      node.end(err);
      throw err;
    }
  };
}
