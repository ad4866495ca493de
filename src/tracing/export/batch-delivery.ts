// The delivery's coordinator: takes sealed batches, and owns what spans the parts (the attempts
// in flight, flush and shutdown). The work is done by the parts it wires together: the journal
// keeper (journal-keeper.ts), the live lane (live-lane.ts), the backlog replay
// (backlog-replay.ts), one attempt (send-attempt.ts) and what its outcome does
// (batch-settlement.ts, on the pure rules of delivery-policy.ts and backend-health.ts).
import type { Encoded } from "../encoding/span-format.js";
import type { BatchJournal, JournalEntry } from "./batch-journal.js";
import type { BackendState } from "./backend-health.js";
import { BacklogReplay } from "./backlog-replay.js";
import { BatchSettlement } from "./batch-settlement.js";
import type { BatchDeliveryOptions } from "./delivery-options.js";
import { JournalKeeper } from "./journal-keeper.js";
import { LiveLane } from "./live-lane.js";
import { REAL_SCHEDULER, type Scheduler } from "./scheduler.js";
import { SendAttempt } from "./send-attempt.js";
import type { SendOutcome } from "./send-outcome.js";
import type { SealedBatch } from "./span-batcher.js";
import { writesBehind } from "./write-behind-journal.js";

export type { BackendState } from "./backend-health.js";
export type { BatchDeliveryOptions } from "./delivery-options.js";

/**
 * Delivery of sealed batches: each is written to the journal, sent over a bounded number of
 * connections, and removed from the journal only once Langfuse has it. A batch whose fate is
 * unknown is sent again and counted; one that cannot have been stored is retried quietly; one
 * Langfuse rejects is dropped and counted. While Langfuse is down or the keys are wrong,
 * batches wait in the journal and a single probe finds out when to resume; the backlog then
 * replays oldest first at a bounded pace while new batches flow in the live lane. Runs in the
 * service's thread, on timers and sockets: nothing here runs on a request's stack.
 */
export class BatchDelivery {
  readonly #options: BatchDeliveryOptions;
  readonly #clock: Scheduler;
  readonly #keeper: JournalKeeper;
  readonly #lane: LiveLane;
  readonly #replay: BacklogReplay;
  readonly #sendAttempt: SendAttempt;
  readonly #settlement: BatchSettlement;
  /** Every attempt in flight (live and replay), for shutdown to wait on. */
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;

  constructor(options: BatchDeliveryOptions) {
    this.#options = options;
    const clock = (this.#clock = options.scheduler ?? REAL_SCHEDULER);
    // The parts call each other through these few functions, made once here.
    const attempt = (entry: JournalEntry, payload: Encoded, journal: BatchJournal) =>
      this.#sendAttempt.run(entry, payload, journal);
    const settle = (entry: JournalEntry, outcome: SendOutcome, journal: BatchJournal) =>
      this.#settlement.settle(entry, outcome, journal);
    const track = (step: Promise<void>) => this.#track(step);
    const report = (where: string, err: unknown) => options.faults.report(where, err);
    const lane = (this.#lane = new LiveLane(options, clock, {
      backendUp: () => this.#isUp(),
      closed: () => this.#closed,
      attempt,
      settle,
      currentJournal: () => this.#keeper.journal,
      toBacklog: () => this.#replay.ensure(),
      track,
      report,
    }));
    const keeper = (this.#keeper = new JournalKeeper(options, clock, lane, {
      sending: (id) => lane.get(id)?.sending === true || this.#replay.sendingId === id,
      toBacklog: () => this.#replay.ensure(),
    }));
    this.#sendAttempt = new SendAttempt(options, keeper);
    const replay = (this.#replay = new BacklogReplay(options, clock, keeper, lane, {
      backlogDelayMs: () => this.#settlement.backlogDelayMs(),
      probeFailed: (retryAfterMs) => this.#settlement.probeFailed(retryAfterMs),
      attempt,
      settle,
      track,
      report,
    }));
    this.#settlement = new BatchSettlement(options, keeper, lane, replay);
    // What an earlier run left in the journal is the first backlog.
    if (keeper.journal.entries > 0) {
      options.logger.info(
        { batches: keeper.journal.entries, spans: keeper.journal.spans, where: options.journalDescription },
        "trace journal holds undelivered batches from an earlier run; replaying",
      );
      replay.ensure();
    }
  }

  /** Spans in the journal (and a failed one), not yet delivered or dropped. */
  get heldSpans(): number {
    return this.#keeper.heldSpans;
  }

  /** Payload bytes held in memory: live batches (memory-only: the whole journal). */
  get memoryBytes(): number {
    const journal = this.#keeper.journal;
    // Memory-only, the live lane sends the journal's own copies.
    return journal.durable ? this.#lane.bytes + journal.memoryBytes : journal.memoryBytes;
  }

  get journal(): BatchJournal {
    return this.#keeper.journal;
  }

  get backendState(): BackendState {
    return this.#settlement.health.state;
  }

  /**
   * Sends what the live lane holds, then, while Langfuse keeps answering, the backlog too (one
   * attempt at a time, not paced: at shutdown the journal may not outlive the process, e.g. a
   * container's scratch folder), waiting up to `timeoutMs`.
   */
  async forceFlush(timeoutMs: number): Promise<void> {
    const clock = this.#clock;
    const deadline = clock.now() + timeoutMs;
    if (timeoutMs <= 0) return;
    const lane = this.#lane;
    lane.expedite();
    lane.pump();
    while ((lane.size > 0 || this.#inFlight.size > 0) && clock.now() < deadline && this.#isUp()) {
      if (this.#inFlight.size === 0) {
        lane.pump();
        if (this.#inFlight.size === 0) break;
      }
      await Promise.race([...this.#inFlight, realSleep(Math.min(50, Math.max(0, deadline - clock.now())))]);
    }
    while (this.#isUp() && !this.#closed && this.#keeper.journal.entries > lane.size && clock.now() < deadline) {
      if (this.#replay.replaying) {
        await Promise.race([...this.#inFlight, realSleep(Math.min(50, Math.max(0, deadline - clock.now())))]);
        continue;
      }
      // The paced replay's next step, now.
      const before = this.#keeper.journal.entries;
      const step = this.#replay.stepNow();
      this.#track(step);
      await step.catch(() => {});
      if (this.#keeper.journal.entries >= before) break;
    }
  }

  /**
   * Flushes within `timeoutMs`, then cuts what is still in flight. With a durable journal
   * everything undelivered stays there for the next start (batches cut in flight count as maybe
   * stored); without one it is counted as dropped.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.#closed) return;
    const { faults, metrics } = this.#options;
    try {
      await this.forceFlush(timeoutMs);
    } catch (err) {
      faults.report("export_flush", err);
    }
    this.#closed = true;
    this.#lane.close();
    this.#replay.close();
    this.#keeper.closing();
    try {
      this.#options.transport.close();
    } catch (err) {
      faults.report("transport_close", err);
    }
    // Cut attempts settle at once; their outcomes still update the journal before it closes.
    await Promise.allSettled([...this.#inFlight]);
    const journal = this.#keeper.journal;
    if (!journal.durable && journal.spans > 0) metrics.spansDropped.inc({ reason: "shutdown" }, journal.spans);
    this.#keeper.close();
  }

  /**
   * Takes sealed batches: journaled (a journal written behind holds them first), then sent. `send` false only journals them
   * (shutdown without time left: a send started now would leave its outcome unknown).
   */
  accept(batches: SealedBatch[], send = true): void {
    if (batches.length === 0) return;
    const { faults, metrics, settings } = this.#options;
    if (this.#closed) {
      let spans = 0;
      for (const b of batches) spans += b.count;
      metrics.spansDropped.inc({ reason: "shutdown" }, spans);
      for (const b of batches) b.release();
      return;
    }
    const keeper = this.#keeper;
    const lane = this.#lane;
    // A journal written behind holds each batch in its own buffer, not a copy: the buffer goes back
    // to the pool once both it and this side (the live lane, or the release below) let go.
    const toJournal = writesBehind(keeper.journal)
      ? batches.map((b) => ({ payload: b.payload, count: b.count, release: afterCalls(2, b.release) }))
      : batches;
    let entries: JournalEntry[];
    try {
      entries = keeper.append(toJournal);
    } catch (err) {
      faults.report("export_journal", err);
      let spans = 0;
      for (const b of batches) spans += b.count;
      metrics.spansDropped.inc({ reason: "journal_failed" }, spans);
      for (const b of batches) b.release();
      return;
    }
    try {
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        const batch = toJournal[i]!;
        const journal = keeper.journal;
        // The live lane takes fresh batches while the backend is up and memory allows; the rest
        // waits in the journal (which keeps it) and is replayed as backlog.
        if (!(this.#isUp() && lane.bytes + entry.bytes <= settings.maxQueueBytes)) batch.release();
        else if (journal.durable) lane.add(entry, batch.payload, journal, batch.release);
        else {
          // The memory journal keeps a copy: the live lane sends that one, not a second.
          batch.release();
          const kept = journal.read(entry.id);
          if (kept.ok) lane.add(entry, kept.payload, journal);
        }
      }
      keeper.enforceBound(this.#replay.sendingId);
      keeper.persistDue();
      if (!send) return;
      lane.pump();
      if (keeper.journal.entries > lane.size) this.#replay.ensure();
    } catch (err) {
      faults.report("export_accept", err);
    }
  }

  #isUp(): boolean {
    return this.#settlement.health.state === "up";
  }

  #track(attempt: Promise<void>): void {
    this.#inFlight.add(attempt);
    attempt
      .catch((err: unknown) => this.#options.faults.report("export_attempt", err))
      .finally(() => this.#inFlight.delete(attempt));
  }
}

/** `release` once it has been called `calls` times (once per holder of a shared buffer). */
function afterCalls(calls: number, release: () => void): () => void {
  let left = calls;
  return () => {
    if (--left === 0) release();
  };
}

function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
