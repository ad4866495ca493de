import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { normalizeFinishReason, RecordedModelOptions } from "./model-options.js";

describe("model options", () => {
  it("maps providers' finish reasons to OpenAI's: length, content_filter, else stop", () => {
    assert.equal(normalizeFinishReason("length"), "length");
    assert.equal(normalizeFinishReason("max_tokens"), "length");
    assert.equal(normalizeFinishReason("content_filter"), "content_filter");
    for (const other of ["stop", "tool_calls", "eos", 3, {}]) assert.equal(normalizeFinishReason(other), "stop");
  });

  it("RecordedModelOptions keeps the last finish reason given and ignores chunks without one", () => {
    const options = new RecordedModelOptions({ maxTokens: 3 });
    assert.equal(options.finishReason, "stop");
    options.onFinish("length");
    options.onFinish(undefined);
    options.onFinish(null);
    assert.equal(options.finishReason, "length");
    assert.deepEqual(options.params, { maxTokens: 3 });
  });
});
