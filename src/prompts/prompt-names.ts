import type { AgentCatalog } from "../agents/catalog.js";
import { CLASSIFIER_TEMPLATE } from "../llm/classifier-prompt.js";

/**
 * The names of the service's prompts in Langfuse prompt management, each a text prompt:
 * `<prefix>-classifier` (the router's instructions; variables `{{intents}}` and
 * `{{current_intent}}`), `<prefix>-clarify` (the clarifying question) and `<prefix>-agent-<key>`
 * for each agent of the catalog.
 */
export interface PromptNames {
  classifier: string;
  clarify: string;
  agent(key: string): string;
}

export function promptNames(prefix: string): PromptNames {
  return {
    classifier: `${prefix}-classifier`,
    clarify: `${prefix}-clarify`,
    agent: (key) => `${prefix}-agent-${key}`,
  };
}

/** Every prompt the catalog defines, by name, with its text as the catalog has it (the fallback). */
export function catalogPrompts(catalog: AgentCatalog, names: PromptNames): Map<string, string> {
  return new Map<string, string>([
    [names.classifier, CLASSIFIER_TEMPLATE],
    [names.clarify, catalog.clarifyPrompt],
    ...catalog.agents.map((a) => [names.agent(a.key), a.systemPrompt] as [string, string]),
  ]);
}
