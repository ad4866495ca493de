import { test } from "node:test";
import assert from "node:assert/strict";
import { newTraceId } from "./ids.js";
import { keepRule, sampledIn } from "./sampling.js";

test("failed, cut-short, clarifying and slow turns are kept by rule; ordinary ones are not", () => {
  const ordinary = { flagged: undefined, clarification: false, durationMs: 100, keepSlowerThanMs: 1000 };
  assert.equal(keepRule(ordinary), undefined);
  assert.equal(keepRule({ ...ordinary, flagged: "error" }), "error");
  assert.equal(keepRule({ ...ordinary, flagged: "warning" }), "warning");
  assert.equal(keepRule({ ...ordinary, clarification: true }), "clarification");
  assert.equal(keepRule({ ...ordinary, durationMs: 1001 }), "slow");
  assert.equal(keepRule({ ...ordinary, durationMs: 1000 }), undefined, "longer than, not as long as");
});

test("sampling by trace id: the same decision for the same id, about the rate of ids kept", () => {
  const id = newTraceId();
  assert.equal(sampledIn(id, 0.5), sampledIn(id, 0.5));
  assert.equal(sampledIn("0".repeat(32), 0.01), true);
  assert.equal(sampledIn("f".repeat(32), 0.99), false);
  assert.equal(sampledIn(id, 0), false);
  assert.equal(sampledIn(id, 1), true);
  let kept = 0;
  for (let i = 0; i < 100_000; i++) if (sampledIn(newTraceId(), 0.01)) kept++;
  assert.ok(kept > 800 && kept < 1200, `${kept} of 100,000 at 1 %`);
});
