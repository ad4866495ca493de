// The simulated model at 0 ms, for tests that build the graph or the chat service themselves:
// answers at once, short replies, no retries, so a test's turns cost only our code.
import type { AgentCatalog } from "../../src/agents/catalog.js";
import { createSimulatedProvider, type ModelProviderOptions } from "../../src/llm/create-model-provider.js";
import type { ModelProvider } from "../../src/llm/model-provider.js";

const INSTANT_MODEL_OPTIONS: ModelProviderOptions = {
  provider: "simulated",
  simTtftMs: 0,
  simTokenMs: 0,
  simReplyTokens: 20,
  model: "switchboard-sim",
  timeoutMs: 1000,
  maxRetries: 0,
  structuredOutput: "json_schema",
};

export function instantModelProvider(catalog: AgentCatalog): ModelProvider {
  return createSimulatedProvider(INSTANT_MODEL_OPTIONS, catalog);
}
