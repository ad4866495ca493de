// The backlog's replay: what the live lane does not hold (an earlier run's batches, batches past
// their live retries, batches that waited out an outage) is sent from the journal oldest first,
// one attempt at a time and paced, so a Langfuse that just came back is not hammered. While the
// backend is down or refuses the keys, its attempts are the probes that find out when to resume.
import type { Encoded } from "../encoding/span-format.js";
import type { BatchJournal, JournalEntry } from "./batch-journal.js";
import { AUTH_PROBE_MS } from "./delivery-policy.js";
import type { BatchDeliveryOptions } from "./delivery-options.js";
import { SCAN_AHEAD, type JournalKeeper } from "./journal-keeper.js";
import type { LiveLane } from "./live-lane.js";
import type { Scheduler } from "./scheduler.js";
import type { SendOutcome } from "./send-outcome.js";

/** After an unexpected error in the replay itself: try again, but not in a tight loop. */
const PROBE_FALLBACK_MS = 5_000;

/** What the replay needs from the delivery around it. */
export interface BacklogReplayHost {
  /** How long to wait before the next attempt, from the backend's health. */
  backlogDelayMs(): number;
  /** A probe failed (not stored or unknown): the next waits longer; returns that wait. */
  probeFailed(retryAfterMs: number | undefined): number;
  attempt(entry: JournalEntry, payload: Encoded, journal: BatchJournal): Promise<SendOutcome | null>;
  settle(entry: JournalEntry, outcome: SendOutcome, journal: BatchJournal): void;
  track(attempt: Promise<void>): void;
  report(where: string, err: unknown): void;
}

export class BacklogReplay {
  readonly #options: BatchDeliveryOptions;
  readonly #clock: Scheduler;
  readonly #keeper: JournalKeeper;
  readonly #lane: LiveLane;
  readonly #host: BacklogReplayHost;
  #timer: unknown;
  #replaying = false;
  /** The entry the replay is sending: never evicted under it. */
  #sendingId = 0;
  #cursor = 0;
  #closed = false;

  constructor(
    options: BatchDeliveryOptions,
    clock: Scheduler,
    keeper: JournalKeeper,
    lane: LiveLane,
    host: BacklogReplayHost,
  ) {
    this.#options = options;
    this.#clock = clock;
    this.#keeper = keeper;
    this.#lane = lane;
    this.#host = host;
  }

  /** True while an attempt of the replay is in flight. */
  get replaying(): boolean {
    return this.#replaying;
  }

  /** The entry being sent (0: none), which the journal's bound must not evict. */
  get sendingId(): number {
    return this.#sendingId;
  }

  /** Makes sure the backlog is being worked on: at once while up, at the probe's pace otherwise. */
  ensure(): void {
    this.#kick(this.#host.backlogDelayMs());
  }

  /** The next step now, not at its pace (a flush with time left); the caller tracks it. */
  stepNow(): Promise<void> {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    return this.#step();
  }

  /** Shutdown: no further step starts (one in flight still settles). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
  }

  #kick(delayMs: number): void {
    if (this.#closed || this.#replaying || this.#timer !== undefined) return;
    if (this.#keeper.journal.entries === 0) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#host.track(this.#step());
    }, delayMs);
  }

  /** The oldest journal entry that is not in the live lane, or null when there is none. */
  #next(): JournalEntry | null {
    const journal = this.#keeper.journal;
    for (let pass = 0; pass < 2; pass++) {
      for (;;) {
        const entries = journal.scan(this.#cursor, SCAN_AHEAD);
        if (entries.length === 0) break;
        for (const entry of entries) {
          this.#cursor = entry.id;
          if (!this.#lane.has(entry.id)) return entry;
        }
      }
      // Reached the end: start over from the oldest (entries left behind by a retry or a demotion).
      this.#cursor = 0;
    }
    return null;
  }

  async #step(): Promise<void> {
    if (this.#closed || this.#replaying) return;
    this.#replaying = true;
    let nextDelay: number | null = null;
    try {
      this.#cursor = 0;
      const entry = this.#next();
      if (entry === null) return;
      const payload = this.#keeper.readPayload(entry);
      if (payload === null) {
        nextDelay = 0;
        return;
      }
      const journal = this.#keeper.journal;
      this.#sendingId = entry.id;
      const outcome = await this.#host.attempt(entry, payload, journal);
      this.#sendingId = 0;
      if (outcome === null) return;
      // Settled even after shutdown began: the journal is still open and must learn the outcome.
      this.#host.settle(entry, outcome, journal);
      switch (outcome.kind) {
        case "stored":
          this.#options.metrics.journalBatchesReplayed.inc();
          nextDelay = (entry.count / this.#options.settings.replayRatePerSec) * 1000;
          break;
        case "auth_failed":
          nextDelay = AUTH_PROBE_MS;
          break;
        case "not_stored":
        case "unknown":
          nextDelay = this.#host.probeFailed(outcome.kind === "not_stored" ? outcome.retryAfterMs : undefined);
          break;
        default:
          nextDelay = 0;
      }
    } catch (err) {
      this.#host.report("export_replay", err);
      nextDelay = PROBE_FALLBACK_MS;
    } finally {
      this.#replaying = false;
      if (nextDelay !== null) this.#kick(nextDelay);
    }
  }
}
