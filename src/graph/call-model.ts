import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { NodeTrace } from "../tracing/turn-trace.js";
import type { TurnContext } from "./turn-context.js";

/**
 * One answering model call. Streamed turns stream the model and forward each token; plain
 * turns use a single invoke. Either way the call carries the node's tracing callbacks and the
 * turn's abort signal, and nothing else: no graph callbacks, so traces show the generation
 * directly under its node.
 */
export async function callChatModel(model: BaseChatModel, messages: BaseMessage[], turn: TurnContext, node: NodeTrace, runName: string): Promise<string> {
  const options = { signal: turn.signal, callbacks: node.callbacks, runName, ...turn.modelOptions?.params };
  if (!turn.onToken) {
    const message = await model.invoke(messages, options);
    turn.usage?.add(message.usage_metadata);
    turn.modelOptions?.onFinish?.(message.response_metadata["finish_reason"]);
    return message.text;
  }
  let reply = "";
  for await (const chunk of await model.stream(messages, options)) {
    // Streaming models report usage on one chunk (usually the last).
    turn.usage?.add(chunk.usage_metadata);
    turn.modelOptions?.onFinish?.(chunk.response_metadata["finish_reason"]);
    const text = chunk.text;
    if (text) {
      reply += text;
      turn.onToken(text);
    }
  }
  return reply;
}
