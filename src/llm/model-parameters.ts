import type { BaseChatModel } from "@langchain/core/language_models/chat_models";

/** The parameters Langfuse shows for a generation, in OpenAI's names (as the official LangChain handler picks them). */
const REPORTED = [
  "temperature",
  "max_tokens",
  "max_completion_tokens",
  "top_p",
  "frequency_penalty",
  "presence_penalty",
  "stop",
  "seed",
] as const;

/**
 * A model's configured parameters, read once from its invocation parameters. A model that
 * reports none (the simulator) gives an empty object; one whose invocationParams throws, too.
 */
export function modelParameters(model: BaseChatModel): Record<string, unknown> {
  let invocation: Record<string, unknown>;
  try {
    invocation = (model.invocationParams() ?? {}) as Record<string, unknown>;
  } catch {
    return {};
  }
  const out: Record<string, unknown> = {};
  for (const key of REPORTED) {
    const value = invocation[key];
    if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)) out[key] = value;
  }
  return out;
}
