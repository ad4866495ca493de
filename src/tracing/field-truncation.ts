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
const MAX_ROUNDS = 4;

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
  // is made: the passes below then cost about the cap, not the value's size (a 100 KB message).
  for (const leaf of leaves) {
    const text = leafText(leaf);
    if (mask) setLeaf(leaf, maskedHead(text, max, mask));
    else if (text.length > max + MASK_LOOKAHEAD) setLeaf(leaf, text.slice(0, max + MASK_LOOKAHEAD));
  }
  let json = JSON.stringify(value) ?? "null";
  for (let round = 0; round < MAX_ROUNDS && json.length > max && leaves.length > 0; round++) {
    cutLongest(leaves, json.length - max);
    json = JSON.stringify(value);
  }
  // Only a value whose structure alone is past the cap gets here: bounded, at the price of its JSON.
  return json.length <= max ? json : cutText(json, max);
}

/** `text` masked, reading no further than a cut to `max` could keep. */
function maskedHead(text: string, max: number, mask: (s: string) => string): string {
  return text.length > max + MASK_LOOKAHEAD ? mask(text.slice(0, max + MASK_LOOKAHEAD)) : mask(text);
}

/**
 * Cuts the longest leaves to one length so the JSON shrinks by at least `excess` characters
 * (water filling): leaves shorter than that length are left whole.
 */
function cutLongest(leaves: Leaf[], excess: number): void {
  const lengths = leaves.map((leaf) => quotedLength(leafText(leaf)));
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]!);
  let sum = 0;
  let target = 0;
  let count = 0;
  for (let k = 0; k < order.length; k++) {
    sum += lengths[order[k]!]!;
    count = k + 1;
    target = Math.floor((sum - excess) / count);
    const next = k + 1 < order.length ? lengths[order[k + 1]!]! : 0;
    if (target >= next) break;
  }
  for (let k = 0; k < count; k++) {
    const leaf = leaves[order[k]!]!;
    if (lengths[order[k]!]! <= target) continue;
    setLeaf(leaf, cutToQuotedLength(leafText(leaf), Math.max(0, target), leaf.originalChars));
  }
}

/** `text` cut (with its marker) so its JSON string literal is at most `quoted` characters, when it can be. */
function cutToQuotedLength(text: string, quoted: number, originalChars: number): string {
  const marker = truncationMarker(originalChars);
  let keep = quoted - 2 - marker.length;
  let cut = head(text, keep) + marker;
  // Escapes make the literal longer than the text: shorten by what is over, a few times at most.
  for (let i = 0; i < 4 && keep > 0; i++) {
    const over = quotedLength(cut) - quoted;
    if (over <= 0) break;
    keep -= over;
    cut = head(text, keep) + marker;
  }
  return cut;
}
