import { test } from "node:test";
import assert from "node:assert/strict";
import { FieldSerializer } from "./field-serializer.js";

const full = new FieldSerializer({ maxChars: 1000, captureIo: true });

test("strings pass as they are; numbers and booleans as text; objects as JSON", () => {
  assert.equal(full.io('hello "world"\n'), 'hello "world"\n');
  assert.equal(full.value(42), "42");
  assert.equal(full.value(0.5), "0.5");
  assert.equal(full.value(false), "false");
  assert.equal(full.io({ a: 1, b: [1, "x"], c: null }), '{"a":1,"b":[1,"x"],"c":null}');
  assert.equal(full.io([{ role: "user", content: "hi" }]), '[{"role":"user","content":"hi"}]');
});

test("null and undefined are absent, not the text 'null'", () => {
  assert.equal(full.io(undefined), undefined);
  assert.equal(full.io(null), undefined);
  assert.equal(full.value(undefined), undefined);
  assert.equal(full.value(null), undefined);
});

test("values JSON rejects degrade to readable text instead of throwing", () => {
  const circular: Record<string, unknown> = { name: "loop" };
  circular["self"] = circular;
  assert.equal(full.value(circular), '{"name":"loop","self":"[Circular]"}');
  assert.equal(full.value({ big: 12345678901234567890n }), '{"big":"12345678901234567890"}');
  assert.equal(full.value(7n), "7", "a top-level BigInt reads like a number, not a quoted string");
  const throwing = {
    get boom(): string {
      throw new Error("getter exploded");
    },
  };
  const text = full.value(throwing);
  assert.match(text!, /unserializable: getter exploded/);
  assert.equal(full.value({ toJSON: () => undefined }), "[object Object]");
  // A function has no JSON form either.
  assert.equal(typeof full.value(() => 1), "string");
});

test("longer values are cut to maxChars with a marker giving the original length", () => {
  const s = new FieldSerializer({ maxChars: 100, captureIo: true });
  const long = "a".repeat(100) + "b".repeat(500);
  const cut = s.io(long)!;
  assert.equal(cut, `${"a".repeat(100)}…[truncated by switchboard: 600 chars]`);
  assert.equal(s.io("x".repeat(100)), "x".repeat(100), "exactly maxChars is not cut");
  assert.match(s.value({ list: "y".repeat(200) })!, /truncated by switchboard: 211 chars/);
});

test("captureIo=false: inputs and outputs become their size; metadata values stay", () => {
  const s = new FieldSerializer({ maxChars: 100, captureIo: false });
  assert.equal(s.io("secret message"), '{"captured":false,"chars":14}');
  assert.deepEqual(JSON.parse(s.io({ a: "b" })!), { captured: false, chars: '{"a":"b"}'.length });
  assert.deepEqual(
    JSON.parse(s.io("z".repeat(5000))!),
    { captured: false, chars: 5000 },
    "the size is the original size",
  );
  assert.equal(s.value("billing"), "billing");
  assert.equal(s.io(undefined), undefined);
});
