import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { cutText, truncatedJson, truncationMarker } from "./field-truncation.js";

const MARKER = /…\[truncated by switchboard: (\d+) chars\]$/;

test("a text that fits is left as it is; a longer one keeps its head and states its true length", () => {
  assert.equal(cutText("short", 100), "short");
  const long = "x".repeat(5000);
  const cut = cutText(long, 1000);
  assert.equal(cut.length, 1000, "the whole, marker included, fits the cap");
  assert.ok(cut.endsWith(truncationMarker(5000)));
  assert.equal(
    cutText("abc", 100, 101_441),
    `abc${truncationMarker(101_441)}`,
    "an earlier clip's length is what it states",
  );
});

test("a cut never splits a surrogate pair", () => {
  const text = "😀".repeat(1000);
  const cut = cutText(text, 101);
  assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(cut), "no lone high surrogate");
  assert.doesNotThrow(() => Buffer.from(cut).toString());
});

test("a chat-message array past the cap stays a message array: the longest contents are cut, each with its true length", () => {
  const huge = "word ".repeat(20_300).slice(0, 101_441);
  const messages = [
    { role: "system", content: "You are the orders desk." },
    { role: "user", content: huge },
    { role: "assistant", content: "Which order?" },
    { role: "user", content: huge },
  ];
  const json = truncatedJson(structuredClone(messages), 20_000);
  assert.ok(json.length <= 20_000, `${json.length} chars`);
  const parsed = JSON.parse(json) as { role: string; content: string }[];
  assert.deepEqual(
    parsed.map((m) => m.role),
    ["system", "user", "assistant", "user"],
  );
  assert.equal(parsed[0]!.content, "You are the orders desk.", "short contents are kept whole");
  assert.equal(parsed[2]!.content, "Which order?");
  for (const i of [1, 3]) {
    assert.equal(MARKER.exec(parsed[i]!.content)?.[1], "101441", "the marker states the content's own length");
    assert.ok(huge.startsWith(parsed[i]!.content.replace(MARKER, "")), "the kept part is the content's head");
  }
});

test("escapes count: a cut content's JSON literal still fits", () => {
  const quoted = '"quoted" \\ back\nslash '.repeat(3000);
  const json = truncatedJson([{ role: "user", content: quoted }], 2000);
  assert.ok(json.length <= 2000, `${json.length}`);
  assert.match((JSON.parse(json) as { content: string }[])[0]!.content, MARKER);
});

test("masking runs before the cut, so a value straddling it is masked whole", () => {
  const mask = (s: string) => s.replace(/[a-z.]+@example\.com/g, "[email]");
  const content = `${"a ".repeat(480)}bob.smith@example.com ${"z".repeat(10_000)}`;
  const json = truncatedJson([{ role: "user", content }], 1000, mask);
  assert.ok(!json.includes("bob") && !json.includes("example.com"), json.slice(900, 1000));
});

test("any JSON value past the cap (fast-check): valid JSON, within the cap, same shape, markers with true lengths", () => {
  const value = fc.letrec((tie) => ({
    leaf: fc.oneof(fc.string({ maxLength: 3000 }), fc.integer(), fc.boolean(), fc.constant(null)),
    node: fc.oneof(
      { depthSize: "small" },
      tie("leaf"),
      fc.array(tie("node"), { maxLength: 5 }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie("node"), { maxKeys: 5 }),
    ),
  })).node;
  const out = fc.check(
    fc.property(value, fc.integer({ min: 400, max: 5000 }), (v, max) => {
      const json = truncatedJson(structuredClone(v), max);
      const full = JSON.stringify(v) ?? "null";
      if (full.length <= max) return assert.equal(json, full);
      // The structure alone can be past the cap; then the result is bounded text, not JSON.
      assert.ok(json.length <= max, `${json.length} > ${max}`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch {
        return assert.match(json, MARKER);
      }
      assert.equal(shape(parsed), shape(v), "objects and arrays stay whole");
    }),
    { numRuns: 300, seed: 20_200 },
  );
  if (out.failed) throw new Error(fc.defaultReportMessage(out));
  assert.equal(out.numRuns, 300);
  console.log(`# truncated JSON keeps its structure: ${out.numRuns} cases, seed 20200`);
});

/** A value's structure: containers and keys, not its strings. */
function shape(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(shape).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}:${shape(x)}`)
      .join(",")}}`;
  return typeof v;
}

test("a text read only in part keeps its marker even when masking shrinks it below the cap", () => {
  // 36,000 characters of numbers; masking turns each into "#", so the part read fits the cap.
  const content = "12345 ".repeat(6000);
  const json = truncatedJson([{ role: "user", content }], 20_000, (s) => s.replace(/\d+/g, "#"));
  const parsed = JSON.parse(json) as { content: string }[];
  assert.equal(MARKER.exec(parsed[0]!.content)?.[1], "36000", "the marker states the text's own length");
  assert.ok(json.length <= 20_000);
});

// ---- the cut as it was first written, kept as the reference the faster one must equal ----
// It sets each string in place and lets JSON.stringify measure and make every literal; the
// implementation escapes each string once and builds the JSON once. Same output, byte for byte.

interface ReferenceLeaf {
  holder: Record<string, unknown> | unknown[];
  key: string | number;
  originalChars: number;
}

function referenceTruncatedJson(value: unknown, max: number, mask?: (s: string) => string): string {
  const LOOKAHEAD = 256;
  const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
  const head = (text: string, keep: number) =>
    keep <= 0 ? "" : keep >= text.length ? text : text.slice(0, isHigh(text.charCodeAt(keep - 1)) ? keep - 1 : keep);
  const quotedLength = (text: string) => JSON.stringify(text).length;
  const collect = (v: unknown, leaves: ReferenceLeaf[], depth: number): void => {
    if (depth > 32 || typeof v !== "object" || v === null) return;
    const holder = v as Record<string | number, unknown>;
    for (const key of Array.isArray(v) ? v.keys() : Object.keys(v)) {
      const x = holder[key];
      if (typeof x === "string") leaves.push({ holder: v as ReferenceLeaf["holder"], key, originalChars: x.length });
      else collect(x, leaves, depth + 1);
    }
  };
  const get = (leaf: ReferenceLeaf) => (leaf.holder as Record<string | number, unknown>)[leaf.key] as string;
  const set = (leaf: ReferenceLeaf, text: string) =>
    ((leaf.holder as Record<string | number, unknown>)[leaf.key] = text);
  const cutTo = (text: string, quoted: number, originalChars: number) => {
    const marker = truncationMarker(originalChars);
    const room = quoted - quotedLength(marker) + 2;
    if (room <= 2) return marker;
    let keep = Math.min(text.length, room - 2);
    for (let over = quotedLength(head(text, keep)) - room; over > 0 && keep > 0;) {
      keep -= over;
      over = quotedLength(head(text, keep)) - room;
    }
    return head(text, keep) + marker;
  };
  const waterLevel = (lengths: number[], excess: number) => {
    const sorted = [...lengths].sort((a, b) => b - a);
    let sum = 0;
    for (let k = 0; k < sorted.length; k++) {
      sum += sorted[k]!;
      const level = Math.floor((sum - excess) / (k + 1));
      if (level >= (sorted[k + 1] ?? 0)) return Math.max(0, level);
    }
    return 0;
  };
  if (typeof value === "string") return JSON.stringify(cutText(mask ? mask(value) : value, Math.max(0, max - 2)));
  const leaves: ReferenceLeaf[] = [];
  collect(value, leaves, 0);
  const texts: string[] = [];
  const clipped: boolean[] = [];
  for (const leaf of leaves) {
    const text = get(leaf);
    const long = text.length > max + LOOKAHEAD;
    const part = long ? text.slice(0, max + LOOKAHEAD) : text;
    const kept = mask ? mask(part) : part;
    if (kept !== text) set(leaf, kept);
    clipped.push(long);
    texts.push(kept);
  }
  if (!clipped.includes(true)) {
    const json = JSON.stringify(value) ?? "null";
    if (json.length <= max) return json;
  }
  const lengths = texts.map(quotedLength);
  for (const leaf of leaves) set(leaf, "");
  const structure = (JSON.stringify(value) ?? "null").length - 2 * leaves.length;
  leaves.forEach((leaf, i) => set(leaf, texts[i]!));
  const total = lengths.reduce((sum, n) => sum + n, structure);
  const target = total > max ? waterLevel(lengths, total - max) : Number.POSITIVE_INFINITY;
  leaves.forEach((leaf, i) => {
    if (lengths[i]! > target || clipped[i])
      set(leaf, cutTo(texts[i]!, Math.min(target, lengths[i]!), leaf.originalChars));
  });
  const json = JSON.stringify(value);
  return json.length <= max ? json : cutText(json, max);
}

/** Characters where a cut goes wrong when it is counted wrong: escapes of each width, pairs, lone halves. */
const trickyChar = fc.oneof(
  { arbitrary: fc.constantFrom("a", "b", "x", " ", "é", "…", "7"), weight: 6 },
  { arbitrary: fc.constantFrom('"', "\\", "\n", "\t", "\b", "\f", "\r"), weight: 3 },
  { arbitrary: fc.constantFrom("\u0000", "\u0001", "\u001f", "\u007f", "\u2028"), weight: 1 },
  { arbitrary: fc.constantFrom("😀", "\ud83d", "\ude00"), weight: 2 },
);
const shortText = fc.array(trickyChar, { maxLength: 40 }).map((cs) => cs.join(""));
/** Long texts, past small caps and past a cap and its lookahead, cheaply: a tricky pattern repeated. */
const longText = fc
  .tuple(fc.array(trickyChar, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 700 }))
  .map(([cs, n]) => cs.join("").repeat(n));
const anyText = fc.oneof({ arbitrary: shortText, weight: 3 }, { arbitrary: longText, weight: 2 });
const jsonValue = fc.letrec((tie) => ({
  leaf: fc.oneof(anyText, fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null)),
  node: fc.oneof(
    { depthSize: "small" },
    tie("leaf"),
    fc.array(tie("node"), { maxLength: 5 }),
    fc.array(anyText, { maxLength: 6 }),
    fc.dictionary(shortText, tie("node"), { maxKeys: 5 }),
  ),
})).node;
/** Masks that keep, lengthen, shorten and add escapes, as LANGFUSE_MASK_PATTERNS can. */
const masks: Record<string, ((s: string) => string) | undefined> = {
  none: undefined,
  lengthens: (s) => s.replace(/a/g, "[masked]"),
  shortens: (s) => s.replace(/[ax]+/g, ""),
  "adds escapes": (s) => s.replace(/b/g, '"\\\n'),
  "adds emoji": (s) => s.replace(/7/g, "😀"),
};

test("the cut equals the reference cut, byte for byte, for any value, cap and mask (fast-check)", () => {
  const out = fc.check(
    fc.property(
      jsonValue,
      fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 80, max: 4000 })),
      fc.constantFrom(...Object.keys(masks)),
      (v, max, maskName) => {
        const mask = masks[maskName];
        const before = JSON.stringify(v);
        const json = truncatedJson(v, max, mask);
        assert.equal(JSON.stringify(v), before, "the value is left as it was");
        assert.equal(json, referenceTruncatedJson(structuredClone(v), max, mask));
      },
    ),
    { numRuns: 1500, seed: 20_261 },
  );
  if (out.failed) throw new Error(`${fc.defaultReportMessage(out)}\n${String(out.errorInstance)}`);
  assert.equal(out.numRuns, 1500);
  console.log(`# truncated JSON equals the reference: ${out.numRuns} cases, seed 20261`);
});

test("a cut through escapes, pairs and lone halves: within the cap, valid JSON, the kept part the text's head", () => {
  for (const unit of ['"', "\\", "\n", "\u0001", "😀", "a😀", "\ud83d", "\ude00", 'é"\\😀\u0002']) {
    const text = unit.repeat(Math.ceil(3000 / unit.length));
    for (let max = 100; max < 140; max++) {
      const json = truncatedJson({ list: [text, "short"], n: 1 }, max);
      assert.ok(json.length <= max, `${JSON.stringify(unit)} at ${max}: ${json.length}`);
      const parsed = JSON.parse(json) as { list: string[]; n: number };
      assert.equal(parsed.list[1], "short");
      const kept = parsed.list[0]!.replace(MARKER, "");
      assert.equal(MARKER.exec(parsed.list[0]!)?.[1], String(text.length));
      assert.ok(text.startsWith(kept), `${JSON.stringify(unit)} at ${max}: the head`);
      assert.ok(!/[\ud800-\udbff]$/.test(kept), "no pair split at the cut");
      assert.equal(json, referenceTruncatedJson({ list: [text, "short"], n: 1 }, max));
    }
  }
});

test("a structure alone past the cap, and a cap below the marker's length, give what the reference gives", () => {
  const wide = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`key${i}`, i % 3 ? i : "text ".repeat(i)]));
  for (const max of [0, 1, 10, 30, 45, 60, 300, 1000]) {
    assert.equal(truncatedJson(wide, max), referenceTruncatedJson(structuredClone(wide), max), `cap ${max}`);
    const messages = [{ role: "user", content: "x".repeat(5000) }];
    assert.equal(truncatedJson(messages, max), referenceTruncatedJson(structuredClone(messages), max), `cap ${max}`);
  }
  const bounded = truncatedJson(wide, 300);
  assert.equal(bounded.length, 300, "cut as text, within the cap");
  assert.match(bounded, MARKER);
});

test("nesting past 32 levels is kept whole, its strings uncut, as the reference keeps it", () => {
  let deep: unknown = ["y".repeat(500)];
  for (let i = 0; i < 40; i++) deep = { child: deep, note: "n".repeat(50) };
  for (const max of [200, 1500, 3000, 10_000])
    assert.equal(truncatedJson(deep, max), referenceTruncatedJson(structuredClone(deep), max), `cap ${max}`);
});
