import type { ProtobufWriter } from "../encoding/protobuf-writer.js";
import type { Encoded } from "../encoding/span-format.js";
import type { DropReason } from "../tracing-metrics.js";
import { BatchBufferPool } from "./batch-buffer-pool.js";
import type { TracingSettings } from "../tracing-options.js";
import type { Scheduler } from "./scheduler.js";

/** A batch ready for the journal: its payload, and how many items (spans, scores) it holds. */
export interface SealedBatch {
  payload: Encoded;
  count: number;
  /**
   * Called once the payload is no longer needed (journaled and sent, or journaled and left to
   * the backlog): its buffer is reused. Nothing may read the payload after it.
   */
  release(): void;
}

export interface SpanBatcherOptions {
  /**
   * The tracing settings, whole. Read here: `flushAt` (most spans per batch), `maxBatchBytes`
   * (most bytes per request body: a batch's payload keeps ENVELOPE_ALLOWANCE_BYTES of it free),
   * `flushIntervalMs` (longest a span waits before its batch is sealed: the crash window) and
   * `maxQueueBytes` (bound on unsealed span bytes, plus whatever `heldElsewhere` says is held in
   * memory too).
   */
  settings: TracingSettings;
  heldElsewhere?: () => number;
  scheduler: Scheduler;
  /** Receives sealed batches, oldest first. `send` false: journal them, start no send (shutdown without time left). */
  sink: (batches: SealedBatch[], send: boolean) => void;
  onDrop: (spans: number, reason: DropReason) => void;
  onError: (where: string, err: unknown) => void;
}

/** The envelope's share of a request body, kept free when cutting batches. */
export const ENVELOPE_ALLOWANCE_BYTES = 1024;

/** A batch's buffer is allocated this much larger than its cap: the span that fills it fits without a copy. */
const SLACK_BYTES = 64 * 1024;
/** Past this a batch's buffer grows as it fills instead of being allocated at its cap. */
const MAX_INITIAL_BYTES = 2 * 1024 * 1024;
/** Buffers kept for reuse: the open batch, the ones being sent, one waiting. */
const POOLED_BUFFERS = 4;
/**
 * A batch that fills less than this share of its buffer is copied into one of its own size when
 * sealed, and the big buffer goes back to the pool at once. Sealed by the flush interval at a few
 * turns a second, a batch of a hundred kilobytes otherwise holds a megabyte for as long as it is
 * held: while Langfuse hangs, the live lane held twenty such batches (20 MB for 4 MB of payload)
 * until the first attempt timed out. A fuller batch is kept as it is; the copy then saves little.
 */
const COMPACT_BELOW_SHARE = 0.5;

/**
 * The request path's end of the export. Spans are written straight into the open batch's
 * buffer (`begin`, then `commit` or `abort`): no buffer per span and no join when the batch is
 * sealed, which happens when it is full (by count or bytes) or when its oldest span has waited
 * flushIntervalMs, always off the caller's stack. A sealed batch's payload is a view of the
 * buffer it was written in; a new batch gets a buffer of its own.
 */
export class SpanBatcher {
  readonly #options: SpanBatcherOptions;
  /** Most bytes of a batch's payload: the request body less its envelope. */
  readonly #maxPayloadBytes: number;
  readonly #maxMemoryBytes: number;
  readonly #pool: BatchBufferPool;
  #w: ProtobufWriter | null = null;
  #count = 0;
  /** Batches already full, handed to the sink on the next turn of the loop. */
  #full: SealedBatch[] = [];
  #fullBytes = 0;
  /** Where the span being written starts, or -1. */
  #spanStart = -1;
  #sealScheduled = false;
  #sealTimer: unknown;
  #closed = false;

  constructor(options: SpanBatcherOptions) {
    this.#options = options;
    this.#maxPayloadBytes = options.settings.maxBatchBytes - ENVELOPE_ALLOWANCE_BYTES;
    this.#maxMemoryBytes = options.settings.maxQueueBytes;
    this.#pool = new BatchBufferPool(Math.min(this.#maxPayloadBytes, MAX_INITIAL_BYTES) + SLACK_BYTES, POOLED_BUFFERS);
  }

  get pendingSpans(): number {
    let spans = this.#count;
    for (const batch of this.#full) spans += batch.count;
    return spans;
  }

  get pendingBytes(): number {
    return (this.#w?.pos ?? 0) + this.#fullBytes;
  }

  /**
   * Where the next span is written, or null when it must be dropped (counted): after shutdown,
   * or with memory at its bound. Never throws, never does I/O.
   */
  begin(): ProtobufWriter | null {
    if (this.#closed) {
      this.#options.onDrop(1, "shutdown");
      return null;
    }
    if (this.pendingBytes + (this.#options.heldElsewhere?.() ?? 0) >= this.#maxMemoryBytes) {
      this.#options.onDrop(1, "queue_full");
      return null;
    }
    const w = (this.#w ??= this.#pool.take());
    // A span begun and never committed or aborted is not kept.
    if (this.#spanStart >= 0) w.pos = this.#spanStart;
    this.#spanStart = w.pos;
    return w;
  }

  /** The span written since `begin` is complete. */
  commit(): void {
    const w = this.#w;
    if (!w || this.#spanStart < 0) return;
    const start = this.#spanStart;
    this.#spanStart = -1;
    // The bound holds to the byte: a span that took memory past it is not kept.
    if (this.pendingBytes + (this.#options.heldElsewhere?.() ?? 0) > this.#maxMemoryBytes) {
      w.pos = start;
      this.#options.onDrop(1, "queue_full");
      return;
    }
    if (w.pos > this.#maxPayloadBytes && this.#count > 0) {
      // The span does not fit: the batch is full without it, and it starts the next one.
      const next = this.#pool.take();
      next.bytes(w.buf.subarray(start, w.pos));
      w.pos = start;
      this.#closeBatch();
      this.#scheduleSeal();
      this.#w = next;
    }
    this.#count++;
    if (this.#count >= this.#options.settings.flushAt || this.#w!.pos >= this.#maxPayloadBytes) {
      this.#closeBatch();
      this.#scheduleSeal();
    } else if (this.#sealTimer === undefined)
      this.#sealTimer = this.#options.scheduler.setTimeout(() => this.seal(), this.#options.settings.flushIntervalMs);
  }

  /** The open batch is full: it waits, closed, for the sink; the next span opens a new one. */
  #closeBatch(): void {
    const batch = this.#sealed(this.#w!, this.#w!.pos, this.#count);
    this.#full.push(batch);
    this.#fullBytes += batch.payload.length;
    this.#w = null;
    this.#count = 0;
  }

  /** The span written since `begin` is abandoned. */
  abort(): void {
    if (this.#w && this.#spanStart >= 0) this.#w.pos = this.#spanStart;
    this.#spanStart = -1;
  }

  /** One span already encoded (a complete ScopeSpans.spans entry), copied in. */
  push(span: Uint8Array): void {
    const w = this.begin();
    if (!w) return;
    w.bytes(span);
    this.commit();
  }

  /** Seals everything pending now. */
  seal(send = true): void {
    this.#sealScheduled = false;
    if (this.#sealTimer !== undefined) {
      this.#options.scheduler.clearTimeout(this.#sealTimer);
      this.#sealTimer = undefined;
    }
    const batches = this.#full;
    this.#full = [];
    this.#fullBytes = 0;
    // Spans are written within one call on the request path, never across a seal: a span
    // still open here was abandoned without an abort, and is not kept.
    if (this.#w && this.#spanStart >= 0) this.#w.pos = this.#spanStart;
    this.#spanStart = -1;
    const w = this.#w;
    if (w && this.#count > 0) {
      batches.push(this.#sealed(w, w.pos, this.#count));
      this.#count = 0;
      this.#w = null;
    }
    if (batches.length === 0) return;
    try {
      this.#options.sink(batches, send);
    } catch (err) {
      this.#options.onError("export_seal", err);
    }
  }

  /** Stops taking spans (later ones are counted as dropped at shutdown). */
  close(): void {
    this.#closed = true;
    if (this.#sealTimer !== undefined) this.#options.scheduler.clearTimeout(this.#sealTimer);
    this.#sealTimer = undefined;
  }

  /**
   * The first `end` bytes of `w` as a sealed batch, whose release gives `w` back to the pool; a
   * small one as a copy, `w` given back now (COMPACT_BELOW_SHARE).
   */
  #sealed(w: ProtobufWriter, end: number, count: number): SealedBatch {
    // Against the pool's capacity, not the buffer's: a reused buffer that once grew would
    // otherwise have every full batch copied.
    if (end < this.#pool.capacity * COMPACT_BELOW_SHARE) {
      const payload = Buffer.allocUnsafeSlow(end);
      w.buf.copy(payload, 0, 0, end);
      this.#pool.give(w);
      return { payload, count, release: () => {} };
    }
    let released = false;
    return {
      payload: w.buf.subarray(0, end),
      count,
      release: () => {
        if (released) return;
        released = true;
        this.#pool.give(w);
      },
    };
  }

  #scheduleSeal(): void {
    if (this.#sealScheduled) return;
    this.#sealScheduled = true;
    this.#options.scheduler.defer(() => this.seal());
  }
}
