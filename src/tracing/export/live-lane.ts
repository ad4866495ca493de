// The live lane: fresh batches sent from memory as soon as one of `concurrency` slots is free,
// retried with backoff while the backend is up, then left to the backlog (the journal holds
// them too). Apart from the backlog because it is the hot path: no disk read, no pacing, one
// entry in a Map per batch and nothing allocated per attempt beyond the attempt itself.
import type { Encoded } from "../encoding/span-format.js";
import type { BatchJournal, JournalEntry } from "./batch-journal.js";
import { retryDelayMs } from "./delivery-policy.js";
import type { BatchDeliveryOptions } from "./delivery-options.js";
import type { Scheduler } from "./scheduler.js";
import type { SendOutcome } from "./send-outcome.js";

/** A batch in the live lane: its payload in memory, sent as soon as a slot is free. */
export interface LiveBatch {
  entry: JournalEntry;
  payload: Encoded;
  /** Gives the payload's buffer back for reuse, once the batch leaves the live lane. */
  release?: (() => void) | undefined;
  /** The journal the batch is written in (a failed durable one keeps its batches for the next start). */
  journal: BatchJournal;
  attempts: number;
  sending: boolean;
  /** Not before this time (a live retry's backoff). */
  notBefore: number;
}

/** What the lane needs from the delivery around it. */
export interface LiveLaneHost {
  /** True while the backend is up (the lane sends and retries only then). */
  backendUp(): boolean;
  /** True once the delivery shut down. */
  closed(): boolean;
  /** One send of a batch; null when it was not made. */
  attempt(entry: JournalEntry, payload: Encoded, journal: BatchJournal): Promise<SendOutcome | null>;
  /** Applies an outcome to the batch's entry (and this lane). */
  settle(entry: JournalEntry, outcome: SendOutcome, journal: BatchJournal): void;
  /** The journal new batches go to (a batch of another one is of a retired journal). */
  currentJournal(): BatchJournal;
  /** A batch left the lane undelivered: the backlog takes it from the journal. */
  toBacklog(): void;
  /** An attempt in flight, for shutdown to wait on. */
  track(attempt: Promise<void>): void;
  report(where: string, err: unknown): void;
}

export class LiveLane {
  readonly #options: BatchDeliveryOptions;
  readonly #clock: Scheduler;
  readonly #host: LiveLaneHost;
  readonly #batches = new Map<number, LiveBatch>();
  #bytes = 0;
  /** Attempts in flight: what the concurrency bound counts. */
  #sending = 0;
  #timer: unknown;
  #timerAt = Infinity;

  constructor(options: BatchDeliveryOptions, clock: Scheduler, host: LiveLaneHost) {
    this.#options = options;
    this.#clock = clock;
    this.#host = host;
  }

  get size(): number {
    return this.#batches.size;
  }

  /** Payload bytes of the batches in the lane. */
  get bytes(): number {
    return this.#bytes;
  }

  has(id: number): boolean {
    return this.#batches.has(id);
  }

  get(id: number): LiveBatch | undefined {
    return this.#batches.get(id);
  }

  add(entry: JournalEntry, payload: Encoded, journal: BatchJournal, release?: () => void): void {
    this.#batches.set(entry.id, { entry, payload, release, journal, attempts: 0, sending: false, notBefore: 0 });
    this.#bytes += entry.bytes;
  }

  remove(batch: LiveBatch): void {
    if (!this.#batches.delete(batch.entry.id)) return;
    this.#bytes -= batch.entry.bytes;
    batch.release?.();
  }

  /** Moves every batch not in flight to the backlog (the journal keeps it; memory is freed). */
  demote(): void {
    for (const batch of [...this.#batches.values()]) if (!batch.sending) this.remove(batch);
  }

  /** Every batch of a retired journal not in flight leaves (it waits there for the next start). */
  removeUnsentOf(journal: BatchJournal): void {
    for (const batch of [...this.#batches.values()])
      if (batch.journal === journal && !batch.sending) this.remove(batch);
  }

  /** The highest entry id in the lane (0 when empty). */
  maxId(): number {
    let maxId = 0;
    for (const batch of this.#batches.values()) maxId = Math.max(maxId, batch.entry.id);
    return maxId;
  }

  /** Every batch may go now, its backoff cut (a flush). */
  expedite(): void {
    for (const batch of this.#batches.values()) batch.notBefore = 0;
  }

  /** Starts what may go, within the concurrency bound; a timer for the next backoff that ends. */
  pump(): void {
    if (this.#host.closed() || !this.#host.backendUp()) return;
    const now = this.#clock.now();
    let nextAt = Infinity;
    for (const batch of this.#batches.values()) {
      if (this.#sending >= this.#options.settings.concurrency) break;
      if (batch.sending) continue;
      if (batch.notBefore > now) {
        nextAt = Math.min(nextAt, batch.notBefore);
        continue;
      }
      this.#host.track(this.#send(batch));
    }
    if (nextAt < Infinity && nextAt < this.#timerAt) {
      if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
      this.#timerAt = nextAt;
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.#timerAt = Infinity;
        this.pump();
      }, nextAt - now);
    }
  }

  /** Shutdown: no timer left behind. */
  close(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
  }

  async #send(batch: LiveBatch): Promise<void> {
    const host = this.#host;
    batch.sending = true;
    batch.attempts += 1;
    this.#sending += 1;
    let outcome: SendOutcome | null;
    try {
      outcome = await host.attempt(batch.entry, batch.payload, batch.journal);
    } finally {
      batch.sending = false;
      this.#sending -= 1;
    }
    if (outcome === null) {
      this.remove(batch);
      this.pump();
      return;
    }
    try {
      host.settle(batch.entry, outcome, batch.journal);
      // A batch of a retired journal that was not delivered waits there for the next start.
      if (batch.journal !== host.currentJournal()) {
        this.remove(batch);
        return;
      }
      if (!this.#batches.has(batch.entry.id)) return;
      // Still live: a retry. Within the live retries it waits its backoff; past them, the backlog.
      if (host.backendUp() && batch.attempts <= this.#options.settings.maxRetries) {
        const retryAfter = outcome.kind === "not_stored" ? outcome.retryAfterMs : undefined;
        batch.notBefore =
          this.#clock.now() + retryDelayMs(batch.attempts, this.#options.settings.retryDelayMs, retryAfter);
      } else {
        this.remove(batch);
        host.toBacklog();
      }
    } catch (err) {
      host.report("export_settle", err);
    } finally {
      this.pump();
    }
  }
}
