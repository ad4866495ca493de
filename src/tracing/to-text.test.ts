import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { truncatedJson } from "./field-truncation.js";
import { asJsonValue, plainJsonMinChars, toJsonValue } from "./to-text.js";

test("plain JSON data: its JSON is at least what plainJsonMinChars says, and it is cut as its JSON round trip is (fast-check)", () => {
  const out = fc.check(
    fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 600 }), (v, max) => {
      const chars = plainJsonMinChars(v);
      assert.notEqual(chars, undefined, "JSON data is plain");
      assert.ok(chars! <= JSON.stringify(v).length, `${chars} > ${JSON.stringify(v).length}`);
      // A string is read as the JSON it may hold; the encoder cuts strings as text before this.
      if (typeof v === "string") return assert.deepEqual(asJsonValue(v), toJsonValue(v));
      assert.equal(asJsonValue(v), v, "taken as it is");
      assert.equal(truncatedJson(v, max), truncatedJson(toJsonValue(v), max));
    }),
    { numRuns: 500, seed: 20_262 },
  );
  if (out.failed) throw new Error(`${fc.defaultReportMessage(out)}\n${String(out.errorInstance)}`);
  assert.equal(out.numRuns, 500);
});

test("anything JSON.stringify would change is not plain, and is made plain by its JSON", () => {
  class Message {
    content = "hi";
  }
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic["self"] = cyclic;
  let deep: unknown = "leaf";
  for (let i = 0; i < 40; i++) deep = [deep];
  const notPlain: [string, unknown][] = [
    ["undefined", undefined],
    ["a class instance", new Message()],
    ["a Date", new Date(0)],
    ["toJSON", { toJSON: () => "x" }],
    ["an undefined value", { a: undefined }],
    ["a hole", new Array<number>(3)],
    ["NaN", [Number.NaN]],
    ["Infinity", { n: Number.POSITIVE_INFINITY }],
    ["a function", { f: () => 1 }],
    ["a bigint", { n: 1n }],
    ["a Map", new Map([["a", 1]])],
    ["a cycle", cyclic],
    ["nesting past 32", deep],
  ];
  for (const [what, value] of notPlain) assert.equal(plainJsonMinChars(value), undefined, what);
  assert.deepEqual(asJsonValue({ m: new Message(), d: new Date(0) }), {
    m: { content: "hi" },
    d: "1970-01-01T00:00:00.000Z",
  });
  assert.equal(
    plainJsonMinChars(Object.assign(Object.create(null) as object, { a: "b" })),
    9,
    "a null-prototype object is plain",
  );
});
