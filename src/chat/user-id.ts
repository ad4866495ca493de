import { codePointName, characterPosition, invalidUnicodeProblem } from "./unicode-text.js";

/** Longest user id, in characters (code points): "张三" is 2, "🙂" is 1. */
export const USER_ID_MAX_CHARS = 128;

/**
 * Characters a user id must not contain: C0/C1 controls (tab and newline included), the line
 * and paragraph separators, and the bidirectional controls (U+202A-U+202E, U+2066-U+2069),
 * which reorder how an id reads in logs and trace viewers without being visible themselves.
 */
const CONTROL = /[\p{Cc}\u2028\u2029\p{Bidi_Control}]/u;

/**
 * What is wrong with a user id, phrased to follow its field name ("must not be empty"), or null
 * when it is valid: 1 to 128 characters of printable Unicode, not only spaces. Real user ids are
 * names, emails, "张三": they are stored and traced exactly as given, never trimmed or folded.
 */
export function userIdProblem(id: string): string | null {
  if (id.length === 0) return "must not be empty";
  const unicode = invalidUnicodeProblem(id);
  if (unicode) return `must be valid Unicode: ${unicode}`;
  const control = CONTROL.exec(id);
  if (control) {
    return `must not contain control characters (${codePointName(control[0].codePointAt(0)!)} at character ${characterPosition(id, control.index)})`;
  }
  if (id.trim() === "") return "must not be blank";
  const chars = [...id].length;
  if (chars > USER_ID_MAX_CHARS) return `is too long: ${chars} characters, at most ${USER_ID_MAX_CHARS}`;
  return null;
}
