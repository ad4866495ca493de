import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BatchBufferPool } from "./batch-buffer-pool.js";

describe("BatchBufferPool", () => {
  it("reuses a buffer given back, rewound", () => {
    const pool = new BatchBufferPool(1024, 2);
    const w = pool.take();
    w.bytes(new Uint8Array(100));
    pool.give(w);
    const again = pool.take();
    assert.equal(again, w);
    assert.equal(again.pos, 0);
  });

  it("keeps a buffer that grew once for a batch's last span, not one grown further", () => {
    const pool = new BatchBufferPool(1024, 2);
    const once = pool.take();
    once.bytes(new Uint8Array(1500)); // doubles to 2048: twice the capacity
    assert.equal(once.buf.length, 2048);
    pool.give(once);
    assert.equal(pool.free, 1);
    assert.equal(pool.take(), once);

    const huge = pool.take();
    huge.bytes(new Uint8Array(5000));
    pool.give(huge);
    assert.equal(pool.free, 0);
    assert.notEqual(pool.take(), huge);
    assert.equal(pool.capacity, 1024);
  });

  it("keeps at most maxFree buffers", () => {
    const pool = new BatchBufferPool(1024, 2);
    const taken = [pool.take(), pool.take(), pool.take()];
    for (const w of taken) pool.give(w);
    assert.equal(pool.free, 2);
  });
});
