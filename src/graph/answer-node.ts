import { AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { ModelProvider } from "../llm/model-provider.js";
import type { ServedPrompt } from "../prompts/prompt-cache.js";
import { callChatModel, type ModelCall } from "./call-model.js";
import { recentHistory, windowAfterTurn } from "./history.js";
import type { RouterStateType, RouterUpdate } from "./state.js";
import { langgraphStepOf, turnContextOf } from "./turn-context.js";

export interface AnswerNodeOptions {
  provider: ModelProvider;
  /** Graph node name, also the span name. */
  name: string;
  /** The node's instructions, asked for on every call (a new Langfuse version reaches the next turn). */
  prompt: () => ServedPrompt;
  /** The catalog agent answering, or null for the clarify node. */
  agent: { key: string; intent: string } | null;
  historyTurns: number;
  /** The model's configured parameters, reported on the generation. */
  modelParameters: Record<string, unknown>;
}

/**
 * The node that ends a turn: an agent answering in its voice, or the clarify node asking one
 * question. It writes the whole turn to the session's state in a single update: the new window
 * of recent messages, the turn's record, the current intent and agent.
 */
export function createAnswerNode(options: AnswerNodeOptions) {
  const { agent } = options;
  const callName = agent ? "agent_reply" : "clarify_question";
  // What each served prompt becomes, built when the version changes, shared by every turn until then.
  let served: ServedPrompt | undefined;
  let system: SystemMessage;
  let call: ModelCall;
  const instructions = (): void => {
    const current = options.prompt();
    if (current === served) return;
    served = current;
    system = new SystemMessage(current.text);
    call = {
      name: callName,
      model: options.provider.modelName,
      parameters: options.modelParameters,
      prompt: current.link,
    };
  };
  const answer = async (state: RouterStateType, config: LangGraphRunnableConfig): Promise<RouterUpdate> => {
    const turn = turnContextOf(config);
    const langgraphStep = langgraphStepOf(config);
    // Agents are Langfuse `agent` observations; the clarifier a `chain` back to the user.
    const node = agent
      ? turn.trace.startNode(
          options.name,
          { agent_key: agent.key, messages_count: state.messages.length + 1 },
          { intent_type: agent.intent },
          { type: "agent", langgraphStep },
        )
      : turn.trace.startNode(
          options.name,
          { messages_count: state.messages.length + 1 },
          { confidence: state.route?.confidence ?? 0 },
          { type: "chain", langgraphStep },
        );
    let reply: string;
    try {
      instructions();
      const human = new HumanMessage(state.input);
      const messages = [system, ...recentHistory(state.messages, options.historyTurns), human];
      reply = await node.run(() => callChatModel(options.provider.chatModel, messages, turn, node, call));
      node.end();
      return {
        messages: windowAfterTurn(state.messages, human, new AIMessage(reply), options.historyTurns),
        turn: {
          user: state.input,
          reply,
          intent: agent ? agent.intent : state.current_intent,
          agent: agent ? agent.key : null,
          clarification: agent === null,
          at: new Date().toISOString(),
        },
        current_intent: agent ? agent.intent : state.current_intent,
        current_agent: agent ? agent.key : state.current_agent,
        route: null,
      };
    } catch (err) {
      node.end(err);
      throw err;
    }
  };
  // LangGraph names runs after the function; keep the node name visible in stack traces too.
  Object.defineProperty(answer, "name", { value: options.name });
  return answer;
}
