// Langfuse counts the tokens of a generation that arrived without usage (or cost) when its model
// has a tokenizer (worker/src/features/tokenisation/usage.ts): OpenAI models with tiktoken, chat
// message arrays counted per message. The receiver does the same with js-tiktoken, the same
// encodings in JavaScript. Loading an encoding takes seconds, so this runs in the token
// counter's worker thread (token-count-worker.ts), never on the receiver's event loop. Claude's
// tokenizer (@anthropic-ai/tokenizer) is not bundled here: Claude models without usage stay
// uncounted and unpriced (docs/receiver.md says so).
import { encodingForModel, getEncoding, type Tiktoken, type TiktokenModel } from "js-tiktoken";
import type { ModelPrice } from "./model-prices.js";

// The tokenizer models Langfuse accepts (isTiktokenModel / isChatModel in tokenisation/types.ts).
const TIKTOKEN_MODELS = new Set([
  "davinci-002",
  "babbage-002",
  "text-davinci-003",
  "text-davinci-002",
  "text-davinci-001",
  "text-curie-001",
  "text-babbage-001",
  "text-ada-001",
  "davinci",
  "curie",
  "babbage",
  "ada",
  "code-davinci-002",
  "code-davinci-001",
  "code-cushman-002",
  "code-cushman-001",
  "davinci-codex",
  "cushman-codex",
  "text-davinci-edit-001",
  "code-davinci-edit-001",
  "text-embedding-ada-002",
  "text-similarity-davinci-001",
  "text-similarity-curie-001",
  "text-similarity-babbage-001",
  "text-similarity-ada-001",
  "text-search-davinci-doc-001",
  "text-search-curie-doc-001",
  "text-search-babbage-doc-001",
  "text-search-ada-doc-001",
  "code-search-babbage-code-001",
  "code-search-ada-code-001",
  "gpt2",
  "gpt-3.5-turbo",
  "gpt-35-turbo",
  "gpt-3.5-turbo-0301",
  "gpt-3.5-turbo-0613",
  "gpt-3.5-turbo-1106",
  "gpt-3.5-turbo-0125",
  "gpt-3.5-turbo-16k",
  "gpt-3.5-turbo-16k-0613",
  "gpt-3.5-turbo-instruct",
  "gpt-3.5-turbo-instruct-0914",
  "gpt-4",
  "gpt-4-0314",
  "gpt-4-0613",
  "gpt-4-32k",
  "gpt-4-32k-0314",
  "gpt-4-32k-0613",
  "gpt-4-turbo",
  "gpt-4-turbo-2024-04-09",
  "gpt-4-turbo-preview",
  "gpt-4-1106-preview",
  "gpt-4-0125-preview",
  "gpt-4-vision-preview",
  "gpt-4o",
  "gpt-4o-2024-05-13",
]);
const CHAT_MODELS = new Set([
  "gpt-4",
  "gpt-4-0314",
  "gpt-4-0613",
  "gpt-4-32k",
  "gpt-4-32k-0314",
  "gpt-4-32k-0613",
  "gpt-3.5-turbo",
  "gpt-35-turbo",
  "gpt-3.5-turbo-0301",
  "gpt-3.5-turbo-0613",
  "gpt-3.5-turbo-1106",
  "gpt-3.5-turbo-16k",
  "gpt-3.5-turbo-16k-0613",
  "gpt-4-1106-preview",
  "gpt-4-vision-preview",
  "gpt-4o-2024-05-13",
  "gpt-4o",
]);
// The message keys whose values are counted (openAiChatTokenCount).
const COUNTED_KEYS = new Set(["content", "role", "name", "tool_calls", "function_call", "toolCalls", "functionCall"]);
/** Every reply is primed with <|start|>assistant<|message|>. */
const REPLY_PRIMING_TOKENS = 3;

const encodings = new Map<string, Tiktoken>();

function encodingOf(tokenizerModel: string): Tiktoken {
  let encoding = encodings.get(tokenizerModel);
  if (!encoding) {
    try {
      encoding = encodingForModel(tokenizerModel as TiktokenModel);
    } catch {
      encoding = getEncoding("cl100k_base");
    }
    encodings.set(tokenizerModel, encoding);
  }
  return encoding;
}

/**
 * What Langfuse hands the encoder for a value. It is typed as text but receives any message
 * value; its per-code-unit copy turns an array into its elements' string forms joined and an
 * object (no length) into "".
 */
function asEncoderText(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map((v) => String(v)).join("");
  return "";
}

function countText(tokenizerModel: string, value: unknown): number {
  return encodingOf(tokenizerModel).encode(asEncoderText(value), "all").length;
}

function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

interface ChatMessage {
  role: string;
  content: string;
  name?: string;
  [key: string]: unknown;
}

function isChatMessageArray(value: unknown): value is ChatMessage[] {
  return (
    Array.isArray(value) &&
    value.every(
      (item: unknown) =>
        typeof item === "object" &&
        item !== null &&
        typeof (item as ChatMessage).role === "string" &&
        typeof (item as ChatMessage).content === "string" &&
        (!("name" in item) || typeof (item as ChatMessage).name === "string"),
    )
  );
}

function chatTokenCount(messages: ChatMessage[], tokenizerModel: string, perMessage: number, perName: number): number {
  let tokens = 0;
  for (const message of messages) {
    tokens += perMessage;
    for (const [key, value] of Object.entries(message)) {
      if (value && COUNTED_KEYS.has(key)) tokens += countText(tokenizerModel, value);
      if (key === "name") tokens += perName;
    }
  }
  return tokens + REPLY_PRIMING_TOKENS;
}

/** What counting needs of a model: its tokenizer. */
export type Tokenizer = Pick<ModelPrice, "tokenizerId" | "tokenizerConfig">;

/**
 * Tokens of an input or output as stored (JSON text), or undefined when Langfuse would not
 * count them: no text, no tokenizer, a tokenizer config it rejects, or Claude's tokenizer.
 */
export function tokenCount(model: Tokenizer, text: string | null): number | undefined {
  if (text === null || model.tokenizerId !== "openai") return undefined;
  const config = model.tokenizerConfig ?? {};
  const tokenizerModel = config["tokenizerModel"];
  if (typeof tokenizerModel !== "string" || !TIKTOKEN_MODELS.has(tokenizerModel)) return undefined;
  const parsed = parseLoose(text);
  if (isChatMessageArray(parsed) && CHAT_MODELS.has(tokenizerModel)) {
    const perMessage = config["tokensPerMessage"];
    const perName = config["tokensPerName"];
    if (typeof perMessage !== "number" || typeof perName !== "number") return undefined;
    return chatTokenCount(parsed, tokenizerModel, perMessage, perName);
  }
  return countText(tokenizerModel, typeof parsed === "string" ? parsed : JSON.stringify(parsed));
}
