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
