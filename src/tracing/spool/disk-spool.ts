import type { FaultReporter, TracingLogger } from "../fault-reporter.js";
import type { SpanSender } from "../otlp-http-sender.js";
import type { DropReason, TracingMetrics } from "../tracing-metrics.js";
import { SpoolStore } from "./spool-store.js";

export interface DiskSpoolOptions {
  /** Folder of the spool database (created). */
  dir: string;
  /** Bound on spooled payload bytes; past it the oldest batches are evicted and counted. */
  maxBytes: number;
  /** Replay pace in spans per second, so recovery leaves room for live traffic. */
  replayRatePerSec: number;
  /** A sender of its own (one socket), so replay never takes live export slots. */
  sender: SpanSender;
  envelope: { prefix: string; suffix: string };
  metrics: TracingMetrics;
  faults: FaultReporter;
  logger: TracingLogger;
  /** Called when a replayed batch was delivered: the backend is up again. */
  onReplayed?: () => void;
}

const MIN_PROBE_MS = 1000;
const MAX_PROBE_MS = 30_000;
/** Entries read per replay step. */
const READ_AHEAD = 8;

/**
 * Keeps what the exporter could not deliver on disk and replays it when the backend answers
 * again. The exporter hands batches over synchronously (possibly from the request path), so
 * `accept` only stages them in memory; the SQLite write happens on the next turn of the event
 * loop, in one transaction. If the disk fails, the spool switches itself off with one log line
 * and tracing carries on memory-only.
 */
export class DiskSpool {
  #store: SpoolStore | null;
  #staged: { spans: string; count: number }[] = [];
  #stagedReasons = new Map<DropReason, number>();
  #flushScheduled = false;
  #replaying = false;
  #closed = false;
  #wake: (() => void) | undefined;
  /** Set while the replay sleeps after a failed probe (not while it paces successful sends). */
  #wakeProbe: (() => void) | undefined;

  private constructor(
    private readonly options: DiskSpoolOptions,
    store: SpoolStore | null,
  ) {
    this.#store = store;
    options.metrics.spoolAvailable.set(store ? 1 : 0);
    this.#updateGauges();
  }

  /** Opens the spool; never throws. An unusable folder gives a spool that accepts nothing. */
  static open(options: DiskSpoolOptions): DiskSpool {
    try {
      const { store, recoveredFrom } = SpoolStore.open(options.dir);
      if (recoveredFrom) {
        options.metrics.spoolEntriesCorrupt.inc();
        options.logger.warn({ movedTo: recoveredFrom }, "trace spool file was unreadable; moved aside, starting a fresh spool");
      }
      if (store.batches > 0) options.logger.info({ batches: store.batches, bytes: store.bytes }, "trace spool holds undelivered batches from an earlier run; replaying");
      return new DiskSpool(options, store);
    } catch (err) {
      options.logger.warn({ dir: options.dir, error: (err as Error).message }, "trace spool unavailable; tracing continues memory-only (undeliverable spans will be dropped and counted)");
      return new DiskSpool(options, null);
    }
  }

  get available(): boolean {
    return this.#store !== null;
  }

  /** Starts replaying what an earlier run left behind. */
  start(): void {
    if (this.#store && this.#store.batches > 0) void this.#replay();
  }

  /**
   * Takes spans the exporter cannot deliver. True: the spool owns them now. False: the spool is
   * off, the caller drops and counts them.
   */
  accept(spans: string[], _bytes: number, reason: DropReason): boolean {
    if (!this.#store || this.#closed) return false;
    this.#staged.push({ spans: spans.join(","), count: spans.length });
    this.#stagedReasons.set(reason, (this.#stagedReasons.get(reason) ?? 0) + 1);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
    return true;
  }

  /**
   * The live exporter just delivered a batch: the backend is up. A replay waiting out its probe
   * backoff starts now instead of up to 30 s later.
   */
  backendUp(): void {
    if (this.#store && this.#store.batches > 0) {
      if (this.#replaying) this.#wakeProbe?.();
      else void this.#replay();
    }
  }

  /** Writes what is staged, stops replaying, closes the database. */
  close(): void {
    this.#closed = true;
    this.#flush();
    this.#wake?.();
    this.#store?.close();
    this.options.sender.close();
  }

  #flush(): void {
    this.#flushScheduled = false;
    const store = this.#store;
    if (!store || this.#staged.length === 0) return;
    const rows = this.#staged;
    const reasons = this.#stagedReasons;
    this.#staged = [];
    this.#stagedReasons = new Map();
    try {
      store.append(rows);
      for (const [reason, n] of reasons) this.options.metrics.spoolBatchesSpooled.inc({ reason }, n);
      this.#evict(store);
    } catch (err) {
      this.#disable(err);
      let spans = 0;
      for (const row of rows) spans += row.count;
      this.options.metrics.spansDropped.inc({ reason: "spool_failed" }, spans);
    }
    this.#updateGauges();
    if (!this.#replaying && !this.#closed) void this.#replay();
  }

  #evict(store: SpoolStore): void {
    while (store.bytes > this.options.maxBytes && store.batches > 0) {
      const oldest = store.oldestMeta(READ_AHEAD);
      if (oldest.length === 0) {
        // The counters disagree with the rows (another process took them): trust the rows.
        store.recount();
        break;
      }
      for (const entry of oldest) {
        if (store.bytes <= this.options.maxBytes) break;
        store.remove(entry.id, entry.bytes);
        this.options.metrics.spoolBatchesEvicted.inc();
        this.options.metrics.spansDropped.inc({ reason: "spool_evicted" }, entry.count);
      }
    }
  }

  #disable(err: unknown): void {
    this.options.logger.warn({ dir: this.options.dir, error: (err as Error).message }, "trace spool write failed; tracing continues memory-only (undeliverable spans will be dropped and counted)");
    this.options.metrics.spoolAvailable.set(0);
    try {
      this.#store?.close();
    } catch {}
    this.#store = null;
  }

  #updateGauges(): void {
    this.options.metrics.spoolBytes.set(this.#store?.bytes ?? 0);
    this.options.metrics.spoolBatches.set(this.#store?.batches ?? 0);
  }

  /** Sends spooled batches oldest first at the configured pace; a failure backs off and probes again. */
  async #replay(): Promise<void> {
    if (this.#replaying) return;
    this.#replaying = true;
    const { metrics, sender, envelope } = this.options;
    let probeMs = MIN_PROBE_MS;
    let replayedAny = false;
    try {
      while (!this.#closed && this.#store && this.#store.batches > 0) {
        const store = this.#store;
        let read;
        try {
          read = store.oldest(READ_AHEAD);
        } catch (err) {
          this.#disable(err);
          break;
        }
        if (read.batches.length === 0 && read.corrupt.length === 0) {
          // Nothing to read although the counters say otherwise: resynchronize, never spin.
          store.recount();
          this.#updateGauges();
          break;
        }
        for (const bad of read.corrupt) {
          store.remove(bad.id, bad.bytes);
          metrics.spoolEntriesCorrupt.inc();
          metrics.spansDropped.inc({ reason: "spool_corrupt" }, bad.count);
          this.options.faults.report("spool_corrupt_entry", new Error(`spooled batch ${bad.id} failed its checksum`));
        }
        for (const batch of read.batches) {
          if (this.#closed) break;
          metrics.exportAttempts.inc();
          const result = await sender.send(envelope.prefix + batch.spans + envelope.suffix);
          if (this.#closed || !this.#store) break;
          if (result.ok) {
            store.remove(batch.id, batch.bytes);
            metrics.spoolBatchesReplayed.inc();
            metrics.spansExported.inc(batch.count);
            if (probeMs !== MIN_PROBE_MS || replayedAny === false) this.options.onReplayed?.();
            replayedAny = true;
            probeMs = MIN_PROBE_MS;
            this.#updateGauges();
            await this.#sleep((batch.count / this.options.replayRatePerSec) * 1000);
            continue;
          }
          metrics.exportFailures.inc({ reason: result.reason });
          if (!result.retryable) {
            store.remove(batch.id, batch.bytes);
            metrics.spansDropped.inc({ reason: "rejected" }, batch.count);
            this.#updateGauges();
            continue;
          }
          this.#wakeProbe = () => this.#wake?.();
          await this.#sleep(result.retryAfterMs ?? probeMs);
          this.#wakeProbe = undefined;
          probeMs = Math.min(probeMs * 2, MAX_PROBE_MS);
          break;
        }
        this.#updateGauges();
      }
    } catch (err) {
      this.options.faults.report("spool_replay", err);
    } finally {
      this.#replaying = false;
    }
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      timer.unref();
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
