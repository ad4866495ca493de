import { test } from "node:test";
import assert from "node:assert/strict";
import { deadline } from "./deadline.js";

test("a deadline aborts like AbortSignal.timeout, and not at all once cleared", async () => {
  const reference = AbortSignal.timeout(20);
  const bounded = deadline(20);
  const cleared = deadline(20);
  cleared.clear();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(bounded.signal.aborted, true);
  const [got, expected] = [bounded.signal.reason as DOMException, reference.reason as DOMException];
  assert.ok(got instanceof DOMException && got instanceof Error);
  assert.deepEqual([got.name, got.message, got.code], [expected.name, expected.message, expected.code]);
  assert.equal(cleared.signal.aborted, false);
});
