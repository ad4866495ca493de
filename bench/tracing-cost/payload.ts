// Deterministic, realistic-looking chat text: words, punctuation, quotes and newlines, so JSON
// escaping costs what it costs on real messages (a string of "x" would flatter every serializer).

const WORDS = [
  "invoice",
  "refund",
  "account",
  "the",
  "a",
  "billing",
  "please",
  "order",
  "shipping",
  "customer",
  "payment",
  "card",
  "was",
  "charged",
  "twice",
  "for",
  "my",
  "subscription",
  "and",
  "I",
  "would",
  "like",
  "to",
  "know",
  "why",
  '"premium"',
  "plan",
  "renewal",
  "date",
  "is",
  "wrong,",
  "thanks!",
  "support",
  "ticket",
  "#4821",
  "café",
  "status:",
  "pending",
  "({id: 42})",
  "tab\tseparated",
  "back\\slash",
];

/** More distinct texts than a pipeline's memory of encodings holds (ours: 4 MB), at most 64 MB in all. */
function distinctTexts(text: string): string[] {
  const count = Math.max(16, Math.min(2048, Math.floor((64 * 1024 * 1024) / (text.length * 2 + 64))));
  // Flat strings, as JSON.parse hands a service its request's texts (a concatenation is flattened on first read).
  return Array.from(
    { length: count },
    (_, i) => JSON.parse(JSON.stringify(`#${i} ${text}`.slice(0, text.length))) as string,
  );
}

/** `chars` characters of text, the same for the same seed. */
export function makeText(chars: number, seed: number): string {
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: deterministic and dependency-free.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const parts: string[] = [];
  let length = 0;
  while (length < chars) {
    const word = WORDS[next() % WORDS.length]!;
    const sep = next() % 23 === 0 ? "\n" : " ";
    parts.push(word, sep);
    length += word.length + 1;
  }
  return parts.join("").slice(0, chars);
}

/** What the model sees before the user's message: a system prompt and earlier turns. */
export interface ContextSpec {
  /** Characters of the system prompt, of which `cjkChars` are Chinese (a two-byte string, as the service's classifier prompt is). */
  systemChars: number;
  cjkChars: number;
  /** Earlier messages (user and assistant alternating) and the characters of each. */
  historyMessages: number;
  historyChars: number;
}

export interface ChatMessageText {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface Payload {
  /** "2KB", "100KB" or "turn". */
  name: string;
  /** The user's message: trace input and the generations' human message. */
  input: string;
  /** The model's reply: generation output and trace output. */
  output: string;
  /**
   * Requests carry these, in turn: each a different text of the same size, as every user's
   * message and every reply is. The same text every time would let a pipeline that remembers
   * encodings (ours does, for system prompts and a session's history) skip work no service can.
   */
  inputs: readonly string[];
  outputs: readonly string[];
  /** The messages before the user's, in each generation's input: the system prompt, then the history. */
  context: ChatMessageText[];
  /** Characters of `context`, for the usage the model call reports. */
  contextChars: number;
}

/** The short system prompt of the 2KB and 100KB payloads, whose size is all in the user's message. */
const SHORT_SYSTEM = "You are Switchboard's billing agent. Answer briefly and politely; ask one question when unsure.";

const CJK_WORDS = ["订单", "发货", "退款", "账单", "登录", "错误", "你好", "谢谢", "物流", "快递", "付款", "崩溃"];

function makeCjkText(chars: number): string {
  let text = "";
  for (let i = 0; text.length < chars; i++) text += CJK_WORDS[i % CJK_WORDS.length] + (i % 4 === 3 ? "。" : "，");
  return text.slice(0, chars);
}

export function makePayload(name: string, inputChars: number, outputChars: number, context?: ContextSpec): Payload {
  const messages: ChatMessageText[] = context
    ? [
        {
          role: "system",
          content: makeText(context.systemChars - context.cjkChars, 0x5157) + makeCjkText(context.cjkChars),
        },
        ...Array.from({ length: context.historyMessages }, (_, i) => ({
          role: i % 2 === 0 ? ("user" as const) : ("assistant" as const),
          content: makeText(context.historyChars, 0x4157 + i),
        })),
      ]
    : [{ role: "system", content: SHORT_SYSTEM }];
  const input = makeText(inputChars, 0x5eed + inputChars);
  const output = makeText(outputChars, 0xbeef + outputChars);
  return {
    name,
    input,
    output,
    inputs: distinctTexts(input),
    outputs: distinctTexts(output),
    context: messages,
    contextChars: messages.reduce((n, m) => n + m.content.length, 0),
  };
}
