import type { AgentCatalog } from "../agents/catalog.js";
import type { Classification } from "./model-provider.js";
import { containsCjk } from "./token-estimate.js";

/**
 * The deterministic classifier behind the simulated model: scores each intent by the catalog's
 * keywords and words of its intent name and description, then turns the scores into the
 * confidences a well-behaved LLM classifier would give.
 */

/** Confidences the simulated classifier answers with (the router's clarify threshold should sit between TIE and CLARIFICATION_ANSWER). */
export const SIMULATED_CONFIDENCE = {
  /** One intent matched, no other did. */
  CLEAR: 0.9,
  /** Nothing matched, a current intent exists: the conversation continues. */
  CONTINUATION: 0.75,
  /** Several intents tied and the current one is among them. */
  TIE_WITH_CURRENT: 0.7,
  /** Nothing matched, but the message answers a question and the previous user message matched. */
  CLARIFICATION_ANSWER: 0.65,
  /** Only weak evidence (a description word, no keyword). */
  WEAK: 0.6,
  /** Lower bound of a best-but-contested match; scaled up to CLEAR by its lead over the runner-up. */
  CONTESTED_FLOOR: 0.55,
  /** Several intents tied, none of them current. */
  TIE: 0.45,
  /** Nothing matched and no current intent. */
  NONE: 0.2,
} as const;

const KEYWORD_WEIGHT = 2;
const PHRASE_WEIGHT = 3;
const WORD_WEIGHT = 1;

/** Words too common to tell intents apart, in descriptions. */
const STOPWORDS = new Set(
  "about after also because been being bought does from have here into just like more need only other over some than that their them then there these they this those what when where which while with without would your questions problems conversation needs action methods".split(
    " ",
  ),
);

interface IntentMatcher {
  intent: string;
  /** Tests for catalog keywords, each with the points a hit earns. */
  keywords: { test: (normalized: string) => boolean; weight: number }[];
  /** Stemmed words of the intent name and description, distinctive to this intent. */
  words: Set<string>;
}

function normalize(text: string): string {
  return text.toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Light stemming so "refunds"/"refund" and "charged"/"charge" meet. */
function stem(word: string): string {
  if (word.length > 5 && word.endsWith("ing")) return word.slice(0, -3);
  if (word.length > 4 && (word.endsWith("es") || word.endsWith("ed"))) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith("s")) return word.slice(0, -1);
  return word;
}

function latinWords(normalized: string): string[] {
  return normalized.match(/[\p{L}\p{N}']+/gu)?.filter((w) => !containsCjk(w)) ?? [];
}

function keywordTest(keyword: string): (normalized: string) => boolean {
  const k = normalize(keyword);
  // CJK is written without spaces: a keyword counts wherever it appears.
  if (containsCjk(k)) return (text) => text.includes(k);
  const words = k.split(/\s+/);
  const body = words.map(escapeRegExp).join("\\s+");
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${body}(?:s|es|d|ed|ing)?(?![\\p{L}\\p{N}])`, "u");
  // A match contains the keyword's longest word: looking for it first skips the (unicode) regex
  // for most keywords of most messages.
  const needle = words.reduce((a, b) => (b.length > a.length ? b : a), "");
  return (text) => text.includes(needle) && pattern.test(text);
}

function buildMatchers(catalog: AgentCatalog): IntentMatcher[] {
  const wordsOf = catalog.agents.map((agent) => {
    const keywordStems = new Set(agent.keywords.flatMap((k) => latinWords(normalize(k))).map(stem));
    const source = `${agent.intent.replace(/_/g, " ")} ${agent.description}`;
    return new Set(
      latinWords(normalize(source))
        .filter((w) => w.length >= 4 && !STOPWORDS.has(w))
        .map(stem)
        .filter((w) => !keywordStems.has(w)),
    );
  });
  return catalog.agents.map((agent, i) => {
    const distinctive = [...(wordsOf[i] ?? [])].filter((w) => !wordsOf.some((other, j) => j !== i && other.has(w)));
    return {
      intent: agent.intent,
      keywords: agent.keywords.map((k) => ({
        test: keywordTest(k),
        weight: /\s/.test(k.trim()) ? PHRASE_WEIGHT : KEYWORD_WEIGHT,
      })),
      words: new Set(distinctive),
    };
  });
}

const matcherCache = new WeakMap<AgentCatalog, IntentMatcher[]>();

function matchersFor(catalog: AgentCatalog): IntentMatcher[] {
  let matchers = matcherCache.get(catalog);
  if (!matchers) {
    matchers = buildMatchers(catalog);
    matcherCache.set(catalog, matchers);
  }
  return matchers;
}

export interface IntentScore {
  intent: string;
  score: number;
}

/** Scores of every intent for one message, best first (ties keep catalog order). */
export function scoreIntents(catalog: AgentCatalog, message: string): IntentScore[] {
  const normalized = normalize(message);
  const stems = new Set(latinWords(normalized).map(stem));
  const scores = matchersFor(catalog).map((m) => {
    let score = 0;
    for (const k of m.keywords) if (k.test(normalized)) score += k.weight;
    for (const w of m.words) if (stems.has(w)) score += WORD_WEIGHT;
    return { intent: m.intent, score };
  });
  return scores.sort((a, b) => b.score - a.score);
}

/** Classifies one message on its own; null when nothing in it matches any intent. */
export function classifyMessage(
  catalog: AgentCatalog,
  message: string,
  currentIntent: string | null,
): Classification | null {
  const scores = scoreIntents(catalog, message);
  const [best, second] = scores;
  if (!best || best.score === 0) return null;
  const runnerUp = second?.score ?? 0;
  if (runnerUp === best.score) {
    const tied = scores.filter((s) => s.score === best.score);
    if (currentIntent && tied.some((s) => s.intent === currentIntent))
      return { intent: currentIntent, confidence: SIMULATED_CONFIDENCE.TIE_WITH_CURRENT };
    return { intent: best.intent, confidence: SIMULATED_CONFIDENCE.TIE };
  }
  if (runnerUp === 0)
    return {
      intent: best.intent,
      confidence: best.score >= KEYWORD_WEIGHT ? SIMULATED_CONFIDENCE.CLEAR : SIMULATED_CONFIDENCE.WEAK,
    };
  const lead = (best.score - runnerUp) / best.score;
  const confidence =
    SIMULATED_CONFIDENCE.CONTESTED_FLOOR + (SIMULATED_CONFIDENCE.CLEAR - SIMULATED_CONFIDENCE.CONTESTED_FLOOR) * lead;
  return { intent: best.intent, confidence: Math.round(confidence * 100) / 100 };
}

/** What the simulated classifier sees of a conversation. */
export interface ConversationView {
  /** The latest user message. */
  message: string;
  /** Intent of the agent holding the conversation, if any. */
  currentIntent: string | null;
  /** The user message before the latest one, if any. */
  previousUserMessage?: string;
  /** The last assistant message before the latest user message, if any. */
  lastAssistantMessage?: string;
}

/**
 * The latest message decides when it matches anything (that is how a switch is detected);
 * otherwise the current intent continues; otherwise, when the latest message answers the
 * assistant's question, the previous user message decides; otherwise nothing fits.
 */
export function classifyConversation(catalog: AgentCatalog, view: ConversationView): Classification {
  const own = classifyMessage(catalog, view.message, view.currentIntent);
  if (own) return own;
  if (view.currentIntent && catalog.agents.some((a) => a.intent === view.currentIntent)) {
    return { intent: view.currentIntent, confidence: SIMULATED_CONFIDENCE.CONTINUATION };
  }
  const answersQuestion = /[?？]/.test(view.lastAssistantMessage ?? "");
  if (answersQuestion && view.previousUserMessage) {
    const previous = classifyMessage(catalog, view.previousUserMessage, null);
    if (previous?.intent) return { intent: previous.intent, confidence: SIMULATED_CONFIDENCE.CLARIFICATION_ANSWER };
  }
  return { intent: null, confidence: SIMULATED_CONFIDENCE.NONE };
}
