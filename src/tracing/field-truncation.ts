// How a field longer than LANGFUSE_MAX_FIELD_CHARS is cut so that Langfuse still reads it for
// what it is: a plain text keeps its head and ends with a marker; a JSON value keeps its whole
// structure (a chat-message array stays a message array, which Langfuse shows as a chat) and
// its longest strings are cut instead, each ending with a marker. Every marker states the true
// length of the text it cut, and the whole result fits the cap.

const MARKER_PREFIX = "…[truncated by switchboard: ";

/** The marker that ends a cut text: `originalChars` is the length of the text before it was cut. */
export function truncationMarker(originalChars: number): string {
  return `${MARKER_PREFIX}${originalChars} chars]`;
}

/** Masking reads this far past what a cut keeps, so a value straddling the cut is masked whole. */
export const MASK_LOOKAHEAD = 256;

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

/** The first `keep` characters of `text`, never ending inside a surrogate pair. */
function head(text: string, keep: number): string {
  if (keep <= 0) return "";
  if (keep >= text.length) return text;
  return text.slice(0, isHighSurrogate(text.charCodeAt(keep - 1)) ? keep - 1 : keep);
}

/**
 * `text` within `max` characters: as it is when it fits, else its head and the marker.
 * `originalChars`: its length before any earlier clipping (what the marker states).
 */
export function cutText(text: string, max: number, originalChars = text.length): string {
  if (text.length <= max && originalChars <= max) return text;
  const marker = truncationMarker(originalChars);
  return head(text, max - marker.length) + marker;
}

/** Nesting deeper than this is left as it is (its strings are not cut). */
const MAX_DEPTH = 32;

/**
 * A JSON value taken apart once: the JSON text between its strings (`between`, one more than
 * `strings`) and the strings it holds, in order, so the text can be made again with any of
 * them cut without walking the value a second time.
 */
interface Template {
  between: string[];
  strings: string[];
}

function template(value: unknown): Template {
  const t: Template = { between: [], strings: [] };
  const rest = writeValue(value, 0, t, "");
  t.between.push(rest);
  return t;
}

/**
 * Appends `value`'s JSON to the template, the text since the last string being `pending`;
 * returns the text since the last string once `value` is written. Undefined, functions and
 * symbols read as JSON.stringify reads them (left out of objects, null in arrays).
 */
function writeValue(value: unknown, depth: number, t: Template, pending: string): string {
  if (typeof value === "string") {
    t.between.push(pending);
    t.strings.push(value);
    return "";
  }
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH)
    return pending + (JSON.stringify(value) ?? "null");
  if (Array.isArray(value)) {
    pending += "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) pending += ",";
      const v: unknown = value[i];
      pending = omitted(v) ? pending + "null" : writeValue(v, depth + 1, t, pending);
    }
    return pending + "]";
  }
  // Plain data has no toJSON; anything that has one is written as JSON.stringify writes it, whole.
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return pending + JSON.stringify(value);
  const record = value as Record<string, unknown>;
  pending += "{";
  let first = true;
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (omitted(v)) continue;
    pending += `${first ? "" : ","}${JSON.stringify(key)}:`;
    first = false;
    pending = writeValue(v, depth + 1, t, pending);
  }
  return pending + "}";
}

const omitted = (v: unknown) => v === undefined || typeof v === "function" || typeof v === "symbol";

/**
 * The JSON text of `value` within `max` characters. When it is longer, its longest strings are
 * cut to one common length (each with its marker) so the rest of the value is kept as it was;
 * objects and arrays stay whole. `mask` is applied to every string first. `value` must be plain
 * JSON data; it is not changed.
 *
 * Each string is turned into JSON once, and only as far as it is kept: a string past the cap is
 * read no further than the cap and MASK_LOOKAHEAD, and one that is cut is escaped once, up to
 * its cut (the head's literal is a prefix of the longer literal, so a shorter cut is a slice).
 */
export function truncatedJson(value: unknown, max: number, mask?: (s: string) => string): string {
  if (typeof value === "string") return JSON.stringify(cutText(mask ? mask(value) : value, Math.max(0, max - 2)));
  const { between, strings } = template(value);
  const count = strings.length;
  const kept: string[] = new Array<string>(count);
  /** Strings read only in part: each must end with a marker, whatever the rest needs. */
  const clipped: boolean[] = new Array<boolean>(count);
  /**
   * Each string's JSON literal, quotes included, or undefined for a string whose characters alone
   * are past the cap: it is cut whatever the others are (see waterLevel), so its literal is made
   * only up to its cut, and its length counts as what it is at least.
   */
  const literals: (string | undefined)[] = new Array<string | undefined>(count);
  const lengths: number[] = new Array<number>(count);
  let total = 0;
  for (const text of between) total += text.length;
  for (let i = 0; i < count; i++) {
    const text = strings[i]!;
    const long = text.length > max + MASK_LOOKAHEAD;
    const k = mask ? maskedHead(text, max, mask) : long ? text.slice(0, max + MASK_LOOKAHEAD) : text;
    kept[i] = k;
    clipped[i] = long;
    const literal = k.length + 2 > max ? undefined : JSON.stringify(k);
    literals[i] = literal;
    lengths[i] = literal === undefined ? k.length + 2 : literal.length;
    total += lengths[i]!;
  }
  // A clipped string always gets its marker, even when the whole would fit without one.
  const target = total > max ? waterLevel(lengths, total - max) : Number.POSITIVE_INFINITY;
  let json = between[0]!;
  for (let i = 0; i < count; i++) {
    const cut = lengths[i]! > target || clipped[i]!;
    const literal = cut
      ? cutLiteral(kept[i]!, Math.min(target, lengths[i]!), strings[i]!.length)
      : (literals[i] ?? JSON.stringify(kept[i]!));
    json += literal + between[i + 1]!;
  }
  // Only a value whose structure alone is past the cap gets here: bounded, at the price of its JSON.
  return json.length <= max ? json : cutText(json, max);
}

/** `text` masked, reading no further than a cut to `max` could keep. */
function maskedHead(text: string, max: number, mask: (s: string) => string): string {
  return text.length > max + MASK_LOOKAHEAD ? mask(text.slice(0, max + MASK_LOOKAHEAD)) : mask(text);
}

/**
 * The one literal length the longest strings are cut to so the JSON shrinks by at least `excess`
 * characters (water filling): strings shorter than it are left whole. A length past the cap
 * (the total less `excess`) may stand for "at least this": the level never exceeds the cap, so
 * every such string is cut whatever its exact length, and the level depends only on how many are
 * cut and on the exact lengths of the rest.
 */
function waterLevel(lengths: readonly number[], excess: number): number {
  const sorted = [...lengths].sort((a, b) => b - a);
  let sum = 0;
  for (let k = 0; k < sorted.length; k++) {
    sum += sorted[k]!;
    const level = Math.floor((sum - excess) / (k + 1));
    if (level >= (sorted[k + 1] ?? 0)) return Math.max(0, level);
  }
  return 0;
}

/** The index `head(text, keep)` ends at. */
function headEnd(text: string, keep: number): number {
  if (keep <= 0) return 0;
  if (keep >= text.length) return text.length;
  return isHighSurrogate(text.charCodeAt(keep - 1)) ? keep - 1 : keep;
}

/**
 * The JSON literal of `text`'s head and its marker, at most `quoted` characters when it can be.
 * The head's literal grows with the head, and every character adds at least one: cutting what
 * is over from the head brings it within `quoted` in a step or two. The head is escaped once, at
 * the first guess; each shorter guess takes its literal's length from the characters it drops.
 */
function cutLiteral(text: string, quoted: number, originalChars: number): string {
  const marker = JSON.stringify(truncationMarker(originalChars));
  // What the head's own literal (its quotes included) may take: the marker shares its quotes.
  const room = quoted - marker.length + 2;
  if (room <= 2) return marker;
  let keep = Math.min(text.length, room - 2);
  let end = headEnd(text, keep);
  const literal = JSON.stringify(text.slice(0, end));
  let escaped = literal.length - 2;
  for (let over = escaped + 2 - room; over > 0 && keep > 0;) {
    keep -= over;
    const shorter = headEnd(text, keep);
    escaped -= escapedLength(text, shorter, end);
    end = shorter;
    over = escaped + 2 - room;
  }
  return literal.slice(0, 1 + escaped) + marker.slice(1);
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * How many characters `text`'s characters from `from` to `to` take in its JSON literal, the way
 * JSON.stringify escapes them: quotes, backslashes and control characters, and a surrogate
 * without its pair (as `\uXXXX`). `to` never falls inside a pair.
 */
function escapedLength(text: string, from: number, to: number): number {
  let n = 0;
  for (let j = from; j < to; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22 || c === 0x5c) n += 2;
    else if (c < 0x20) n += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6;
    else if (isHighSurrogate(c)) n += j + 1 < text.length && isLowSurrogate(text.charCodeAt(j + 1)) ? 1 : 6;
    else if (isLowSurrogate(c)) n += j > 0 && isHighSurrogate(text.charCodeAt(j - 1)) ? 1 : 6;
    else n += 1;
  }
  return n;
}
