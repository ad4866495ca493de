/**
 * A cheap, deterministic stand-in for a tokenizer: every CJK character (and CJK punctuation)
 * is one token, every run of other non-space characters is one token. Good enough for usage
 * numbers of the simulated model and for sizing its replies; not meant to match any real
 * tokenizer.
 */

const CJK = "\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u3000-\\u303f\\uff00-\\uffef";
/** Leading whitespace belongs to the token after it, so concatenating the pieces gives the text back. */
const TOKEN_PIECE = new RegExp(`\\s*(?:[${CJK}]|[^\\s${CJK}]+)|\\s+$`, "gu");
const HAS_CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Splits text into token-sized pieces whose concatenation is the original text. */
export function splitIntoTokens(text: string): string[] {
  return text.match(TOKEN_PIECE) ?? [];
}

export function estimateTokens(text: string): number {
  let count = 0;
  TOKEN_PIECE.lastIndex = 0;
  while (TOKEN_PIECE.exec(text) !== null) count++;
  return count;
}

/** True when the text contains Chinese, Japanese or Korean characters. */
export function containsCjk(text: string): boolean {
  return HAS_CJK.test(text);
}

/**
 * estimateTokens that remembers the texts it has counted: a model is sent the same system
 * prompt and the same history turn after turn. Bounded by the characters it holds (past that it
 * starts over), so a stream of distinct long messages cannot grow it.
 */
export class TokenCounts {
  readonly #counts = new Map<string, number>();
  #chars = 0;

  readonly #maxChars: number;

  constructor(maxChars = 1_000_000) {
    this.#maxChars = maxChars;
  }

  /** Characters of the texts remembered now. */
  get heldChars(): number {
    return this.#chars;
  }

  of(text: string): number {
    let count = this.#counts.get(text);
    if (count === undefined) {
      count = estimateTokens(text);
      if (text.length > this.#maxChars) return count;
      if (this.#chars + text.length > this.#maxChars) {
        this.#counts.clear();
        this.#chars = 0;
      }
      this.#counts.set(text, count);
      this.#chars += text.length;
    }
    return count;
  }
}
