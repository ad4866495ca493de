// How deep a JSON text nests, found in one pass over the text before it is parsed. A body nested
// 100,000 levels deep fits in a few hundred compressed bytes; everything that walks a parsed value
// (validation, the inspection for prototype keys, error paths, the stores) would then pay for
// every level. Refusing it here costs one scan, linear in the text, and no parse at all.
import { apiError, type ApiError } from "../chat/chat-errors.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/** Longest top-level key repeated in an error message; longer ones are cut with "...". */
export const MAX_KEY_SHOWN = 64;

/** Index of the quote that closes the string opened at `open`, or -1 when it never closes. */
function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at === -1) return -1;
    // Escaped when preceded by an odd number of backslashes.
    let slashes = 0;
    for (let i = at - 1; text.charCodeAt(i) === BACKSLASH; i--) slashes++;
    if (slashes % 2 === 0) return at;
  }
}

/** A top-level key as the API's messages show it: decoded, and cut when very long. */
export function shownKey(key: string): string {
  return key.length > MAX_KEY_SHOWN ? `${key.slice(0, MAX_KEY_SHOWN)}...` : key;
}

/**
 * Throws 400 `nesting_too_deep` when `text` nests arrays and objects deeper than `maxDepth` (the
 * outermost value is level 1), naming the top-level member that holds the nesting ("body" when
 * the body itself is an array). Text that is not JSON is left to JSON.parse.
 */
export function assertNestingWithin(text: string, maxDepth: number): void {
  // Fewer brackets than the limit cannot nest past it.
  if (text.length <= maxDepth) return;
  let depth = 0;
  let topIsObject = false;
  // The last string closed at level 1: in an object, the key of the member being read.
  let keyStart = -1;
  let keyEnd = -1;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (end === -1) return;
      if (depth === 1) {
        keyStart = i;
        keyEnd = end;
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === 0) topIsObject = c === OPEN_OBJECT;
      if (++depth > maxDepth)
        throw tooDeep(topIsObject && keyStart !== -1 ? keyOf(text, keyStart, keyEnd) : null, maxDepth);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
}

function keyOf(text: string, start: number, end: number): string {
  try {
    return String(JSON.parse(text.slice(start, end + 1)));
  } catch {
    return text.slice(start + 1, end);
  }
}

function tooDeep(key: string | null, maxDepth: number): ApiError {
  const what = key === null ? "the body" : shownKey(key);
  return apiError("nesting_too_deep", what, maxDepth, key === null ? "body" : shownKey(key));
}
