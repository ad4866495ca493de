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

/** A string inside a JSON value: where it is, and how long it was before any cut. */
interface Leaf {
  holder: Record<string, unknown> | unknown[];
  key: string | number;
  originalChars: number;
}

/** Nesting deeper than this is left as it is (its strings are not cut). */
const MAX_DEPTH = 32;

function collectLeaves(value: unknown, leaves: Leaf[], depth: number): void {
  if (depth > MAX_DEPTH || typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === "string") leaves.push({ holder: value, key: i, originalChars: v.length });
      else collectLeaves(v, leaves, depth + 1);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (typeof v === "string") leaves.push({ holder: record, key, originalChars: v.length });
    else collectLeaves(v, leaves, depth + 1);
  }
}

const leafText = (leaf: Leaf): string => (leaf.holder as Record<string | number, unknown>)[leaf.key] as string;
const setLeaf = (leaf: Leaf, text: string) => ((leaf.holder as Record<string | number, unknown>)[leaf.key] = text);

/** How long `text`'s JSON string literal is, quotes included (V8's JSON.stringify outruns a JS loop counting escapes). */
const quotedLength = (text: string) => JSON.stringify(text).length;

/**
 * The JSON text of `value` within `max` characters. When it is longer, its longest strings are
 * cut to one common length (each with its marker) so the rest of the value is kept as it was;
 * objects and arrays stay whole. `mask` is applied to every string first. `value` must be plain
 * JSON data and is changed in place.
 */
export function truncatedJson(value: unknown, max: number, mask?: (s: string) => string): string {
  if (typeof value === "string") return JSON.stringify(cutText(mask ? mask(value) : value, Math.max(0, max - 2)));
  const leaves: Leaf[] = [];
  collectLeaves(value, leaves, 0);
  // Every string is read no further than a cut could keep (masked, when masking) before any JSON
  // is made: what follows then costs about the cap, not the value's size (a 100 KB message).
  const texts: string[] = [];
  /** Leaves read only in part: each must end with a marker, whatever the rest needs. */
  const clipped: boolean[] = [];
  for (const leaf of leaves) {
    const text = leafText(leaf);
    const long = text.length > max + MASK_LOOKAHEAD;
    const kept = mask ? maskedHead(text, max, mask) : long ? text.slice(0, max + MASK_LOOKAHEAD) : text;
    if (kept !== text) setLeaf(leaf, kept);
    clipped.push(long);
    texts.push(kept);
  }
  if (!clipped.includes(true)) {
    const json = JSON.stringify(value) ?? "null";
    if (json.length <= max) return json;
  }
  // The JSON's length is its structure (the value with every string empty) plus each literal.
  const lengths = texts.map(quotedLength);
  for (const leaf of leaves) setLeaf(leaf, "");
  const structure = (JSON.stringify(value) ?? "null").length - 2 * leaves.length;
  leaves.forEach((leaf, i) => setLeaf(leaf, texts[i]!));
  const total = lengths.reduce((sum, n) => sum + n, structure);
  // A clipped leaf always gets its marker, even when the whole would fit without one.
  const target = total > max ? waterLevel(lengths, total - max) : Number.POSITIVE_INFINITY;
  leaves.forEach((leaf, i) => {
    if (lengths[i]! > target || clipped[i])
      setLeaf(leaf, cutToQuotedLength(texts[i]!, Math.min(target, lengths[i]!), leaf.originalChars));
  });
  const json = JSON.stringify(value);
  // Only a value whose structure alone is past the cap gets here: bounded, at the price of its JSON.
  return json.length <= max ? json : cutText(json, max);
}

/** `text` masked, reading no further than a cut to `max` could keep. */
function maskedHead(text: string, max: number, mask: (s: string) => string): string {
  return text.length > max + MASK_LOOKAHEAD ? mask(text.slice(0, max + MASK_LOOKAHEAD)) : mask(text);
}

/**
 * The one literal length the longest leaves are cut to so the JSON shrinks by at least `excess`
 * characters (water filling): leaves shorter than it are left whole.
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

/**
 * `text`'s head and its marker, with the JSON literal at most `quoted` characters when it can
 * be. The head's literal grows with the head, and every character adds at least one: cutting what
 * is over from the head brings it within `quoted` in a step or two.
 */
function cutToQuotedLength(text: string, quoted: number, originalChars: number): string {
  const marker = truncationMarker(originalChars);
  // What the head's own literal (its quotes included) may take: the marker shares its quotes.
  const room = quoted - quotedLength(marker) + 2;
  if (room <= 2) return marker;
  let keep = Math.min(text.length, room - 2);
  for (let over = quotedLength(head(text, keep)) - room; over > 0 && keep > 0;) {
    keep -= over;
    over = quotedLength(head(text, keep)) - room;
  }
  return head(text, keep) + marker;
}
