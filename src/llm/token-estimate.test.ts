import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { containsCjk, estimateTokens, splitIntoTokens, TokenCounts } from "./token-estimate.js";

describe("token estimate", () => {
  it("counts words and each CJK character, and splits text losslessly", () => {
    for (const [text, tokens] of [
      ["", 0],
      ["hello world", 2],
      ["Where is my order?", 4],
      ["我的订单", 4],
      ["您好，Orders desk。", 6],
      ["  spaced   out  ", 3],
    ] as const) {
      assert.equal(estimateTokens(text), tokens, text);
      assert.equal(splitIntoTokens(text).join(""), text, text);
      assert.equal(splitIntoTokens(text).length, tokens, text);
    }
  });

  it("detects CJK text", () => {
    assert.equal(containsCjk("where is it"), false);
    assert.equal(containsCjk("订单 123"), true);
    assert.equal(containsCjk("カタカナ"), true);
  });
});

describe("splitting text that grows at its end", () => {
  // The simulated replies pad their text filler by filler and re-split only the last piece.
  const text = fc.stringMatching(/^[ a-z.,\n我的订单？]*$/);
  it("appending can only change the last piece", () => {
    // A fixed seed: every run checks the same cases (printed below for a replay).
    const seed = 20_260_414;
    const out = fc.check(
      fc.property(text, text, (before, added) => {
        const pieces = splitIntoTokens(before);
        const last = pieces.pop() ?? "";
        assert.deepEqual([...pieces, ...splitIntoTokens(last + added)], splitIntoTokens(before + added));
      }),
      { numRuns: 2000, seed },
    );
    if (out.failed) throw new Error(fc.defaultReportMessage(out));
    assert.equal(out.numRuns, 2000);
    console.log(`# splitting text that grows at its end: ${out.numRuns} cases, seed ${seed}`);
  });
});

describe("TokenCounts", () => {
  it("counts as estimateTokens does, remembered or not, and holds at most its bound", () => {
    const counts = new TokenCounts(100);
    const texts = [
      "Where is my order?",
      "我的订单",
      "",
      "x ".repeat(40),
      "Where is my order?",
      "y ".repeat(80),
      "我的订单",
      "z".repeat(500),
    ];
    for (const t of [...texts, ...texts]) {
      assert.equal(counts.of(t), estimateTokens(t), t);
      assert.ok(counts.heldChars <= 100, String(counts.heldChars));
    }
  });
});
