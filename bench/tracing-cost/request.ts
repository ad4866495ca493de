// One chat turn as the graph drives the Tracing interface: root, route_node + its model call,
// agent node + its model call, end = 5 observations. The model calls go through LangChain's
// real CallbackManager exactly as BaseChatModel._generateUncached drives it (configure ->
// handleChatModelStart -> handleLLMEnd on the run manager), with no model behind them, so the
// baseline (`none`) contains no model work to drown the tracing cost in.
import { CallbackManager, type Callbacks } from "@langchain/core/callbacks/manager";
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import type { Serialized } from "@langchain/core/load/serializable";
import type { ChatGeneration } from "@langchain/core/outputs";
import type { NodeTrace, Tracing } from "../../src/tracing/index.js";
import type { Payload } from "./payload.js";

const MODEL = "gpt-4o-mini";
/** What ChatOpenAI.toJSON() looks like, built once (the real call builds it per call in every variant alike). */
const SERIALIZED_LLM = {
  lc: 1,
  type: "constructor",
  id: ["langchain", "chat_models", "openai", "ChatOpenAI"],
  kwargs: { model: MODEL },
} as unknown as Serialized;
/** getLsParamsWithDefaults(): the inheritable metadata BaseChatModel hands to configure(). */
const LS_METADATA = { ls_provider: "openai", ls_model_name: MODEL, ls_model_type: "chat", ls_temperature: 0.2 };
const PARAMETERS = { temperature: 0.2 };
const EXTRA = { options: {}, invocation_params: { model: MODEL, temperature: 0.2, stream: false }, batch_size: 1 };
/** Each payload's messages before the user's, built once (the same LangChain objects every call, in every variant). */
const CONTEXTS = new WeakMap<Payload, BaseMessage[]>();
function contextOf(payload: Payload): BaseMessage[] {
  let messages = CONTEXTS.get(payload);
  if (!messages) {
    messages = payload.context.map((m) =>
      m.role === "system"
        ? new SystemMessage(m.content)
        : m.role === "user"
          ? new HumanMessage(m.content)
          : new AIMessage(m.content),
    );
    CONTEXTS.set(payload, messages);
  }
  return messages;
}

/** Called between the model call's start and end: nothing (sequential runs) or a yield to the event loop (concurrent runs). */
export type ModelWait = (() => Promise<void>) | null;

/**
 * One model call as the graph makes it: recorded at the call site (startGeneration, our
 * pipeline) and seen through LangChain's callback machinery (the SDK's CallbackHandler; for our
 * pipeline `callbacks` is undefined and that machinery does nothing).
 */
async function modelCall(
  node: NodeTrace | null,
  payload: Payload,
  i: number,
  runName: string,
  wait: ModelWait,
): Promise<string> {
  const callbacks: Callbacks | undefined = node?.callbacks;
  const input = payload.inputs[i % payload.inputs.length]!;
  const output = payload.outputs[i % payload.outputs.length]!;
  const messages = [...contextOf(payload), new HumanMessage(input)];
  const generation = node?.startGeneration(runName, { model: MODEL, parameters: PARAMETERS, input: messages });
  const manager = CallbackManager.configure(callbacks, undefined, undefined, undefined, LS_METADATA, undefined, {
    verbose: false,
  });
  const runManagers = await manager?.handleChatModelStart(
    SERIALIZED_LLM,
    [messages],
    undefined,
    undefined,
    EXTRA,
    undefined,
    undefined,
    runName,
  );
  if (wait) await wait();
  const inputTokens = Math.ceil((input.length + payload.contextChars) / 4);
  const outputTokens = Math.ceil(output.length / 4);
  const message = new AIMessage({
    content: output,
    usage_metadata: {
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      total_tokens: inputTokens + outputTokens,
    },
    response_metadata: { model_name: MODEL },
  });
  generation?.end(message);
  const chatGeneration: ChatGeneration = { text: output, message };
  await runManagers?.[0]?.handleLLMEnd({
    generations: [[chatGeneration]],
    llmOutput: {
      tokenUsage: {
        promptTokens: inputTokens,
        completionTokens: outputTokens,
        totalTokens: inputTokens + outputTokens,
      },
    },
  });
  return output;
}

function inNode(
  node: NodeTrace | null,
  payload: Payload,
  i: number,
  runName: string,
  wait: ModelWait,
): Promise<string> {
  return node ? node.run(() => modelCall(node, payload, i, runName, wait)) : modelCall(null, payload, i, runName, wait);
}

/** One traced request. `tracing` null = no tracing code at all (the `none` baseline). */
export async function runRequest(tracing: Tracing | null, payload: Payload, i: number, wait: ModelWait): Promise<void> {
  const trace = tracing
    ? tracing.startTurn({
        userId: `user-${i % 97}`,
        sessionId: `session-${i}`,
        message: payload.inputs[i % payload.inputs.length]!,
        endpoint: "chat",
      })
    : null;

  const route = trace
    ? trace.startNode("route_node", { messages_count: 1, current_intent: null, current_agent: null })
    : null;
  await inNode(route, payload, i, "classifier", wait);
  trace?.setRouting("billing", "billing");
  route?.end();

  const agent = trace
    ? trace.startNode("agent_billing", { agent_key: "billing", messages_count: 2 }, { intent_type: "billing" })
    : null;
  const reply = await inNode(agent, payload, i, "agent_reply", wait);
  agent?.end();

  trace?.end({ output: reply, intent: "billing", agent: "billing" });
}

/** Yields to the event loop once (the concurrent runs' stand-in for the model's network wait). */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
