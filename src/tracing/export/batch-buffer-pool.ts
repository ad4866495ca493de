import { ProtobufWriter } from "../encoding/protobuf-writer.js";

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
   * @param capacity bytes of each buffer (a batch's cap and some slack)
   * @param maxFree buffers kept for reuse; more given back are left to the collector
   */
  constructor(capacity: number, maxFree: number) {
    this.#capacity = capacity;
    this.#maxFree = maxFree;
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
    // A buffer that grew for one huge span is not kept: the pool's memory stays capacity x maxFree.
    if (this.#free.length < this.#maxFree && w.buf.length <= this.#capacity) this.#free.push(w);
  }

  /** Buffers waiting for reuse. */
  get free(): number {
    return this.#free.length;
  }
}
