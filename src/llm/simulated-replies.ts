import type { AgentCatalog, AgentDefinition } from "../agents/catalog.js";
import { containsCjk, splitIntoTokens } from "./token-estimate.js";

/**
 * Deterministic reply templates of the simulated chat model: the same conversation always gets
 * the same words, in the voice of the agent whose system prompt was used.
 */

/** Who a chat-role system message belongs to. */
export type Speaker = { kind: "agent"; agent: AgentDefinition } | { kind: "clarify" } | { kind: "unknown" };

/** Finds the agent (or the clarify desk) whose prompt the system message contains; the graph may append context to it. */
export function identifySpeaker(catalog: AgentCatalog, systemText: string): Speaker {
  const text = systemText.trim();
  const agent =
    catalog.agents.find((a) => a.systemPrompt.trim() === text) ??
    catalog.agents.find((a) => text.includes(a.systemPrompt.trim()));
  if (agent) return { kind: "agent", agent };
  if (text.includes(catalog.clarifyPrompt.trim())) return { kind: "clarify" };
  return { kind: "unknown" };
}

/** How much of the user's message is quoted back as the topic. */
const TOPIC_WORDS = 8;
const TOPIC_CJK_CHARS = 16;

function topicOf(message: string, chinese: boolean): string {
  const flat = message
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[.!?。！？]+$/u, "");
  if (chinese) return flat.length > TOPIC_CJK_CHARS ? `${flat.slice(0, TOPIC_CJK_CHARS)}…` : flat;
  const words = flat.split(" ");
  return words.length > TOPIC_WORDS ? `${words.slice(0, TOPIC_WORDS).join(" ")}…` : flat;
}

const ENGLISH_FILLERS = [
  "Let me look into this for you right away.",
  "Here is what I can tell you so far, step by step.",
  "First, I checked the details you gave me against what we usually see in cases like this.",
  "Most of the time this is settled quickly once we have the right information.",
  "If anything is still unclear, tell me and I will go through it again.",
  "I will keep you posted as soon as there is news.",
];

const CHINESE_FILLERS = [
  "我马上为您查看。",
  "根据您提供的信息，我先说明一下目前的情况。",
  "这类问题通常很快就能解决。",
  "如果还有不清楚的地方，请随时告诉我。",
  "有新的进展我会第一时间通知您。",
];

/** Appends fillers (cycling) until the text reaches about `targetTokens`. */
function padTo(parts: string[], fillers: readonly string[], targetTokens: number, separator: string): string {
  let text = parts.join(separator);
  const pieces = splitIntoTokens(text);
  for (let i = 0; pieces.length < targetTokens; i++) {
    const added = separator + fillers[i % fillers.length];
    // Appending can only change the last piece (a run of letters may go on), so only that is split again.
    pieces.push(...splitIntoTokens((pieces.pop() ?? "") + added));
    text += added;
  }
  return text;
}

export interface ReplyRequest {
  speaker: Speaker;
  catalog: AgentCatalog;
  /** The latest user message. */
  message: string;
  /** Approximate reply length in tokens (clarifying questions stay short regardless). */
  replyTokens: number;
}

/** Writes the reply: Chinese when the user's message contains CJK characters, English otherwise. */
export function writeReply({ speaker, catalog, message, replyTokens }: ReplyRequest): string {
  const chinese = containsCjk(message);
  const topic = topicOf(message, chinese);
  const desks = catalog.agents.map((a) => a.name);
  if (speaker.kind === "clarify") {
    return chinese
      ? `请问您需要哪方面的帮助：${desks.join("、")}？`
      : `Could you tell me a little more, so I can pass you to the right desk: ${joinOr(desks)}?`;
  }
  const name = speaker.kind === "agent" ? speaker.agent.name : "Support";
  const opening = chinese
    ? [`您好，这里是${name}。`, `关于“${topic}”，我来帮您处理。`]
    : [`${name} here.`, `About "${topic}": I can help with that.`];
  return chinese ? padTo(opening, CHINESE_FILLERS, replyTokens, "") : padTo(opening, ENGLISH_FILLERS, replyTokens, " ");
}

function joinOr(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}
