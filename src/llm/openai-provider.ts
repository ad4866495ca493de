import { ChatOpenAI, type ChatOpenAIFields } from "@langchain/openai";
import type { AgentCatalog } from "../agents/catalog.js";
import { classificationSchema } from "./classifier-prompt.js";
import { ClassifierRunnable, type ClassifierModel } from "./classifier-runnable.js";
import type { ModelProvider } from "./model-provider.js";
import { ProviderChatCompletions } from "./provider-chat-completions.js";

/** How the classifier asks an OpenAI-compatible endpoint for structured output (support differs: DeepSeek has no json_schema, Ollama/vLLM vary). */
export type StructuredOutputMethod = "json_schema" | "function_calling" | "json_mode";

const LANGCHAIN_METHOD = {
  json_schema: "jsonSchema",
  function_calling: "functionCalling",
  json_mode: "jsonMode",
} as const satisfies Record<StructuredOutputMethod, string>;

/** Sent when no key is configured: local servers (vLLM, Ollama) ignore it, hosted ones answer 401, and the SDK never falls back to OPENAI_API_KEY from the environment. */
const PLACEHOLDER_API_KEY = "not-configured";

export interface OpenAIProviderOptions {
  /** Endpoint base URL including `/v1` (e.g. http://127.0.0.1:11434/v1); undefined = api.openai.com. */
  baseUrl?: string;
  /** Bearer key; undefined sends a placeholder (fine for local servers). */
  apiKey?: string;
  /** Model name sent to the endpoint and reported to traces. */
  model: string;
  /** Per-request timeout, ms; a timeout becomes ModelUnavailableError. */
  timeoutMs: number;
  /** Retries of failed requests (5xx, 429, timeouts, connection errors) before giving up. */
  maxRetries: number;
  /** Structured-output method of the classifier. */
  structuredOutput: StructuredOutputMethod;
}

/** A ChatOpenAI whose provider failures surface as ModelUnavailableError and whose streamed answers carry usage. */
export function buildChatOpenAI(options: OpenAIProviderOptions, extra: Partial<ChatOpenAIFields> = {}): ChatOpenAI {
  const fields: ChatOpenAIFields = {
    model: options.model,
    apiKey: options.apiKey ?? PLACEHOLDER_API_KEY,
    configuration: options.baseUrl ? { baseURL: options.baseUrl } : {},
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    streamUsage: true,
    ...extra,
  };
  return new ChatOpenAI({ ...fields, completions: new ProviderChatCompletions(fields) });
}

/** The classifier's model call: structured output with raw message kept, tagged `nostream` so its JSON never reaches the reply stream. */
function structuredClassifier(options: OpenAIProviderOptions): ClassifierModel {
  const model = buildChatOpenAI(options, { tags: ["nostream"] });
  const structured = model
    .withStructuredOutput(classificationSchema, {
      name: "classification",
      method: LANGCHAIN_METHOD[options.structuredOutput],
      includeRaw: true,
    })
    .withConfig({ runName: "classifier", tags: ["nostream"] });
  // Its output is { raw, parsed } (includeRaw); only the input type is wider than ClassifierModel's.
  return structured as ClassifierModel;
}

/** Models of an OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, vLLM, Ollama). */
export function createOpenAIProvider(options: OpenAIProviderOptions, catalog: AgentCatalog): ModelProvider {
  return {
    chatModel: buildChatOpenAI(options),
    classifier: new ClassifierRunnable(catalog, structuredClassifier(options)),
    modelName: options.model,
  };
}
