import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { containsCjk, estimateTokens, splitIntoTokens } from "./token-estimate.js";

describe("token estimate", () => {
  it("counts words and each CJK character, and splits text losslessly", () => {
    for (const [text, tokens] of [["", 0], ["hello world", 2], ["Where is my order?", 4], ["我的订单", 4], ["您好，Orders desk。", 6], ["  spaced   out  ", 3]] as const) {
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
