import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { truncatedJson } from "./field-truncation.js";
import { asJsonValue, jsonData, toJsonValue } from "./to-text.js";

class Snapshot {
  constructor(data: object) {
    Object.assign(this, data);
  }
}
/** LangChain's messages serialize this way: toJSON, given the key it is read under. */
const viaToJson = (data: unknown) => ({ kind: "ignored", toJSON: (key: string) => ({ key, data }) });

/** Values as callers hand them over: plain data, and what JSON.stringify reads its own way. */
const callerValue = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string({ maxLength: 400 }),
    fc.string({ maxLength: 20 }).map((s) => `"\\\n😀${s}`.repeat(30)),
    fc.integer(),
    fc.constantFrom(-0, 1.5e300, Number.NaN, Number.POSITIVE_INFINITY, true, false, null),
    fc.constantFrom(undefined, () => 1, Symbol("s"), new Date(0)),
  ),
  node: fc.oneof(
    { depthSize: "small" },
    tie("leaf"),
    fc.array(tie("node"), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("node"), { maxKeys: 5 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("node"), { maxKeys: 4 }).map((d) => new Snapshot(d)),
    tie("node").map(viaToJson),
  ),
})).node;

test("jsonData reads any object as its JSON round trip does, and is cut the same (fast-check)", () => {
  const out = fc.check(
    fc.property(
      callerValue.filter((v) => typeof v === "object" && v !== null),
      fc.integer({ min: 0, max: 800 }),
      (v, max) => {
        const data = jsonData(v as object);
        assert.ok(data, "read as data");
        const json = JSON.stringify(v);
        assert.equal(JSON.stringify(data.value), json, "the same JSON");
        assert.ok(data.minChars <= json.length, `${data.minChars} > ${json.length}`);
        assert.equal(truncatedJson(data.value, max), truncatedJson(toJsonValue(v), max));
        assert.equal(JSON.stringify(v), json, "the value is left as it was");
      },
    ),
    { numRuns: 600, seed: 20_262 },
  );
  if (out.failed) throw new Error(`${fc.defaultReportMessage(out)}\n${String(out.errorInstance)}`);
  assert.equal(out.numRuns, 600);
});

test("plain data is taken as it is, and only what JSON reads differently is copied", () => {
  const plain = { messages: [{ role: "user", content: "hi" }], n: 1 };
  assert.equal(jsonData(plain)!.value, plain);
  const mixed = { plain: plain.messages, dated: { at: new Date(0) } };
  const data = jsonData(mixed)!.value as typeof mixed;
  assert.equal(data.plain, plain.messages, "the plain part is not copied");
  assert.deepEqual({ ...data.dated }, { at: "1970-01-01T00:00:00.000Z" });
  assert.equal(JSON.stringify(jsonData(JSON.parse('{"__proto__":{"a":1}}') as object)!.value), '{"__proto__":{"a":1}}');
  assert.equal(JSON.stringify(jsonData({ __proto__: null, x: [undefined] } as object)!.value), '{"x":[null]}');
});

test("what only JSON text can tell goes through it: bigints, boxed primitives, cycles, deep nesting, a throwing toJSON", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic["self"] = cyclic;
  let deep: unknown = "leaf";
  for (let i = 0; i < 40; i++) deep = [deep];
  const textOnly: [string, object][] = [
    ["a bigint", { n: 1n }],
    ["a boxed number", { n: Object(1) as object }],
    ["a boxed string", [Object("s") as object]],
    ["a cycle", cyclic],
    ["nesting past 32", deep as object],
    [
      "a toJSON that throws",
      {
        toJSON() {
          throw new Error("no");
        },
      },
    ],
  ];
  for (const [what, value] of textOnly) {
    assert.equal(jsonData(value), undefined, what);
    assert.deepEqual(asJsonValue(value), toJsonValue(value), what);
  }
  assert.deepEqual(asJsonValue('{"a":1}'), toJsonValue('{"a":1}'), "a string is read as the JSON it holds");
});
