import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { mergeUsageMetadata, type BaseMessage, type UsageMetadata } from "@langchain/core/messages";
import type { ModelCallOptions } from "../llm/model-options.js";
import type { NodeTrace } from "../tracing/index.js";
import type { TurnContext } from "./turn-context.js";

/** What a model call is for and what it runs with, as traces name it. */
export interface ModelCall {
  /** The generation's name: what the call is for (agent_reply, clarify_question). */
  name: string;
  model: string;
  parameters: Record<string, unknown>;
  /** The Langfuse prompt version the call's instructions came from, linked on the generation. */
  prompt?: { name: string; version: number } | undefined;
}

/**
 * One answering model call. Streamed turns stream the model and forward each token; plain
 * turns use a single invoke. The generation is recorded here, where the messages, the reply,
 * its usage and the first token are all at hand, instead of through LangChain's callback
 * machinery; `node.callbacks` is only set for pipelines that need it (the official SDK's).
 */
export async function callChatModel(
  model: BaseChatModel,
  messages: BaseMessage[],
  turn: TurnContext,
  node: NodeTrace,
  call: ModelCall,
): Promise<string> {
  const params = turn.modelOptions?.params;
  const generation = node.startGeneration(call.name, {
    model: call.model,
    parameters: params ? { ...call.parameters, ...openAiNames(params) } : call.parameters,
    input: messages,
    prompt: call.prompt,
  });
  const options = { signal: turn.signal, callbacks: node.callbacks, runName: call.name, ...params };
  try {
    if (!turn.onToken) {
      const message = await model.invoke(messages, options);
      turn.usage?.add(message.usage_metadata);
      turn.modelOptions?.onFinish?.(message.response_metadata["finish_reason"]);
      generation.end(message);
      return message.text;
    }
    let reply = "";
    let usage: UsageMetadata | undefined;
    let responseMetadata: Record<string, unknown> | undefined;
    for await (const chunk of await model.stream(messages, options)) {
      // Streaming models report usage on one chunk (usually the last); some split it.
      if (chunk.usage_metadata) {
        turn.usage?.add(chunk.usage_metadata);
        usage = usage ? mergeUsageMetadata(usage, chunk.usage_metadata) : chunk.usage_metadata;
      }
      if (chunk.response_metadata?.["model_name"]) responseMetadata = chunk.response_metadata;
      turn.modelOptions?.onFinish?.(chunk.response_metadata?.["finish_reason"]);
      const text = chunk.text;
      if (text) {
        if (!reply) generation.firstToken();
        reply += text;
        turn.onToken(text);
      }
    }
    generation.end({ content: reply, usage_metadata: usage, response_metadata: responseMetadata });
    return reply;
  } catch (err) {
    generation.fail(err);
    throw err;
  }
}

/** The per-turn parameters as the generation reports them (OpenAI's names, as Langfuse shows model parameters). */
function openAiNames(params: ModelCallOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (params.maxTokens !== undefined) out["max_tokens"] = params.maxTokens;
  if (params.temperature !== undefined) out["temperature"] = params.temperature;
  if (params.topP !== undefined) out["top_p"] = params.topP;
  if (params.stop !== undefined) out["stop"] = params.stop;
  if (params.presencePenalty !== undefined) out["presence_penalty"] = params.presencePenalty;
  if (params.frequencyPenalty !== undefined) out["frequency_penalty"] = params.frequencyPenalty;
  if (params.seed !== undefined) out["seed"] = params.seed;
  return out;
}
