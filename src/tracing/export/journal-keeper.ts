// The journal keeper: which journal new batches go to, and every write to it. A durable journal
// that fails a write (disk full, I/O error) is retired for a memory one, once; removals from the
// retired one that fail are retried, so an acknowledged batch is not sent again at the next
// start. It also holds the journal to its bound and reads payloads back (a corrupt one is
// dropped, counted). Kept apart so the lanes only ever ask it to write, never handle its failures.
import type { Encoded } from "../encoding/span-format.js";
import type { BatchJournal, JournalEntry } from "./batch-journal.js";
import type { BatchDeliveryOptions } from "./delivery-options.js";
import type { LiveLane } from "./live-lane.js";
import { MemoryJournal } from "./memory-journal.js";
import type { Scheduler } from "./scheduler.js";
import { writesBehind, type BatchToHold } from "./write-behind-journal.js";

/** Journal entries read per scan. */
export const SCAN_AHEAD = 16;
/** Removals from a retired journal that failed are tried again this often. */
const REMOVAL_RETRY_MS = 5_000;

/** What the keeper needs from the delivery around it. */
export interface JournalKeeperHost {
  /** Whether an attempt to send that entry is in flight (live or backlog). */
  sending(id: number): boolean;
  /** Batches were moved into the journal (a failed one's held batches): the backlog sends them. */
  toBacklog(): void;
}

export class JournalKeeper {
  readonly #options: BatchDeliveryOptions;
  readonly #clock: Scheduler;
  readonly #lane: LiveLane;
  readonly #host: JournalKeeperHost;
  #journal: BatchJournal;
  /**
   * A durable journal that failed a write (disk full, I/O error): no new batches go there, and
   * what it holds waits for the next start; batches of it already in flight are settled against
   * it, removals that fail are retried.
   */
  #retired: BatchJournal | null = null;
  readonly #pendingRemovals = new Set<number>();
  #removalTimer: unknown;
  /** When a journal that writes behind next has a batch due, and the timer that writes it then. */
  #persistTimer: unknown;
  #persistAt = Infinity;
  #closing = false;

  constructor(options: BatchDeliveryOptions, clock: Scheduler, lane: LiveLane, host: JournalKeeperHost) {
    this.#options = options;
    this.#clock = clock;
    this.#lane = lane;
    this.#host = host;
    this.#journal = options.journal;
  }

  /** The journal new batches go to. */
  get journal(): BatchJournal {
    return this.#journal;
  }

  /** Spans in the journal (and a retired one), not yet delivered or dropped. */
  get heldSpans(): number {
    return this.#journal.spans + (this.#retired?.spans ?? 0);
  }

  /** Writes batches to the journal. A durable journal that fails is retired for memory, once. */
  append(batches: readonly BatchToHold[]): JournalEntry[] {
    const journal = this.#journal;
    try {
      const entries = journal.append(batches);
      if (journal.durable && !writesBehind(journal)) this.#options.metrics.journalBatchesWritten.inc(entries.length);
      return entries;
    } catch (err) {
      if (!journal.durable) throw err;
      this.#retire(err);
      return this.#journal.append(batches);
    }
  }

  /**
   * A journal that writes behind (write-behind-journal.ts): the held batches that are due, or
   * past its memory bound, are written now, and a timer is set for the next. Its failure is a
   * write's like any other (the journal is retired).
   */
  persistDue(): void {
    const journal = this.#journal;
    if (!writesBehind(journal) || this.#closing) return;
    let next = Infinity;
    this.write(journal, () => {
      const { written, nextAt } = journal.persistDue(this.#clock.now());
      next = nextAt;
      if (written > 0) this.#options.metrics.journalBatchesWritten.inc(written);
    });
    if (next === this.#persistAt) return;
    if (this.#persistTimer !== undefined) this.#clock.clearTimeout(this.#persistTimer);
    this.#persistTimer = undefined;
    this.#persistAt = next;
    if (next === Infinity) return;
    this.#persistTimer = this.#clock.setTimeout(
      () => {
        this.#persistTimer = undefined;
        this.#persistAt = Infinity;
        this.persistDue();
      },
      Math.max(0, next - this.#clock.now()),
    );
  }

  /**
   * One write to a journal. A durable journal that fails is retired (below); a removal from a
   * retired one that fails is tried again later, so an acknowledged batch is not sent again at
   * the next start. False when the write did not happen.
   */
  write(journal: BatchJournal, write: () => void, removalOf?: number): boolean {
    try {
      write();
      return true;
    } catch (err) {
      if (journal === this.#journal && journal.durable) this.#retire(err);
      else this.#options.faults.report("journal_write", err);
      if (removalOf !== undefined && journal.durable) this.#scheduleRemoval(removalOf);
      return false;
    }
  }

  /** The payload of an entry of the current journal; null when it is gone (a corrupt one is dropped, counted). */
  readPayload(entry: JournalEntry): Encoded | null {
    const journal = this.#journal;
    const read = journal.read(entry.id);
    if (read.ok) return read.payload;
    this.write(journal, () => journal.remove(entry.id));
    if (read.reason === "corrupt") {
      const { metrics, faults } = this.#options;
      metrics.journalEntriesCorrupt.inc();
      faults.report("journal_corrupt_entry", new Error(`journal entry ${entry.id} failed its checksum`));
      metrics.spansDropped.inc({ reason: "journal_corrupt" }, entry.count);
    }
    return null;
  }

  /**
   * Past the journal's bound the oldest entries not in flight go (counted); never the newest
   * batch, nor `replayingId`, the entry the backlog is sending.
   */
  enforceBound(replayingId: number): void {
    const { settings, metrics } = this.#options;
    const journal = this.#journal;
    const max = journal.durable ? settings.maxJournalBytes : Math.min(settings.maxJournalBytes, settings.maxQueueBytes);
    let after = 0;
    while (journal.bytes > max && journal.entries > 1) {
      const oldest = journal.scan(after, SCAN_AHEAD);
      if (oldest.length === 0) break;
      for (const entry of oldest) {
        after = entry.id;
        if (journal.bytes <= max) return;
        const live = this.#lane.get(entry.id);
        if (live?.sending || entry.id === replayingId) continue;
        if (live) this.#lane.remove(live);
        if (!this.write(journal, () => journal.remove(entry.id))) return;
        metrics.journalBatchesEvicted.inc();
        metrics.spansDropped.inc({ reason: journal.durable ? "journal_evicted" : "queue_full" }, entry.count);
      }
    }
  }

  /** The delivery is shutting down: removals that fail from now on wait for `close`, not a timer. */
  closing(): void {
    this.#closing = true;
    if (this.#persistTimer !== undefined) this.#clock.clearTimeout(this.#persistTimer);
  }

  /** Last removals from a retired journal, then both journals closed. */
  close(): void {
    if (this.#removalTimer !== undefined) this.#clock.clearTimeout(this.#removalTimer);
    this.#retryRemovals();
    for (const journal of [this.#journal, this.#retired]) {
      // A journal that writes behind writes what it holds as it closes; if it cannot, that is lost.
      const held = journal && writesBehind(journal) ? journal.heldSpans : 0;
      try {
        journal?.close();
      } catch (err) {
        this.#options.faults.report("journal_close", err);
        if (held > 0) this.#options.metrics.spansDropped.inc({ reason: "journal_failed" }, held);
      }
    }
  }

  /**
   * The durable journal failed a write (disk full, I/O error): new batches go to memory from
   * now on, with one warning. What it holds stays there for the next start (not copied to
   * memory: a copy delivered now would be sent again from the file then); its batches in flight
   * are settled against it.
   */
  #retire(err: unknown): void {
    const failed = this.#journal;
    const { logger, metrics, journalDescription } = this.#options;
    logger.warn(
      { where: journalDescription, error: (err as Error).message },
      "trace journal write failed (disk full or I/O error); new traces are kept in memory until restart, and what the journal holds is delivered after it",
    );
    metrics.journalAvailable.set(0);
    metrics.errors.inc({ kind: "journal_write" });
    let maxId = this.#lane.maxId();
    try {
      const last = failed.scan(0, Number.MAX_SAFE_INTEGER).at(-1);
      if (last) maxId = Math.max(maxId, last.id);
    } catch {}
    // Batches it held in memory, never written, would be lost with it: memory takes them (but
    // those in flight, which settle against it).
    const held = writesBehind(failed) ? failed.takeHeld(this.#host.sending) : [];
    // Ids above the failed journal's, so batches of the two never meet under one id.
    const memory = (this.#journal = new MemoryJournal(maxId + 1));
    this.#retired = failed;
    this.#lane.removeUnsentOf(failed);
    for (const { entry, payload } of held) {
      const [moved] = memory.append([{ payload, count: entry.count }]);
      if (entry.maybeStored) memory.setMaybeStored(moved!.id, true);
    }
    if (held.length > 0) this.#host.toBacklog();
  }

  #scheduleRemoval(id: number): void {
    this.#pendingRemovals.add(id);
    if (this.#removalTimer !== undefined || this.#closing) return;
    this.#removalTimer = this.#clock.setTimeout(() => {
      this.#removalTimer = undefined;
      this.#retryRemovals();
      if (this.#pendingRemovals.size > 0) this.#scheduleRemoval([...this.#pendingRemovals][0]!);
    }, REMOVAL_RETRY_MS);
  }

  #retryRemovals(): void {
    const journal = this.#retired;
    if (!journal) return;
    for (const id of [...this.#pendingRemovals]) {
      try {
        journal.remove(id);
        this.#pendingRemovals.delete(id);
      } catch {
        return;
      }
    }
  }
}
