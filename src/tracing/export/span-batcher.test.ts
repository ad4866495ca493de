// The batcher hands every full batch to the sink on the next turn of the loop, however the batch
// filled: by span count, by bytes, or by a span that did not fit and opened the next one. A full
// batch left for the flush timer piles up under a burst and trips the memory bound (seen: eight
// full 1 MB batches waiting, spans dropped as queue_full with the journal on).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Scheduler } from "./scheduler.js";
import { resolveTracingOptions } from "../tracing-options.js";
import { ENVELOPE_ALLOWANCE_BYTES, SpanBatcher, type SealedBatch } from "./span-batcher.js";

function harness(maxPayloadBytes: number, maxMemoryBytes = 64 * 1024 * 1024) {
  const deferred: Array<() => void> = [];
  const timers: Array<() => void> = [];
  const scheduler: Scheduler = {
    now: () => 0,
    setTimeout: (fn) => timers.push(fn),
    clearTimeout: () => {},
    defer: (fn) => void deferred.push(fn),
  };
  const sealed: SealedBatch[] = [];
  const drops: string[] = [];
  const batcher = new SpanBatcher({
    settings: resolveTracingOptions({
      flushAt: 1000,
      maxBatchBytes: maxPayloadBytes + ENVELOPE_ALLOWANCE_BYTES,
      flushIntervalMs: 1000,
      maxQueueBytes: maxMemoryBytes,
    }),
    scheduler,
    sink: (batches) => sealed.push(...batches),
    onDrop: (n, reason) => drops.push(`${n} ${reason}`),
    onError: (where, err) => assert.fail(`${where}: ${String(err)}`),
  });
  const runDeferred = () => {
    while (deferred.length) deferred.shift()!();
  };
  return { batcher, sealed, drops, runDeferred, timers };
}

test("a batch closed by a span that did not fit is sealed on the next turn, not at the flush timer", () => {
  const h = harness(1000);
  const span = new Uint8Array(300).fill(7);
  for (let i = 0; i < 4; i++) h.batcher.push(span); // the fourth does not fit: 900 + 300 > 1000
  h.runDeferred();
  assert.ok(h.sealed.length >= 1, "the full batch went to the sink without the timer");
  assert.equal(h.sealed[0]!.count, 3, "the span that did not fit is not in it");
  assert.equal(h.sealed[0]!.payload.length, 900);
  assert.equal(h.sealed.reduce((n, b) => n + b.count, 0) + h.batcher.pendingSpans, 4);
});

test("a burst of many batches between two turns of the loop stays under the memory bound once sealed", () => {
  const h = harness(10_000, 100_000);
  const span = new Uint8Array(3_000).fill(1);
  for (let turn = 0; turn < 50; turn++) {
    for (let i = 0; i < 20; i++) h.batcher.push(span); // 60 KB a turn: six batches
    h.runDeferred();
  }
  assert.deepEqual(h.drops, [], "nothing dropped: full batches left memory every turn");
  assert.equal(h.sealed.reduce((n, b) => n + b.count, 0) + h.batcher.pendingSpans, 1000);
});

test("a batch sealed small holds memory of its own size, and its big buffer serves the next batch at once", () => {
  const h = harness(100_000);
  const span = new Uint8Array(2_000).fill(3);
  h.batcher.push(span);
  const writer = h.batcher.begin()!;
  h.batcher.abort();
  h.timers.shift()!(); // the flush interval seals a batch of 2 KB in a buffer of ~160 KB
  const small = h.sealed[0]!;
  assert.equal(small.payload.length, 2_000);
  assert.equal((small.payload as Buffer).buffer.byteLength, 2_000, "a copy of its own size, not a view");
  assert.deepEqual([...(small.payload as Buffer).subarray(0, 3)], [3, 3, 3]);
  assert.equal(h.batcher.begin(), writer, "the big buffer went back to the pool when the batch was sealed");
  h.batcher.abort();
});

test("a batch that fills most of its buffer is sealed as a view of it, which comes back on release", () => {
  const h = harness(100_000);
  const span = new Uint8Array(10_000).fill(5);
  for (let i = 0; i < 9; i++) h.batcher.push(span);
  const writer = h.batcher.begin()!;
  h.batcher.abort();
  h.timers.shift()!();
  const full = h.sealed[0]!;
  assert.equal(full.payload.length, 90_000);
  assert.equal((full.payload as Buffer).buffer, writer.buf.buffer, "no copy");
  assert.notEqual(h.batcher.begin(), writer, "held by the batch until released");
  h.batcher.abort();
  full.release();
  for (let i = 0; i < 9; i++) h.batcher.push(span);
  h.timers.shift()!();
  assert.equal(h.sealed.length, 2);
  assert.equal(h.batcher.begin(), writer, "back in the pool once released");
  h.batcher.abort();
});
