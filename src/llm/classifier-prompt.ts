import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { z } from "zod";
import type { AgentCatalog } from "../agents/catalog.js";
import type { Classification, ClassifierInput } from "./model-provider.js";
import { compilePrompt } from "./prompt-template.js";
import { containsCjk } from "./token-estimate.js";

/** The fixed line of the classifier's system message naming the current intent; the simulated classifier reads it back. */
export const CURRENT_INTENT_PREFIX = "Current intent: ";
const NO_INTENT = "none";

/**
 * What the classifier model must answer. Deliberately loose (no enum, no bounds): the schema is
 * sent to providers whose strict modes reject `minimum`/`maximum`, and `parseClassification`
 * does the catalog-aware checking afterwards.
 */
export const classificationSchema = z
  .object({
    intent: z.string().nullable().describe("One of the listed intents, or null when none fits"),
    confidence: z.number().describe("How sure you are, from 0 to 1"),
  })
  .describe("Intent of the customer's latest message");

/** Up to this many keywords per language are shown to the model as examples. */
const EXAMPLES_PER_LANGUAGE = 4;

function keywordExamples(keywords: readonly string[]): string {
  const latin = keywords.filter((k) => !containsCjk(k)).slice(0, EXAMPLES_PER_LANGUAGE);
  const cjk = keywords.filter((k) => containsCjk(k)).slice(0, EXAMPLES_PER_LANGUAGE);
  return [...latin, ...cjk].map((k) => `"${k}"`).join(", ");
}

/**
 * The classifier's instructions as a Langfuse text prompt (`<prefix>-classifier`): `{{intents}}`
 * is the catalog's intents, one per line, and `{{current_intent}}` the session's (or `none`). A
 * version edited in Langfuse is compiled with the same variables.
 */
export const CLASSIFIER_TEMPLATE = [
  "You classify the intent of a customer's latest message for a support desk with several agents.",
  "Choose exactly one of these intents, or null when none fits:",
  "{{intents}}",
  "",
  `${CURRENT_INTENT_PREFIX}{{current_intent}}`,
  "The conversation stays with the current intent unless the customer clearly switches topic: a short answer, a detail or a follow-up keeps the current intent.",
  "",
  'Answer with JSON only, no prose: {"intent": <one of the intents above, or null>, "confidence": <number from 0 to 1>}.',
  "Use a confidence below 0.5 when the message is unclear or fits several intents equally.",
].join("\n");

/** The `{{intents}}` variable: each intent with its description and example keywords. */
function intentList(catalog: AgentCatalog): string {
  return catalog.agents
    .map((a) => `- ${a.intent}: ${a.description} Examples: ${keywordExamples(a.keywords)}.`)
    .join("\n");
}

/**
 * The system message for each catalog, template and current intent, compiled once: it only
 * changes with them, and the classifier sends it on every turn. Like the agents' own system
 * messages, one message object is shared by every turn that sends it. Only the latest template
 * (a prompt version from Langfuse replaces the one before) and the catalog's intents are kept.
 */
interface CompiledTemplate {
  template: string;
  intents: string;
  byIntent: Map<string | null, SystemMessage>;
}
const compiled = new WeakMap<AgentCatalog, CompiledTemplate>();

function systemMessage(catalog: AgentCatalog, template: string, currentIntent: string | null): SystemMessage {
  let entry = compiled.get(catalog);
  if (entry?.template !== template) {
    entry = { template, intents: entry?.intents ?? intentList(catalog), byIntent: new Map() };
    compiled.set(catalog, entry);
  }
  let message = entry.byIntent.get(currentIntent);
  if (!message) {
    message = new SystemMessage(
      compilePrompt(template, { intents: entry.intents, current_intent: currentIntent ?? NO_INTENT }),
    );
    if (currentIntent === null || catalog.agents.some((a) => a.intent === currentIntent))
      entry.byIntent.set(currentIntent, message);
  }
  return message;
}

/**
 * System instructions (the catalog's template, or the version `template` names), then the recent
 * history, then the latest message as a HumanMessage.
 */
export function buildClassifierMessages(
  catalog: AgentCatalog,
  input: ClassifierInput,
  template: string = CLASSIFIER_TEMPLATE,
): BaseMessage[] {
  return [systemMessage(catalog, template, input.currentIntent), ...input.history, new HumanMessage(input.message)];
}

/** Reads the `Current intent:` line back from a classifier system message; null when absent or "none". */
export function readCurrentIntent(systemMessageText: string): string | null {
  const line = systemMessageText.split("\n").find((l) => l.startsWith(CURRENT_INTENT_PREFIX));
  const value = line?.slice(CURRENT_INTENT_PREFIX.length).trim();
  return !value || value === NO_INTENT ? null : value;
}

const FENCED_JSON = /```(?:json)?\s*([\s\S]*?)```/i;
const FIRST_OBJECT = /\{[\s\S]*\}/;

function toObject(raw: unknown): unknown {
  if (typeof raw !== "string") return raw;
  const text = (FENCED_JSON.exec(raw)?.[1] ?? raw).trim();
  const candidate = text.startsWith("{") ? text : (FIRST_OBJECT.exec(text)?.[0] ?? text);
  try {
    return JSON.parse(candidate);
  } catch {
    return undefined;
  }
}

const looseClassification = z.object({
  intent: z.unknown().optional(),
  confidence: z.union([z.number(), z.string()]),
});

/**
 * Reads a model's answer as a Classification, tolerating what real models do: a JSON string,
 * maybe inside ```json fences or surrounded by prose; confidence as a string or out of range
 * (clamped to 0..1); an intent the catalog does not know, "none" or "" (-> null).
 * Returns null when there is no readable confidence.
 */
export function parseClassification(raw: unknown, catalog: AgentCatalog): Classification | null {
  const result = looseClassification.safeParse(toObject(raw));
  if (!result.success) return null;
  const confidence = Number(result.data.confidence);
  if (!Number.isFinite(confidence)) return null;
  const intentText = typeof result.data.intent === "string" ? result.data.intent.trim() : null;
  const known = catalog.agents.find(
    (a) => a.intent === intentText || a.intent.toLowerCase() === intentText?.toLowerCase(),
  );
  return { intent: known ? known.intent : null, confidence: Math.min(1, Math.max(0, confidence)) };
}
