import type { AgentCatalog } from "../agents/catalog.js";
import { CLASSIFIER_TEMPLATE } from "../llm/classifier-prompt.js";
import type { PromptCache, ServedPrompt } from "./prompt-cache.js";
import type { PromptNames } from "./prompt-names.js";

/**
 * The prompts the router's nodes use, asked for at the call that uses them, so a version read
 * from Langfuse in the background reaches the next call. Each answer is a stable object until
 * the version changes: nodes keep what they build from it (a SystemMessage) by its identity.
 */
export interface RouterPrompts {
  /** The classifier's template (variables `{{intents}}`, `{{current_intent}}`). */
  classifier(): ServedPrompt;
  clarify(): ServedPrompt;
  agent(key: string): ServedPrompt;
}

/** The catalog's own prompts, linked to nothing: prompt management off, and tests of the graph alone. */
export function catalogRouterPrompts(catalog: AgentCatalog): RouterPrompts {
  const classifier: ServedPrompt = { text: CLASSIFIER_TEMPLATE, link: undefined };
  const clarify: ServedPrompt = { text: catalog.clarifyPrompt, link: undefined };
  const agents = new Map(catalog.agents.map((a) => [a.key, { text: a.systemPrompt, link: undefined }]));
  return {
    classifier: () => classifier,
    clarify: () => clarify,
    agent: (key) => {
      const served = agents.get(key);
      if (!served) throw new Error(`no agent ${key} in the catalog`);
      return served;
    },
  };
}

/** The prompts from the cache (Langfuse's version when it has one, else the catalog's). */
export function cachedRouterPrompts(cache: PromptCache, names: PromptNames, catalog: AgentCatalog): RouterPrompts {
  const classifier = names.classifier;
  const clarify = names.clarify;
  // Names built once: a turn asks by agent key.
  const agentNames = new Map(catalog.agents.map((a) => [a.key, names.agent(a.key)]));
  return {
    classifier: () => cache.get(classifier),
    clarify: () => cache.get(clarify),
    agent: (key) => cache.get(agentNames.get(key) ?? names.agent(key)),
  };
}
