import { Worker } from "node:worker_threads";
import type { FaultReporter, TracingLogger } from "../fault-reporter.js";
import { factsSize, type SpanFacts, type Text } from "../span-facts.js";
import type { TracingMetrics } from "../tracing-metrics.js";
import type { BackendState } from "./batch-delivery.js";
import { applyDeltas, type MetricDeltas } from "./delivery-metrics.js";
import type { DeliveryState, FromWorker, ToWorker } from "./export-worker-protocol.js";
import type { ExportSettings } from "./export-settings.js";
import type { TraceExporter } from "./trace-exporter.js";

export interface WorkerExporterOptions {
  settings: ExportSettings;
  metrics: TracingMetrics;
  faults: FaultReporter;
  logger: TracingLogger;
}

/** A worker that dies is started again this many times in a row at most, this far apart. */
const MAX_RESTARTS = 5;
const RESTART_DELAY_MS = 1000;
/** How long a /metrics scrape waits for the worker's latest counts before using what it has. */
const SYNC_TIMEOUT_MS = 200;
/**
 * How long pushed observations wait before they go to the worker, together. Each message wakes
 * the worker thread and has a fixed cost on both sides; gathering a few milliseconds' worth
 * makes that cost per message, not per observation. It adds as much to the crash window.
 */
const POST_EVERY_MS = 10;
/** ...or as soon as this much text (UTF-16 code units) waits: about two 100 KB turns, whose copy is well under a millisecond. */
const POST_AT_BYTES = 65536;
/** Extra time for the worker to answer after its own shutdown deadline. */
const SHUTDOWN_MARGIN_MS = 2000;

/**
 * The main thread's end of the export: `push` keeps the finished observation, and once per
 * event-loop turn what was pushed goes to the export worker in one message. Encoding, masking,
 * batching, the journal and HTTP all run there (openExportPipeline). Observations not yet taken
 * by the worker are bounded by LANGFUSE_MAX_QUEUE_BYTES; past it new ones are dropped, counted.
 * The worker's metrics arrive as deltas and are applied to the service's registry; a /metrics
 * scrape first asks for the latest.
 */
export class WorkerExporter implements TraceExporter {
  readonly #o: WorkerExporterOptions;
  #worker: Worker | null = null;
  #ready = false;
  /** Pushed and not yet posted (also while the worker starts or restarts). */
  #pending: SpanFacts[] = [];
  #pendingSizes: number[] = [];
  #pendingBytes = 0;
  /** Texts already counted in #pendingBytes (a turn's observations share them). */
  readonly #counted = new WeakSet<Text>();
  #postTimer: NodeJS.Timeout | undefined;
  #postSoon = false;
  /** Posted and not yet counted in a state from the worker, by message sequence. */
  readonly #inTransit = new Map<number, { spans: number; bytes: number }>();
  #transitSpans = 0;
  #transitBytes = 0;
  #state: DeliveryState;
  /** Resolves when the current worker is ready for messages (requests wait for it). */
  #readyWait: Promise<void> = Promise.resolve();
  #onReady: () => void = () => {};
  #seq = 0;
  #nextId = 1;
  readonly #replies = new Map<number, () => void>();
  #restarts = 0;
  #closing = false;
  #sync: Promise<void> | null = null;

  constructor(options: WorkerExporterOptions) {
    this.#o = options;
    this.#state = {
      heldSpans: 0,
      unsealedSpans: 0,
      memoryBytes: 0,
      journalBytes: 0,
      journalEntries: 0,
      durable: options.settings.spoolDir !== null,
      backendState: "up",
      seq: 0,
    };
    options.metrics.observeExporter(this);
    this.#start();
  }

  push(span: SpanFacts): void {
    if (this.#closing) {
      this.#o.metrics.spansDropped.inc({ reason: "shutdown" });
      return;
    }
    const bytes = factsSize(span, this.#counted);
    // Memory-only, what the worker last said it holds counts too; with a journal its sealed
    // batches can wait on disk, and its unsealed spans are bounded by the worker itself.
    const worker = this.#state.durable ? 0 : this.#state.memoryBytes;
    if (this.#pendingBytes + this.#transitBytes + worker + bytes > this.#o.settings.maxMemoryBytes) {
      this.#o.metrics.spansDropped.inc({ reason: "queue_full" });
      return;
    }
    this.#pending.push(span);
    this.#pendingSizes.push(bytes);
    this.#pendingBytes += bytes;
    if (!this.#ready) return;
    // Large texts go at the next turn of the loop: one message stays small enough to copy
    // without a noticeable pause.
    if (this.#pendingBytes >= POST_AT_BYTES) {
      if (!this.#postSoon) {
        this.#postSoon = true;
        setImmediate(this.#postPending);
      }
    } else this.#postTimer ??= setTimeout(this.#postPending, POST_EVERY_MS).unref();
  }

  // ---- what /metrics shows (ExporterStateView) ----

  get heldSpans(): number {
    return this.#pending.length + this.#transitSpans + this.#state.heldSpans;
  }

  get memoryBytes(): number {
    return this.#pendingBytes + this.#transitBytes + this.#state.memoryBytes;
  }

  get journal(): { bytes: number; entries: number; durable: boolean } {
    return { bytes: this.#state.journalBytes, entries: this.#state.journalEntries, durable: this.#state.durable };
  }

  get backendState(): BackendState {
    return this.#state.backendState;
  }

  /** Resolves once the worker has opened the journal and takes spans (or after `timeoutMs`). */
  async ready(timeoutMs: number): Promise<void> {
    await Promise.race([this.#readyWait, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** The worker's latest counts, for a scrape: one round trip however many metrics ask. */
  sync(): Promise<void> {
    if (!this.#worker || !this.#ready) return Promise.resolve();
    this.#sync ??= this.#request({ type: "sync", id: 0 }, SYNC_TIMEOUT_MS).finally(() =>
      setImmediate(() => (this.#sync = null)),
    );
    return this.#sync;
  }

  async forceFlush(timeoutMs: number): Promise<void> {
    this.#post(true);
    await this.#request({ type: "flush", id: 0, timeoutMs }, timeoutMs + SHUTDOWN_MARGIN_MS);
  }

  async shutdown(timeoutMs: number): Promise<void> {
    if (this.#closing) return;
    this.#post(true);
    this.#closing = true;
    try {
      await this.#request({ type: "shutdown", id: 0, timeoutMs }, timeoutMs + SHUTDOWN_MARGIN_MS);
    } finally {
      const worker = this.#worker;
      this.#worker = null;
      await worker?.terminate();
      // Whatever never reached a worker (it was down to the end) is lost: counted.
      if (this.#pending.length > 0) this.#o.metrics.spansDropped.inc({ reason: "shutdown" }, this.#pending.length);
      this.#pending = [];
      this.#pendingSizes = [];
      this.#pendingBytes = 0;
    }
  }

  // ---- the worker ----

  readonly #postPending = (): void => this.#post(false);

  /**
   * Posts what is pending, oldest first, in messages of about POST_AT_BYTES: one message is one
   * copy on this thread, so a burst of large turns is copied over several turns of the loop
   * rather than in one pause. `all`: everything now (flush, shutdown).
   */
  #post(all: boolean): void {
    this.#postSoon = false;
    clearTimeout(this.#postTimer);
    this.#postTimer = undefined;
    const worker = this.#worker;
    while (worker && this.#ready && this.#pending.length > 0) {
      let count = 0;
      let bytes = 0;
      while (count < this.#pending.length && (count === 0 || bytes + this.#pendingSizes[count]! <= POST_AT_BYTES))
        bytes += this.#pendingSizes[count++]!;
      const spans = count === this.#pending.length ? this.#pending : this.#pending.slice(0, count);
      if (count === this.#pending.length) {
        this.#pending = [];
        this.#pendingSizes = [];
      } else {
        this.#pending = this.#pending.slice(count);
        this.#pendingSizes = this.#pendingSizes.slice(count);
      }
      this.#pendingBytes -= bytes;
      const seq = ++this.#seq;
      try {
        worker.postMessage({ type: "spans", seq, spans } satisfies ToWorker);
        this.#inTransit.set(seq, { spans: spans.length, bytes });
        this.#transitSpans += spans.length;
        this.#transitBytes += bytes;
      } catch (err) {
        // Facts are strings and numbers only; a value that still cannot be cloned loses this message, not the service.
        this.#o.faults.report("export_worker_post", err);
        this.#o.metrics.spansDropped.inc({ reason: "encode_failed" }, spans.length);
      }
      if (!all && this.#pending.length > 0) {
        this.#postSoon = true;
        setImmediate(this.#postPending);
        return;
      }
    }
  }

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
        resolve();
      }
      if (this.#closing) return;
      this.#o.faults.report(
        "export_worker",
        new Error(`tracing export worker exited (code ${code}); starting it again`),
      );
      // What it had not sealed into its journal is gone (memory-only: everything it held);
      // journaled batches are replayed by the next worker.
      const lost = this.#transitSpans + (this.#state.durable ? this.#state.unsealedSpans : this.#state.heldSpans);
      if (lost > 0) this.#o.metrics.spansDropped.inc({ reason: "worker_exit" }, lost);
      this.#forgetTransit();
      this.#state = { ...this.#state, heldSpans: 0, unsealedSpans: 0, memoryBytes: 0 };
      if (++this.#restarts <= MAX_RESTARTS) setTimeout(() => this.#closing || this.#start(), RESTART_DELAY_MS).unref();
      else
        this.#o.logger.error(
          { restarts: MAX_RESTARTS },
          "tracing export worker keeps failing; traces are no longer exported until a restart",
        );
    });
  }

  #forgetTransit(): void {
    this.#inTransit.clear();
    this.#transitSpans = 0;
    this.#transitBytes = 0;
  }

  #onMessage(message: FromWorker): void {
    switch (message.type) {
      case "ready":
        this.#ready = true;
        // A fresh worker counts from zero.
        this.#seq = 0;
        this.#forgetTransit();
        this.#state = message.state;
        this.#postPending();
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
          resolve?.();
        }
        return;
    }
  }

  #apply(state: DeliveryState, deltas: MetricDeltas): void {
    this.#state = state;
    // Spans the worker had taken when it computed this state are counted in it now.
    for (const [seq, t] of this.#inTransit) {
      if (seq > state.seq) break;
      this.#inTransit.delete(seq);
      this.#transitSpans -= t.spans;
      this.#transitBytes -= t.bytes;
    }
    applyDeltas(this.#o.metrics, deltas);
  }

  /** Sends a request (once the worker is ready: after the spans pushed before it) and waits for its answer, or `timeoutMs`. */
  async #request(message: ToWorker & { id: number }, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await Promise.race([this.#readyWait, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    const worker = this.#worker;
    if (!worker || !this.#ready) return;
    this.#post(true);
    const id = this.#nextId++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          this.#replies.delete(id);
          resolve();
        },
        Math.max(0, deadline - Date.now()),
      );
      timer.unref();
      this.#replies.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ ...message, id });
    });
  }
}
