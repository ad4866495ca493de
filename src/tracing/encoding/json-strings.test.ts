import { test } from "node:test";
import assert from "node:assert/strict";
import { JsonStrings } from "./json-strings.js";
import { stillReachable } from "../../../test/support/reachability.js";

const options = { minCachedChars: 96, maxCachedBytes: 4 * 1024 * 1024 };

test("a text comes back as its JSON string literal in UTF-8, remembered or not", () => {
  const strings = new JsonStrings(options);
  for (const text of ["short", 'a "quoted" line\n', "é".repeat(120), `${"x".repeat(100)}\t"${"ü".repeat(20)}`]) {
    const literal = strings.of(text);
    assert.equal(Buffer.from(literal.bytes).toString("utf8"), JSON.stringify(text));
    assert.equal(literal.chars, JSON.stringify(text).length);
    assert.equal(literal.plain, JSON.stringify(text) === `"${text}"`);
    // Asked again, a remembered text is the same entry.
    if (text.length >= options.minCachedChars) assert.equal(strings.of(text), literal);
  }
});

test("remembered texts keep no slab of Node's shared buffer pool alive", async () => {
  const strings = new JsonStrings(options);
  // Other code's short-lived small buffers, sliced from the same pool between the cache's entries.
  const slabs: WeakRef<object>[] = [];
  let last: ArrayBufferLike | undefined;
  for (let i = 0; i < 500; i++) {
    strings.of(`a reply long enough to be remembered, number ${i} `.padEnd(200, "."));
    const slab = Buffer.allocUnsafe(1000).buffer;
    if (slab !== last) slabs.push(new WeakRef(slab));
    last = slab;
  }
  last = undefined;
  assert.ok(slabs.length > 5, `the test spans several slabs (${slabs.length})`);
  // Two stay: the slab in use when the test began (earlier code's slices live on it) and the
  // current one (Node allocates from it next). Every other one is garbage.
  const held = await stillReachable(slabs);
  assert.ok(held <= 2, `the cache holds ${held} of ${slabs.length} pool slabs`);
});

test("what the cache let go of is freed: the memory of its oldest entries goes with them", async () => {
  const strings = new JsonStrings({ minCachedChars: 96, maxCachedBytes: 64 * 1024 });
  // In a function of its own: a suspended async test could keep its last literal in a register.
  const early = () =>
    Array.from(
      { length: 100 },
      (_, i) => new WeakRef(strings.of(`an early reply, ${i} `.padEnd(200, ".")).bytes.buffer),
    );
  const first: WeakRef<object>[] = early();
  // Ten times the bound of newer texts: every early entry has left the cache.
  for (let i = 0; i < 3000; i++) strings.of(`a later reply, number ${i} `.padEnd(200, "."));
  assert.equal(await stillReachable(first), 0, "an early entry's memory is still held");
});
