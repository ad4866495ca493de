import { ProtobufWriter } from "../encoding/protobuf-writer.js";

/**
 * A buffer that grew to at most this many times the pool's capacity is still kept. A batch grows
 * when its last span starts near the cap and is larger than the slack, which spans of tens of
 * kilobytes (long messages at the field cap) nearly always do; refused, each such batch cost a
 * fresh megabyte and V8 a full collection every ~100 ms. A buffer doubles when it grows, so
 * twice the capacity keeps every one grown by a single span.
 */
const MAX_KEPT_GROWTH = 2;

/**
 * Batch buffers, reused. A fresh megabyte costs the process about 4 ms of CPU by the time it
 * has been written and collected (page faults on first touch, then the collector and the
 * allocator returning it), twenty times what writing into a warm one costs: spread over a
 * batch's ~100 turns, that was tens of microseconds a turn. A buffer comes back when the
 * delivery is done with its batch (journaled and sent, or journaled and left for the backlog).
 */
export class BatchBufferPool {
  readonly #free: ProtobufWriter[] = [];

  readonly #capacity: number;
  readonly #maxFree: number;

  /**
   * @param capacity bytes of a fresh buffer (a batch's cap and some slack)
   * @param maxFree buffers kept for reuse; more given back are left to the collector
   */
  constructor(capacity: number, maxFree: number) {
    this.#capacity = capacity;
    this.#maxFree = maxFree;
  }

  /** Bytes of a fresh buffer: what a batch is sized against, whatever a reused buffer grew to. */
  get capacity(): number {
    return this.#capacity;
  }

  take(): ProtobufWriter {
    const w = this.#free.pop();
    if (w) {
      w.pos = 0;
      return w;
    }
    return new ProtobufWriter(this.#capacity);
  }

  /** Hands a buffer back; nothing may read or write it after this. */
  give(w: ProtobufWriter): void {
    // A buffer that grew further (a span of megabytes) is not kept: the pool's memory stays
    // within MAX_KEPT_GROWTH x capacity x maxFree.
    if (this.#free.length < this.#maxFree && w.buf.length <= this.#capacity * MAX_KEPT_GROWTH) this.#free.push(w);
  }

  /** Buffers waiting for reuse. */
  get free(): number {
    return this.#free.length;
  }
}
