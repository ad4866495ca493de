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
