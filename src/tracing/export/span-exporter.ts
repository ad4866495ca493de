import type { ProtobufWriter } from "../encoding/protobuf-writer.js";
import type { ExporterStateView } from "../tracing-metrics.js";
import type { DeliveryMetrics } from "./delivery-metrics.js";
import type { BatchJournal } from "./batch-journal.js";
import { BatchDelivery, type BackendState, type BatchDeliveryOptions } from "./batch-delivery.js";
import { REAL_SCHEDULER } from "./scheduler.js";
import { SpanBatcher } from "./span-batcher.js";

export type { BackendState } from "./batch-delivery.js";
export { failureReason } from "./batch-settlement.js";
export { ENVELOPE_ALLOWANCE_BYTES } from "./span-batcher.js";

/** A delivery's options; `metrics` may also watch the exporter (the service's metrics do). */
export interface SpanExporterOptions extends BatchDeliveryOptions {
  /** The service's metrics, or (in the export worker) a recorder of the same calls. */
  metrics: DeliveryMetrics & { observeExporter?(exporter: ExporterStateView): void };
}

/** What the batching side needs; the rest of SpanExporterOptions configures the delivery. */
export type ExporterBatchingOptions = Pick<SpanExporterOptions, "settings" | "metrics" | "faults" | "scheduler">;

/**
 * Encoded spans to Langfuse: the batcher seals pushed spans into batches and the delivery
 * journals and sends them. `push` never waits: sealing, the journal and HTTP run on timers and
 * sockets, never on the stack of the request that pushed. The delivery tests drive it directly.
 */
export class SpanExporter {
  readonly #batcher: SpanBatcher;
  readonly #delivery: BatchDelivery;

  /** Batching and delivery in this thread, as `options` describe them. */
  constructor(options: SpanExporterOptions);
  /** Batching over a delivery already built (the service's, from its export settings). */
  constructor(options: ExporterBatchingOptions, delivery: BatchDelivery);
  constructor(options: SpanExporterOptions | ExporterBatchingOptions, delivery?: BatchDelivery) {
    const scheduler = options.scheduler ?? REAL_SCHEDULER;
    const target = (this.#delivery = delivery ?? new BatchDelivery({ ...(options as SpanExporterOptions), scheduler }));
    this.#batcher = new SpanBatcher({
      settings: options.settings,
      // With a durable journal only unsealed spans count (sealed batches can wait on disk);
      // memory-only, everything held is in memory.
      heldElsewhere: () => (target.journal.durable ? 0 : target.journal.bytes),
      scheduler,
      sink: (batches, send) => target.accept(batches, send),
      onDrop: (spans, reason) => options.metrics.spansDropped.inc({ reason }, spans),
      onError: (where, err) => options.faults.report(where, err),
    });
    options.metrics.observeExporter?.(this);
  }

  /** Where the next span is written (a complete ScopeSpans.spans entry), or null when it is dropped (counted). */
  beginSpan(): ProtobufWriter | null {
    return this.#batcher.begin();
  }

  /** The span written since `beginSpan` is complete. Never throws, never does I/O. */
  commitSpan(): void {
    this.#batcher.commit();
  }

  /** The span written since `beginSpan` is abandoned. */
  abortSpan(): void {
    this.#batcher.abort();
  }

  /** Hands one span already encoded to the pipeline (copied). Never throws, never does I/O. */
  push(span: Uint8Array): void {
    this.#batcher.push(span);
  }

  /** Spans not yet sealed into a batch: what a crash of this thread loses even with a durable journal. */
  get unsealedSpans(): number {
    return this.#batcher.pendingSpans;
  }

  /** Spans not yet delivered or dropped: unsealed, or in the journal. */
  get heldSpans(): number {
    return this.#batcher.pendingSpans + this.#delivery.heldSpans;
  }

  /** Payload bytes held in memory: unsealed spans, and live batches (memory-only: the whole journal). */
  get memoryBytes(): number {
    return this.#batcher.pendingBytes + this.#delivery.memoryBytes;
  }

  get journal(): BatchJournal {
    return this.#delivery.journal;
  }

  get backendState(): BackendState {
    return this.#delivery.backendState;
  }

  /** Seals what is pending and sends what the live lane holds, waiting up to `timeoutMs`. */
  async forceFlush(timeoutMs: number): Promise<void> {
    // No time to wait for an answer: starting a send now would only leave its outcome unknown.
    this.#batcher.seal(timeoutMs > 0);
    await this.#delivery.forceFlush(timeoutMs);
  }

  /**
   * Seals and flushes within `timeoutMs`, then cuts what is still in flight. With a durable
   * journal everything undelivered stays there for the next start; without one it is counted as
   * dropped.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.#batcher.seal(timeoutMs > 0);
    this.#batcher.close();
    await this.#delivery.shutdown(timeoutMs);
  }
}
