import type { SendResult, SpanSender } from "./otlp-http-sender.js";
import type { FaultReporter } from "./fault-reporter.js";
import type { DropReason, TracingMetrics } from "./tracing-metrics.js";

export interface BatchExporterOptions {
  sender: SpanSender;
  /** Wraps a batch's comma-joined spans into one OTLP/JSON body. */
  envelope: { prefix: string; suffix: string };
  /** Spans per batch; a full batch is sent without waiting for the interval. */
  flushAt: number;
  /** How long a partial batch waits (ms). 0: sent on the next turn of the event loop. */
  flushIntervalMs: number;
  /** Export attempts in flight at once. Batches waiting to retry do not hold a slot. */
  concurrency: number;
  /** Retries after the first attempt, for retryable failures only. */
  maxRetries: number;
  /** Delay before the first retry (ms); doubles per retry, with ±50 % jitter. */
  retryDelayMs: number;
  /** Bound on serialized characters queued, waiting to retry, or in flight. */
  maxQueueBytes: number;
  metrics: TracingMetrics;
  faults: FaultReporter;
  /**
   * Called with spans that would otherwise be dropped (bound reached, retries exhausted,
   * shutdown). Returning true means the caller kept them (the disk spool); false drops them.
   */
  onUndeliverable?: (spans: string[], bytes: number, reason: DropReason) => boolean;
  /**
   * True when a durable place (the spool) takes undeliverable batches: then, once the backend
   * has failed twice in a row, failed batches go there at once instead of waiting in memory to
   * retry, which shortens what a crash during an outage can lose.
   */
  preferSpoolWhenDown?: () => boolean;
  /** Called after each delivered batch: the backend is up (the spool uses it to start replaying at once). */
  onDelivered?: () => void;
}

interface Batch {
  spans: string[];
  bytes: number;
  /** Attempts made so far. */
  attempts: number;
}

/** Longest wait between retries, whatever Retry-After says: the batch holds memory meanwhile. */
const MAX_RETRY_WAIT_MS = 5 * 60_000;

/**
 * The export side of tracing. `push` is the only call on the request path: it appends a string
 * and may schedule work; batching, HTTP, retries and accounting all run later, from timers, with
 * at most `concurrency` attempts in flight. Memory is bounded by `maxQueueBytes` over everything
 * held: pending spans, batches in flight and batches waiting to retry.
 */
export class BatchExporter {
  #pending: string[] = [];
  #pendingBytes = 0;
  /** Batches ready to (re)send, oldest first. */
  readonly #ready: Batch[] = [];
  readonly #waiting = new Map<ReturnType<typeof setTimeout>, Batch>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #inFlightBatches = new Set<Batch>();
  /** Retryable failures in a row; from 2 on, the backend is treated as down. */
  #consecutiveFailures = 0;
  #heldBytes = 0;
  #heldSpans = 0;
  #intervalTimer: ReturnType<typeof setTimeout> | undefined;
  #pumpScheduled = false;
  #flushDue = false;
  #closed = false;
  /** Set when shutdown has counted the spans still in flight as dropped: their attempts' outcomes are not counted again. */
  #inFlightWrittenOff = false;

  constructor(private readonly options: BatchExporterOptions) {}

  /** Serialized characters currently held (pending, waiting, in flight). */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  get heldSpans(): number {
    return this.#heldSpans;
  }

  /** Hands one encoded span to the pipeline. Never throws, never does I/O. */
  push(span: string): void {
    const bytes = span.length;
    if (this.#closed) {
      this.#undeliverable([span], bytes, "shutdown");
      return;
    }
    if (this.#heldBytes + bytes > this.options.maxQueueBytes) {
      this.#undeliverable([span], bytes, "queue_full");
      return;
    }
    this.#pending.push(span);
    this.#pendingBytes += bytes;
    this.#hold(1, bytes);
    if (this.#pending.length >= this.options.flushAt) this.#schedulePump();
    else if (this.#intervalTimer === undefined) this.#armInterval();
  }

  /** Sends everything held now and waits for it, up to `timeoutMs`. */
  async forceFlush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.#flushDue = true;
    // Batches waiting for a retry go now: a flush means "deliver what you can".
    for (const [timer, batch] of this.#waiting) {
      clearTimeout(timer);
      this.#ready.push(batch);
    }
    this.#waiting.clear();
    this.#pump();
    while ((this.#heldSpans > 0 || this.#inFlight.size > 0) && Date.now() < deadline) {
      const left = deadline - Date.now();
      if (this.#inFlight.size === 0) {
        // Nothing in flight but spans held: retries were re-armed; make them ready again.
        for (const [timer, batch] of this.#waiting) {
          clearTimeout(timer);
          this.#ready.push(batch);
        }
        this.#waiting.clear();
        this.#flushDue = true;
        this.#pump();
        if (this.#inFlight.size === 0) break;
      }
      await Promise.race([Promise.race(this.#inFlight), sleep(Math.min(left, 50))]);
    }
  }

  /** The backend answered again (the spool's replay got through): live attempts resume. */
  backendUp(): void {
    if (this.#consecutiveFailures === 0) return;
    this.#consecutiveFailures = 0;
    this.#pump();
  }

  /** Flushes within `timeoutMs`, then hands what is left to onUndeliverable (or drops it). */
  async shutdown(timeoutMs: number): Promise<void> {
    await this.forceFlush(timeoutMs);
    this.#closed = true;
    clearTimeout(this.#intervalTimer);
    this.#intervalTimer = undefined;
    for (const [timer, batch] of this.#waiting) {
      clearTimeout(timer);
      this.#ready.push(batch);
    }
    this.#waiting.clear();
    for (const batch of this.#ready.splice(0)) this.#release(batch.spans, batch.bytes, "shutdown");
    if (this.#pending.length) {
      const spans = this.#pending;
      const bytes = this.#pendingBytes;
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#release(spans, bytes, "shutdown");
    }
    // Attempts still in flight past the deadline: their spans are counted as dropped now.
    // If one succeeds later the backend has the data anyway; nothing is sent twice.
    // With a spool they are written there (at-least-once: a late success makes the replay an upsert).
    if (this.#heldSpans > 0) {
      for (const batch of this.#inFlightBatches) this.#undeliverable(batch.spans, batch.bytes, "shutdown");
      this.#inFlightWrittenOff = true;
    }
    try {
      this.options.sender.close();
    } catch (err) {
      this.options.faults.report("sender_close", err);
    }
  }

  #hold(spans: number, bytes: number): void {
    this.#heldSpans += spans;
    this.#heldBytes += bytes;
    this.options.metrics.queueSpans.set(this.#heldSpans);
    this.options.metrics.queueBytes.set(this.#heldBytes);
  }

  /** Stops holding spans that leave the pipeline undelivered. */
  #release(spans: string[], bytes: number, reason: DropReason): void {
    this.#hold(-spans.length, -bytes);
    this.#undeliverable(spans, bytes, reason);
  }

  #undeliverable(spans: string[], bytes: number, reason: DropReason): void {
    try {
      if (this.options.onUndeliverable?.(spans, bytes, reason)) return;
    } catch (err) {
      this.options.faults.report("undeliverable_hook", err);
    }
    this.options.metrics.spansDropped.inc({ reason }, spans.length);
  }

  #armInterval(): void {
    const ms = this.options.flushIntervalMs;
    if (ms === 0) {
      this.#flushDue = true;
      this.#schedulePump();
      return;
    }
    this.#intervalTimer = setTimeout(() => {
      this.#intervalTimer = undefined;
      this.#flushDue = true;
      this.#pump();
    }, ms);
    this.#intervalTimer.unref();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Starts attempts while slots are free: retries first, then full batches, then due partial ones. */
  #pump(): void {
    try {
      const { flushAt, concurrency } = this.options;
      while (this.#inFlight.size < concurrency) {
        let batch = this.#ready.shift();
        if (!batch && this.#pending.length > 0 && (this.#pending.length >= flushAt || this.#flushDue)) {
          const spans = this.#pending.length <= flushAt ? this.#pending : this.#pending.slice(0, flushAt);
          this.#pending = spans === this.#pending ? [] : this.#pending.slice(flushAt);
          let bytes = 0;
          for (const s of spans) bytes += s.length;
          this.#pendingBytes -= bytes;
          batch = { spans, bytes, attempts: 0 };
        }
        if (!batch) break;
        if (this.#consecutiveFailures >= 2 && this.options.preferSpoolWhenDown?.()) {
          // Langfuse is down and the spool is up: straight to disk, without building and sending
          // a request that will fail; the spool's replay probe notices the recovery (backendUp).
          this.#release(batch.spans, batch.bytes, "backend_down");
          continue;
        }
        this.#start(batch);
      }
      if (this.#pending.length === 0) this.#flushDue = false;
      else if (this.#intervalTimer === undefined && !this.#flushDue) this.#armInterval();
    } catch (err) {
      this.options.faults.report("export_pump", err);
    }
  }

  #start(batch: Batch): void {
    this.#inFlightBatches.add(batch);
    const attempt = this.#attempt(batch).finally(() => {
      this.#inFlightBatches.delete(batch);
      this.#inFlight.delete(attempt);
      this.#pump();
    });
    this.#inFlight.add(attempt);
  }

  async #attempt(batch: Batch): Promise<void> {
    const { metrics, envelope } = this.options;
    batch.attempts += 1;
    metrics.exportAttempts.inc();
    const started = performance.now();
    let result: SendResult;
    try {
      result = await this.options.sender.send(envelope.prefix + batch.spans.join(",") + envelope.suffix);
    } catch (err) {
      // Senders are not supposed to throw; if one does, it is a network-class failure, not a crash.
      result = { ok: false, retryable: true, reason: "network", message: err instanceof Error ? err.message : String(err) };
    }
    if (this.#inFlightWrittenOff) {
      // Already counted as dropped at shutdown (the sender closing usually is what ended it).
      this.#hold(-batch.spans.length, -batch.bytes);
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    if (result.ok) {
      this.#consecutiveFailures = 0;
      metrics.exportDuration.observe({ outcome: "ok" }, seconds);
      this.options.onDelivered?.();
      metrics.spansExported.inc(batch.spans.length);
      this.#hold(-batch.spans.length, -batch.bytes);
      return;
    }
    metrics.exportDuration.observe({ outcome: "failed" }, seconds);
    metrics.exportFailures.inc({ reason: result.reason });
    this.options.faults.report(`export_${result.reason}`, new Error(result.message), { status: result.status });
    if (!result.retryable) {
      this.#release(batch.spans, batch.bytes, "rejected");
      return;
    }
    this.#consecutiveFailures += 1;
    if (this.#consecutiveFailures >= 2 && this.options.preferSpoolWhenDown?.()) {
      // The backend looks down: on disk the batch survives a crash, in a retry timer it does not.
      this.#release(batch.spans, batch.bytes, "backend_down");
      return;
    }
    if (batch.attempts > this.options.maxRetries || this.#closed) {
      this.#release(batch.spans, batch.bytes, "retries_exhausted");
      return;
    }
    const backoff = this.options.retryDelayMs * 2 ** (batch.attempts - 1) * (0.5 + Math.random());
    const wait = Math.min(result.retryAfterMs ?? backoff, MAX_RETRY_WAIT_MS);
    const timer = setTimeout(() => {
      this.#waiting.delete(timer);
      this.#ready.push(batch);
      this.#pump();
    }, wait);
    timer.unref();
    this.#waiting.set(timer, batch);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
