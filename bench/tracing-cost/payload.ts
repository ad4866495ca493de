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

export interface Payload {
  /** "2KB" or "100KB". */
  name: string;
  /** The user's message: trace input and the generations' human message. */
  input: string;
  /** The model's reply: generation output and trace output. */
  output: string;
}

export function makePayload(name: string, inputChars: number, outputChars: number): Payload {
  return {
    name,
    input: makeText(inputChars, 0x5eed + inputChars),
    output: makeText(outputChars, 0xbeef + outputChars),
  };
}
