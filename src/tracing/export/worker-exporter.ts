import { Worker } from "node:worker_threads";
import type { Encoded, SpanFormat } from "../encoding/span-format.js";
import type { FaultReporter, TracingLogger } from "../fault-reporter.js";
import type { TracingMetrics } from "../tracing-metrics.js";
import type { BackendState } from "./batch-delivery.js";
import { applyDeltas, type MetricDeltas } from "./delivery-metrics.js";
import type { DeliveryState, FromWorker, ToWorker } from "./export-worker-protocol.js";
import type { ExportSettings } from "./export-settings.js";
import { REAL_SCHEDULER } from "./scheduler.js";
import { SpanBatcher, type SealedBatch } from "./span-batcher.js";
import { ENVELOPE_ALLOWANCE_BYTES } from "./span-exporter.js";
import type { TraceExporter } from "./trace-exporter.js";

export interface WorkerExporterOptions {
  settings: ExportSettings;
  format: SpanFormat<string> | SpanFormat<Uint8Array>;
  metrics: TracingMetrics;
  faults: FaultReporter;
  logger: TracingLogger;
}

/** A worker that dies is started again this many times in a row at most, this far apart. */
const MAX_RESTARTS = 5;
const RESTART_DELAY_MS = 1000;
/** How long a /metrics scrape waits for the worker's latest counts before using what it has. */
const SYNC_TIMEOUT_MS = 200;
/** Extra time for the worker to answer after its own shutdown deadline. */
const SHUTDOWN_MARGIN_MS = 2000;

/**
 * The main thread's end of the export: batching stays here (it is what `push` feeds), and sealed
 * batches go to the export worker, which journals and sends them. Byte payloads (OTLP/protobuf)
 * are transferred, not copied. The worker's metrics arrive as deltas and are applied to the
 * service's registry; a /metrics scrape first asks for the latest.
 */
export class WorkerExporter implements TraceExporter {
  readonly #o: WorkerExporterOptions;
  readonly #batcher: SpanBatcher<Encoded>;
  #worker: Worker | null = null;
  #ready = false;
  /** Batches sealed while the worker is starting (or restarting). */
  #queued: { batches: SealedBatch[]; send: boolean }[] = [];
  #queuedSpans = 0;
  #queuedBytes = 0;
  #state: DeliveryState;
  /** Spans and bytes posted and not yet counted in a state from the worker, by message sequence. */
  readonly #inTransit = new Map<number, { spans: number; bytes: number }>();
  /** Resolves when the current worker is ready for messages (requests wait for it). */
  #readyWait: Promise<void> = Promise.resolve();
  #onReady: () => void = () => {};
  #seq = 0;
  #nextId = 1;
  readonly #replies = new Map<number, (message: Extract<FromWorker, { type: "done" | "state" }>) => void>();
  #restarts = 0;
  #closing = false;
  #sync: Promise<void> | null = null;

  constructor(options: WorkerExporterOptions) {
    this.#o = options;
    const { settings } = options;
    this.#state = { heldSpans: 0, memoryBytes: 0, journalBytes: 0, journalEntries: 0, durable: settings.spoolDir !== null, backendState: "up", seq: 0 };
    this.#batcher = new SpanBatcher<Encoded>({
      format: options.format as SpanFormat<Encoded>,
      maxBatchSpans: settings.maxBatchSpans,
      maxPayloadBytes: settings.maxBatchBytes - ENVELOPE_ALLOWANCE_BYTES,
      flushIntervalMs: settings.flushIntervalMs,
      maxMemoryBytes: settings.maxMemoryBytes,
      heldElsewhere: () => (this.#state.durable ? 0 : this.#state.memoryBytes + this.#transit().bytes + this.#queuedBytes),
      scheduler: REAL_SCHEDULER,
      sink: (batches, send) => this.#post(batches, send),
      onDrop: (spans, reason) => options.metrics.spansDropped.inc({ reason }, spans),
      onError: (where, err) => options.faults.report(where, err),
    });
    options.metrics.observeExporter(this);
    this.#start();
  }

  push(span: Encoded): void {
    this.#batcher.push(span);
  }

  // ---- what /metrics shows (ExporterStateView) ----

  get heldSpans(): number {
    return this.#batcher.pendingSpans + this.#queuedSpans + this.#transit().spans + this.#state.heldSpans;
  }

  get memoryBytes(): number {
    return this.#batcher.pendingBytes + this.#queuedBytes + this.#transit().bytes + this.#state.memoryBytes;
  }

  /** Resolves once the worker has opened the journal and takes batches (or after `timeoutMs`). */
  async ready(timeoutMs: number): Promise<void> {
    await Promise.race([this.#readyWait, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  #transit(): { spans: number; bytes: number } {
    let spans = 0;
    let bytes = 0;
    for (const t of this.#inTransit.values()) {
      spans += t.spans;
      bytes += t.bytes;
    }
    return { spans, bytes };
  }

  get journal(): { bytes: number; entries: number; durable: boolean } {
    return { bytes: this.#state.journalBytes, entries: this.#state.journalEntries, durable: this.#state.durable };
  }

  get backendState(): BackendState {
    return this.#state.backendState;
  }

  /** The worker's latest counts, for a scrape: one round trip however many metrics ask. */
  sync(): Promise<void> {
    if (!this.#worker || !this.#ready) return Promise.resolve();
    this.#sync ??= this.#request({ type: "sync", id: 0 }, SYNC_TIMEOUT_MS).finally(() => setImmediate(() => (this.#sync = null)));
    return this.#sync;
  }

  async forceFlush(timeoutMs: number): Promise<void> {
    this.#batcher.seal(timeoutMs > 0);
    await this.#request({ type: "flush", id: 0, timeoutMs }, timeoutMs + SHUTDOWN_MARGIN_MS);
  }

  async shutdown(timeoutMs: number): Promise<void> {
    if (this.#closing) return;
    this.#batcher.seal(timeoutMs > 0);
    this.#batcher.close();
    this.#closing = true;
    try {
      await this.#request({ type: "shutdown", id: 0, timeoutMs }, timeoutMs + SHUTDOWN_MARGIN_MS);
    } finally {
      const worker = this.#worker;
      this.#worker = null;
      await worker?.terminate();
      // Whatever never reached a worker (it was down to the end) is lost: counted.
      if (this.#queuedSpans > 0) this.#o.metrics.spansDropped.inc({ reason: "shutdown" }, this.#queuedSpans);
      this.#queued = [];
      this.#queuedSpans = 0;
      this.#queuedBytes = 0;
    }
  }

  // ---- the worker ----

  #start(): void {
    const worker = new Worker(new URL("./export-worker.js", import.meta.url), { workerData: this.#o.settings });
    this.#worker = worker;
    this.#ready = false;
    this.#readyWait = new Promise((resolve) => (this.#onReady = resolve));
    worker.unref();
    worker.on("message", (message: FromWorker) => this.#onMessage(message));
    worker.on("error", (err) => this.#o.faults.report("export_worker", err));
    worker.on("exit", (code) => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      this.#ready = false;
      for (const [id, resolve] of this.#replies) {
        this.#replies.delete(id);
        resolve({ type: "done", id, state: this.#state, deltas: EMPTY_DELTAS });
      }
      if (this.#closing) return;
      this.#o.faults.report("export_worker", new Error(`tracing export worker exited (code ${code}); starting it again`));
      // Batches it held in memory and had not journaled are gone; journaled ones are replayed.
      this.#inTransit.clear();
      if (++this.#restarts <= MAX_RESTARTS) setTimeout(() => this.#closing || this.#start(), RESTART_DELAY_MS).unref();
      else this.#o.logger.error({ restarts: MAX_RESTARTS }, "tracing export worker keeps failing; traces are no longer exported until a restart");
    });
  }

  #onMessage(message: FromWorker): void {
    switch (message.type) {
      case "ready":
        this.#ready = true;
        // A fresh worker counts from zero; what a dead one had in transit is in its journal or gone.
        this.#seq = 0;
        this.#inTransit.clear();
        this.#state = message.state;
        for (const { batches, send } of this.#queued.splice(0)) this.#send(batches, send);
        this.#queuedSpans = 0;
        this.#queuedBytes = 0;
        this.#onReady();
        return;
      case "log":
        this.#o.logger[message.level](message.obj, message.msg);
        return;
      case "state":
      case "done":
        this.#restarts = 0;
        this.#apply(message.state, message.deltas);
        if (message.id !== undefined) {
          const resolve = this.#replies.get(message.id);
          this.#replies.delete(message.id);
          resolve?.(message);
        }
        return;
    }
  }

  #apply(state: DeliveryState, deltas: MetricDeltas): void {
    this.#state = state;
    // Batches the worker had taken when it computed this state are counted in it now.
    for (const seq of this.#inTransit.keys()) if (seq <= state.seq) this.#inTransit.delete(seq);
    applyDeltas(this.#o.metrics, deltas);
  }

  #post(batches: SealedBatch[], send: boolean): void {
    if (this.#worker && this.#ready) this.#send(batches, send);
    else {
      this.#queued.push({ batches, send });
      for (const b of batches) {
        this.#queuedSpans += b.count;
        this.#queuedBytes += typeof b.payload === "string" ? b.payload.length : b.payload.byteLength;
      }
    }
  }

  #send(batches: SealedBatch[], send: boolean): void {
    const transfer: ArrayBuffer[] = [];
    let spans = 0;
    let bytes = 0;
    for (const b of batches) {
      spans += b.count;
      bytes += typeof b.payload === "string" ? b.payload.length : b.payload.byteLength;
      // A payload owning its whole buffer (the protobuf join makes one) moves without a copy.
      if (typeof b.payload !== "string" && b.payload.byteOffset === 0 && b.payload.byteLength === b.payload.buffer.byteLength && b.payload.buffer instanceof ArrayBuffer) transfer.push(b.payload.buffer);
    }
    const seq = ++this.#seq;
    this.#inTransit.set(seq, { spans, bytes });
    this.#worker!.postMessage({ type: "batches", seq, batches, send } satisfies ToWorker, transfer);
  }

  /** Sends a request (once the worker is ready: after the batches sealed before it) and waits for its answer, or `timeoutMs`. */
  async #request(message: ToWorker & { id: number }, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await Promise.race([this.#readyWait, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    const worker = this.#worker;
    if (!worker || !this.#ready) return;
    const id = this.#nextId++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#replies.delete(id);
        resolve();
      }, Math.max(0, deadline - Date.now()));
      timer.unref();
      this.#replies.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ ...message, id });
    });
  }
}

const EMPTY_DELTAS: MetricDeltas = { counters: [], gauges: [], durations: [] };
