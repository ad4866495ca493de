import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { isReservedSessionId } from "./reserved-session-id.js";

test("every name Object.prototype has, and prototype, is reserved; ordinary session ids are not", () => {
  for (const name of Object.getOwnPropertyNames(Object.prototype)) assert.equal(isReservedSessionId(name), true, name);
  for (const name of ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "prototype"])
    assert.equal(isReservedSessionId(name), true, name);
  for (const id of [randomUUID(), "s1", "Constructor", "proto", "__proto", "toString2", "openai:alice"])
    assert.equal(isReservedSessionId(id), false, id);
});
