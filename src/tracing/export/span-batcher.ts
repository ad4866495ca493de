import type { Encoded, SpanFormat } from "../encoding/span-format.js";
import type { DropReason } from "../tracing-metrics.js";
import type { Scheduler } from "./scheduler.js";

/** A batch ready for the journal: its spans joined, and how many there are. */
export interface SealedBatch<E extends Encoded = Encoded> {
  payload: E;
  count: number;
}

export interface SpanBatcherOptions<E extends Encoded> {
  format: SpanFormat<E>;
  /** Most spans per batch. */
  maxBatchSpans: number;
  /** Most bytes of a batch's payload (the request body less its envelope). */
  maxPayloadBytes: number;
  /** Longest a span waits before its batch is sealed (the crash window). */
  flushIntervalMs: number;
  /** Bound on unsealed span bytes, plus whatever `heldElsewhere` says is held in memory too. */
  maxMemoryBytes: number;
  heldElsewhere?: () => number;
  scheduler: Scheduler;
  /** Receives sealed batches, oldest first. `send` false: journal them, start no send (shutdown without time left). */
  sink: (batches: SealedBatch<E>[], send: boolean) => void;
  onDrop: (spans: number, reason: DropReason) => void;
  onError: (where: string, err: unknown) => void;
}

/**
 * The request path's end of the export: `push` appends an encoded span and at most schedules
 * work. Spans are sealed into batches when a batch is full (by count or bytes) or when the
 * oldest has waited flushIntervalMs, always off the caller's stack.
 */
export class SpanBatcher<E extends Encoded> {
  #pending: E[] = [];
  #pendingBytes = 0;
  #sealScheduled = false;
  #sealTimer: unknown;
  #closed = false;

  constructor(private readonly o: SpanBatcherOptions<E>) {}

  get pendingSpans(): number {
    return this.#pending.length;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Hands one encoded span over. Never throws, never does I/O. */
  push(span: E): void {
    if (this.#closed) {
      this.o.onDrop(1, "shutdown");
      return;
    }
    const bytes = this.o.format.sizeOf(span);
    if (this.#pendingBytes + bytes + (this.o.heldElsewhere?.() ?? 0) > this.o.maxMemoryBytes) {
      this.o.onDrop(1, "queue_full");
      return;
    }
    this.#pending.push(span);
    this.#pendingBytes += bytes;
    if (this.#pending.length >= this.o.maxBatchSpans || this.#pendingBytes >= this.o.maxPayloadBytes) {
      this.#scheduleSeal();
    } else if (this.#sealTimer === undefined)
      this.#sealTimer = this.o.scheduler.setTimeout(() => this.seal(), this.o.flushIntervalMs);
  }

  /** Seals everything pending now. */
  seal(send = true): void {
    this.#sealScheduled = false;
    if (this.#sealTimer !== undefined) {
      this.o.scheduler.clearTimeout(this.#sealTimer);
      this.#sealTimer = undefined;
    }
    if (this.#pending.length === 0) return;
    const spans = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    let batches: SealedBatch<E>[];
    try {
      batches = this.#cut(spans);
    } catch (err) {
      this.o.onError("export_seal", err);
      this.o.onDrop(spans.length, "encode_failed");
      return;
    }
    this.o.sink(batches, send);
  }

  /** Stops taking spans (later pushes are counted as dropped at shutdown). */
  close(): void {
    this.#closed = true;
    if (this.#sealTimer !== undefined) this.o.scheduler.clearTimeout(this.#sealTimer);
    this.#sealTimer = undefined;
  }

  #scheduleSeal(): void {
    if (this.#sealScheduled) return;
    this.#sealScheduled = true;
    this.o.scheduler.defer(() => this.seal());
  }

  /** Cuts spans into batches under both caps (by size first, then exactly by bytes). */
  #cut(spans: E[]): SealedBatch<E>[] {
    const { format, maxBatchSpans, maxPayloadBytes } = this.o;
    const out: SealedBatch<E>[] = [];
    let start = 0;
    let size = 0;
    for (let i = 0; i < spans.length; i++) {
      const n = format.sizeOf(spans[i]!) + 2;
      if (i > start && (i - start >= maxBatchSpans || size + n > maxPayloadBytes)) {
        this.#pushExact(out, spans.slice(start, i));
        start = i;
        size = 0;
      }
      size += n;
    }
    if (start < spans.length) this.#pushExact(out, spans.slice(start));
    return out;
  }

  /** Text can take more bytes than characters: halve until the payload fits in bytes. */
  #pushExact(out: SealedBatch<E>[], spans: E[]): void {
    const payload = this.o.format.join(spans);
    if (spans.length > 1 && this.o.format.byteLength(payload) > this.o.maxPayloadBytes) {
      const half = spans.length >> 1;
      this.#pushExact(out, spans.slice(0, half));
      this.#pushExact(out, spans.slice(half));
      return;
    }
    out.push({ payload, count: spans.length });
  }
}
