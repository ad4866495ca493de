import { codePointName, characterPosition, invalidUnicodeProblem } from "./unicode-text.js";

/** Longest user id, in characters (code points): "张三" is 2, "🙂" is 1. */
export const USER_ID_MAX_CHARS = 128;

/**
 * Characters a user id must not contain:
 * - C0/C1 controls (tab and newline included), the line and paragraph separators;
 * - format characters (Cf: the bidirectional controls U+202A-U+202E and U+2066-U+2069, which
 *   reorder how an id reads in logs and trace viewers, the zero-width space U+200B, the byte
 *   order mark U+FEFF, the soft hyphen U+00AD, the word joiner U+2060, ...) and every other
 *   default-ignorable code point (U+034F, the Hangul fillers U+3164 and U+FFA0, ...): invisible,
 *   so "ali\u200bce" would look like "alice";
 * - noncharacters (U+FFFE, U+FFFF, U+FDD0-U+FDEF, ...), which are not text.
 * Kept, because real names and emoji need them: the zero-width joiner and non-joiner
 * (U+200C, U+200D: family emoji, Indic and Persian scripts), variation selectors (U+FE00-U+FE0F,
 * U+E0100-U+E01EF, U+180B-U+180D, U+180F: "❤️") and tag characters (U+E0020-U+E007F: subdivision flags).
 */
const FORBIDDEN =
  /(?!\u200c|\u200d|\p{Variation_Selector}|[\u{e0020}-\u{e007f}])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]/u;

/**
 * What is wrong with a user id, phrased to follow its field name ("must not be empty"), or null
 * when it is valid: 1 to 128 characters of printable Unicode, not only spaces. Real user ids are
 * names, emails, "张三": they are stored and traced exactly as given, never trimmed or folded.
 */
export function userIdProblem(id: string): string | null {
  if (id.length === 0) return "must not be empty";
  const unicode = invalidUnicodeProblem(id);
  if (unicode) return `must be valid Unicode: ${unicode}`;
  const forbidden = FORBIDDEN.exec(id);
  if (forbidden) {
    return `must not contain control, format or invisible characters (${codePointName(forbidden[0].codePointAt(0)!)} at character ${characterPosition(id, forbidden.index)})`;
  }
  if (id.trim() === "") return "must not be blank";
  const chars = [...id].length;
  if (chars > USER_ID_MAX_CHARS) return `is too long: ${chars} characters, at most ${USER_ID_MAX_CHARS}`;
  return null;
}
