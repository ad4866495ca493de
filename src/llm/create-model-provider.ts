import type { AgentCatalog } from "../agents/catalog.js";
import { ClassifierRunnable } from "./classifier-runnable.js";
import type { ModelProvider } from "./model-provider.js";
import type { StructuredOutputMethod } from "./openai-provider.js";
import { SimulatedChatModel } from "./simulated-chat-model.js";

export interface ModelProviderOptions {
  /** "simulated": deterministic in-process models (no network); "openai": an OpenAI-compatible endpoint. */
  provider: "simulated" | "openai";
  /** Simulated: delay before the first token, ms (0 = no timers). */
  simTtftMs: number;
  /** Simulated: delay per further token, ms (0 = no timers). */
  simTokenMs: number;
  /** Simulated: approximate reply length, tokens. */
  simReplyTokens: number;
  /** OpenAI: endpoint base URL including /v1; undefined = api.openai.com. */
  baseUrl?: string;
  /** OpenAI: API key; undefined sends a placeholder (local servers need none). */
  apiKey?: string;
  /** Model name: sent to the endpoint (openai) or reported in responses and traces (simulated). */
  model: string;
  /** OpenAI: per-request timeout, ms. */
  timeoutMs: number;
  /** OpenAI: retries of failed requests. */
  maxRetries: number;
  /** OpenAI: how the classifier asks for structured output. */
  structuredOutput: StructuredOutputMethod;
}

/** The simulated models (no network, nothing to load). */
export function createSimulatedProvider(options: ModelProviderOptions, catalog: AgentCatalog): ModelProvider {
  const shared = {
    catalog,
    ttftMs: options.simTtftMs,
    tokenMs: options.simTokenMs,
    replyTokens: options.simReplyTokens,
    modelName: options.model,
  };
  const classifierModel = new SimulatedChatModel({ ...shared, role: "classifier" });
  // A binding, not a sequence: the LLM run is the only run the classifier adds to a trace.
  const classifierCall = classifierModel.withConfig({ runName: "classifier", tags: ["nostream"] });
  return {
    chatModel: new SimulatedChatModel({ ...shared, role: "chat" }),
    classifier: new ClassifierRunnable(catalog, classifierCall),
    modelName: options.model,
  };
}

/**
 * The configured models. The OpenAI-compatible provider (the openai SDK and @langchain/openai,
 * about 13 MB of heap and a noticeable share of start-up) is imported only when it is the one
 * configured: a simulated service never loads it.
 */
export async function createModelProvider(
  options: ModelProviderOptions,
  catalog: AgentCatalog,
): Promise<ModelProvider> {
  if (options.provider !== "openai") return createSimulatedProvider(options, catalog);
  const { createOpenAIProvider } = await import("./openai-provider.js");
  return createOpenAIProvider(options, catalog);
}
