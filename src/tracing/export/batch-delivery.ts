import type { Encoded, SpanFormat } from "../encoding/span-format.js";
import type { FaultReporter, TracingLogger } from "../fault-reporter.js";
import type { DropReason } from "../tracing-metrics.js";
import type { DeliveryMetrics } from "./delivery-metrics.js";
import type { BatchJournal, JournalEntry } from "./batch-journal.js";
import { afterFailedProbe, backlogDelayMs, healthAfter, HEALTHY, type BackendHealth } from "./backend-health.js";
import { AUTH_PROBE_MS, fateOf, retryDelayMs } from "./delivery-policy.js";
import { MemoryJournal } from "./memory-journal.js";
import { REAL_SCHEDULER, type Scheduler } from "./scheduler.js";
import type { ExportTransport, SendOutcome } from "./send-outcome.js";
import type { SealedBatch } from "./span-batcher.js";

export interface BatchDeliveryOptions {
  transport: ExportTransport;
  /** Where sealed batches wait until Langfuse has them: SqliteJournal, or MemoryJournal without a folder. */
  journal: BatchJournal;
  /**
   * The wire formats payloads can be in: a journal may hold batches of both (the format was
   * changed between runs), and each is sent as what it is.
   */
  formats: { json: SpanFormat<string>; protobuf: SpanFormat<Uint8Array> };
  /** Live export attempts in flight at once (the backlog's replay has one slot of its own). */
  concurrency: number;
  /** Live retries of a batch before it waits in the backlog. */
  maxRetries: number;
  /** Delay before the first live retry (ms); doubles per retry, with jitter. */
  retryDelayMs: number;
  /** Bound on batches held in memory for the live lane (with a durable journal). */
  maxMemoryBytes: number;
  /** Bound on the journal; past it the oldest batches not in flight are dropped, counted. */
  maxJournalBytes: number;
  /** Backlog replay pace, spans per second, so a Langfuse that just came back is not hammered. */
  replayRatePerSec: number;
  metrics: DeliveryMetrics;
  faults: FaultReporter;
  logger: TracingLogger;
  /** Where the journal lives, for log lines. */
  journalDescription?: string;
  scheduler?: Scheduler;
}

import type { BackendState } from "./backend-health.js";
export type { BackendState } from "./backend-health.js";

/** A batch in the live lane: its payload in memory, sent as soon as a slot is free. */
interface LiveBatch {
  entry: JournalEntry;
  payload: Encoded;
  /** Gives the payload's buffer back for reuse, once the batch leaves the live lane. */
  release?: () => void;
  /** The journal the batch is written in (a failed durable one keeps its batches for the next start). */
  journal: BatchJournal;
  attempts: number;
  sending: boolean;
  /** Not before this time (a live retry's backoff). */
  notBefore: number;
}

/** Backlog entries read per scan. */
const SCAN_AHEAD = 16;

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
  readonly #o: BatchDeliveryOptions;
  readonly #clock: Scheduler;
  #journal: BatchJournal;
  /**
   * A durable journal that failed a write (disk full, I/O error): no new batches go there, and
   * what it holds waits for the next start; batches of it already in flight are settled against
   * it, removals that fail are retried.
   */
  #retired: BatchJournal | null = null;
  readonly #pendingRemovals = new Set<number>();
  #removalTimer: unknown;
  readonly #live = new Map<number, LiveBatch>();
  #liveBytes = 0;
  /** Every attempt in flight (live and replay), for shutdown to wait on. */
  readonly #inFlight = new Set<Promise<void>>();
  /** Live attempts in flight: what the concurrency bound counts. */
  #liveSending = 0;
  #health: BackendHealth = HEALTHY;
  #liveTimer: unknown;
  #liveTimerAt = Infinity;
  // The backlog's replay: one attempt at a time, paced.
  #replayTimer: unknown;
  #replaying = false;
  /** The entry the replay is sending: never evicted under it. */
  #replayingId = 0;
  #replayCursor = 0;
  #closed = false;

  constructor(options: BatchDeliveryOptions) {
    this.#o = options;
    this.#clock = options.scheduler ?? REAL_SCHEDULER;
    this.#journal = options.journal;
    // What an earlier run left in the journal is the first backlog.
    if (this.#journal.entries > 0) {
      options.logger.info(
        { batches: this.#journal.entries, spans: this.#journal.spans, where: options.journalDescription },
        "trace journal holds undelivered batches from an earlier run; replaying",
      );
      this.#ensureReplay();
    }
  }

  /** Spans in the journal (and a failed one), not yet delivered or dropped. */
  get heldSpans(): number {
    return this.#journal.spans + (this.#retired?.spans ?? 0);
  }

  /** Payload bytes held in memory: live batches (memory-only: the whole journal). */
  get memoryBytes(): number {
    return this.#journal.durable ? this.#liveBytes : this.#journal.bytes;
  }

  get journal(): BatchJournal {
    return this.#journal;
  }

  get backendState(): BackendState {
    return this.#health.state;
  }

  /**
   * Sends what the live lane holds, then, while Langfuse keeps answering, the backlog too (one
   * attempt at a time, not paced: at shutdown the journal may not outlive the process, e.g. a
   * container's scratch folder), waiting up to `timeoutMs`.
   */
  async forceFlush(timeoutMs: number): Promise<void> {
    const deadline = this.#clock.now() + timeoutMs;
    if (timeoutMs <= 0) return;
    for (const batch of this.#live.values()) batch.notBefore = 0;
    this.#pump();
    while (
      (this.#live.size > 0 || this.#inFlight.size > 0) &&
      this.#clock.now() < deadline &&
      this.#health.state === "up"
    ) {
      if (this.#inFlight.size === 0) {
        this.#pump();
        if (this.#inFlight.size === 0) break;
      }
      await Promise.race([...this.#inFlight, realSleep(Math.min(50, Math.max(0, deadline - this.#clock.now())))]);
    }
    while (
      this.#health.state === "up" &&
      !this.#closed &&
      this.#journal.entries > this.#live.size &&
      this.#clock.now() < deadline
    ) {
      if (this.#replaying) {
        await Promise.race([...this.#inFlight, realSleep(Math.min(50, Math.max(0, deadline - this.#clock.now())))]);
        continue;
      }
      // The paced replay's next step, now.
      if (this.#replayTimer !== undefined) {
        this.#clock.clearTimeout(this.#replayTimer);
        this.#replayTimer = undefined;
      }
      const before = this.#journal.entries;
      const step = this.#replayStep();
      this.#track(step);
      await step.catch(() => {});
      if (this.#journal.entries >= before) break;
    }
  }

  /**
   * Flushes within `timeoutMs`, then cuts what is still in flight. With a durable journal
   * everything undelivered stays there for the next start (batches cut in flight count as maybe
   * stored); without one it is counted as dropped.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.#closed) return;
    try {
      await this.forceFlush(timeoutMs);
    } catch (err) {
      this.#o.faults.report("export_flush", err);
    }
    this.#closed = true;
    for (const timer of [this.#liveTimer, this.#replayTimer]) if (timer !== undefined) this.#clock.clearTimeout(timer);
    try {
      this.#o.transport.close();
    } catch (err) {
      this.#o.faults.report("transport_close", err);
    }
    // Cut attempts settle at once; their outcomes still update the journal before it closes.
    await Promise.allSettled([...this.#inFlight]);
    if (!this.#journal.durable && this.#journal.spans > 0) this.#drop(this.#journal.spans, "shutdown");
    if (this.#removalTimer !== undefined) this.#clock.clearTimeout(this.#removalTimer);
    this.#retryRemovals();
    for (const journal of [this.#journal, this.#retired]) {
      try {
        journal?.close();
      } catch (err) {
        this.#o.faults.report("journal_close", err);
      }
    }
  }

  // ---- sealed batches -> journal -> live lane or backlog ----

  /**
   * Takes sealed batches: journaled at once, then sent. `send` false only journals them
   * (shutdown without time left: a send started now would leave its outcome unknown).
   */
  accept(batches: SealedBatch[], send = true): void {
    if (batches.length === 0) return;
    if (this.#closed) {
      let spans = 0;
      for (const b of batches) spans += b.count;
      this.#drop(spans, "shutdown");
      for (const b of batches) b.release();
      return;
    }
    let entries: JournalEntry[];
    try {
      entries = this.#append(batches);
    } catch (err) {
      this.#o.faults.report("export_journal", err);
      let spans = 0;
      for (const b of batches) spans += b.count;
      this.#drop(spans, "spool_failed");
      for (const b of batches) b.release();
      return;
    }
    try {
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        const batch = batches[i]!;
        // The live lane takes fresh batches while the backend is up and memory allows; the rest
        // waits in the journal (which holds its own copy) and is replayed as backlog.
        if (!(this.#health.state === "up" && this.#liveBytes + entry.bytes <= this.#o.maxMemoryBytes)) batch.release();
        else if (this.#journal.durable) this.#addLive(entry, batch.payload, batch.release);
        else {
          // The memory journal keeps a copy: the live lane sends that one, not a second.
          batch.release();
          const kept = this.#journal.read(entry.id);
          if (kept.ok) this.#addLive(entry, kept.payload);
        }
      }
      this.#enforceJournalBound();
      if (!send) return;
      this.#pump();
      if (this.#journal.entries > this.#live.size) this.#ensureReplay();
    } catch (err) {
      this.#o.faults.report("export_accept", err);
    }
  }

  /** Writes batches to the journal. A durable journal that fails is retired for memory, once. */
  #append(batches: readonly SealedBatch[]): JournalEntry[] {
    const journal = this.#journal;
    try {
      return journal.append(batches);
    } catch (err) {
      if (!journal.durable) throw err;
      this.#retire(err);
      return this.#journal.append(batches);
    }
  }

  /**
   * One write to a journal. A durable journal that fails is retired (below); a removal from a
   * retired one that fails is tried again later, so an acknowledged batch is not sent again at
   * the next start. False when the write did not happen.
   */
  #write(journal: BatchJournal, write: () => void, removalOf?: number): boolean {
    try {
      write();
      return true;
    } catch (err) {
      if (journal === this.#journal && journal.durable) this.#retire(err);
      else this.#o.faults.report("journal_write", err);
      if (removalOf !== undefined && journal.durable) this.#scheduleRemoval(removalOf);
      return false;
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
    this.#o.logger.warn(
      { where: this.#o.journalDescription, error: (err as Error).message },
      "trace journal write failed (disk full or I/O error); new traces are kept in memory until restart, and what the journal holds is delivered after it",
    );
    this.#o.metrics.spoolAvailable.set(0);
    this.#o.metrics.errors.inc({ kind: "journal_write" });
    let maxId = 0;
    for (const batch of this.#live.values()) maxId = Math.max(maxId, batch.entry.id);
    try {
      const last = failed.scan(0, Number.MAX_SAFE_INTEGER).at(-1);
      if (last) maxId = Math.max(maxId, last.id);
    } catch {}
    // Ids above the failed journal's, so batches of the two never meet under one id.
    this.#journal = new MemoryJournal(maxId + 1);
    this.#retired = failed;
    for (const batch of [...this.#live.values()])
      if (batch.journal === failed && !batch.sending) this.#removeLive(batch);
  }

  #scheduleRemoval(id: number): void {
    this.#pendingRemovals.add(id);
    if (this.#removalTimer !== undefined || this.#closed) return;
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

  /** Past the journal's bound the oldest entries not in flight go (counted); never the newest batch. */
  #enforceJournalBound(): void {
    const journal = this.#journal;
    const max = journal.durable ? this.#o.maxJournalBytes : Math.min(this.#o.maxJournalBytes, this.#o.maxMemoryBytes);
    let after = 0;
    while (journal.bytes > max && journal.entries > 1) {
      const oldest = journal.scan(after, SCAN_AHEAD);
      if (oldest.length === 0) break;
      for (const entry of oldest) {
        after = entry.id;
        if (journal.bytes <= max) return;
        const live = this.#live.get(entry.id);
        if (live?.sending || entry.id === this.#replayingId) continue;
        if (live) this.#removeLive(live);
        if (!this.#write(journal, () => journal.remove(entry.id))) return;
        this.#o.metrics.spoolBatchesEvicted.inc();
        this.#drop(entry.count, journal.durable ? "spool_evicted" : "queue_full");
      }
    }
  }

  // ---- the live lane ----

  #addLive(entry: JournalEntry, payload: Encoded, release?: () => void): void {
    this.#live.set(entry.id, {
      entry,
      payload,
      release,
      journal: this.#journal,
      attempts: 0,
      sending: false,
      notBefore: 0,
    });
    this.#liveBytes += entry.bytes;
  }

  #removeLive(batch: LiveBatch): void {
    if (!this.#live.delete(batch.entry.id)) return;
    this.#liveBytes -= batch.entry.bytes;
    batch.release?.();
  }

  /** Moves every live batch not in flight to the backlog (the journal keeps it; memory is freed). */
  #demoteLive(): void {
    for (const batch of [...this.#live.values()]) if (!batch.sending) this.#removeLive(batch);
  }

  #pump(): void {
    if (this.#closed || this.#health.state !== "up") return;
    const now = this.#clock.now();
    let nextAt = Infinity;
    for (const batch of this.#live.values()) {
      if (this.#liveSending >= this.#o.concurrency) break;
      if (batch.sending) continue;
      if (batch.notBefore > now) {
        nextAt = Math.min(nextAt, batch.notBefore);
        continue;
      }
      this.#track(this.#sendLive(batch));
    }
    if (nextAt < Infinity && nextAt < this.#liveTimerAt) {
      if (this.#liveTimer !== undefined) this.#clock.clearTimeout(this.#liveTimer);
      this.#liveTimerAt = nextAt;
      this.#liveTimer = this.#clock.setTimeout(() => {
        this.#liveTimer = undefined;
        this.#liveTimerAt = Infinity;
        this.#pump();
      }, nextAt - now);
    }
  }

  #track(attempt: Promise<void>): void {
    this.#inFlight.add(attempt);
    attempt
      .catch((err: unknown) => this.#o.faults.report("export_attempt", err))
      .finally(() => this.#inFlight.delete(attempt));
  }

  async #sendLive(batch: LiveBatch): Promise<void> {
    batch.sending = true;
    batch.attempts += 1;
    this.#liveSending += 1;
    let outcome: SendOutcome | null;
    try {
      outcome = await this.#attempt(batch.entry, batch.payload, batch.journal);
    } finally {
      batch.sending = false;
      this.#liveSending -= 1;
    }
    if (outcome === null) {
      this.#removeLive(batch);
      this.#pump();
      return;
    }
    try {
      this.#settle(batch.entry, outcome, batch.journal);
      // A batch of a retired journal that was not delivered waits there for the next start.
      if (batch.journal !== this.#journal) {
        this.#removeLive(batch);
        return;
      }
      if (!this.#live.has(batch.entry.id)) return;
      // Still live: a retry. Within the live retries it waits its backoff; past them, the backlog.
      if (this.#health.state === "up" && batch.attempts <= this.#o.maxRetries) {
        const retryAfter = outcome.kind === "not_stored" ? outcome.retryAfterMs : undefined;
        batch.notBefore = this.#clock.now() + retryDelayMs(batch.attempts, this.#o.retryDelayMs, retryAfter);
      } else {
        this.#removeLive(batch);
        this.#ensureReplay();
      }
    } catch (err) {
      this.#o.faults.report("export_settle", err);
    } finally {
      this.#pump();
    }
  }

  // ---- one attempt, and what its outcome means ----

  /** One send of a batch; null when it was not made (its journal failed to record the send first). */
  async #attempt(entry: JournalEntry, payload: Encoded, journal: BatchJournal): Promise<SendOutcome | null> {
    const { metrics } = this.#o;
    // Written before the send: a crash while it is in flight leaves a batch Langfuse may have.
    // If the mark cannot be written, the batch is not sent: it waits on disk for the next start
    // (sent then, it would be a re-send nobody could count).
    if (journal.durable && !this.#write(journal, () => journal.setMaybeStored(entry.id, true))) return null;
    if (entry.maybeStored) metrics.spansResent.inc(entry.count);
    metrics.exportAttempts.inc();
    const started = performance.now();
    let outcome: SendOutcome;
    try {
      const format = this.#formatOf(payload);
      outcome = await this.#o.transport.send(format.body(payload as never), format.contentType);
    } catch (err) {
      // Transports are not supposed to throw; if one does, nothing can be known about the batch.
      outcome = { kind: "unknown", reason: "network", message: err instanceof Error ? err.message : String(err) };
    }
    metrics.exportDuration.observe(
      { outcome: outcome.kind === "stored" ? "ok" : "failed" },
      (performance.now() - started) / 1000,
    );
    return outcome;
  }

  /** Applies one outcome to its entry in `journal` (and its live batch): the policy's fate, counted. */
  #settle(entry: JournalEntry, outcome: SendOutcome, journal: BatchJournal): void {
    const { metrics, faults } = this.#o;
    if (outcome.kind !== "stored") {
      metrics.exportFailures.inc({ reason: failureReason(outcome) });
      if (outcome.kind !== "auth_failed")
        faults.report(`export_${failureReason(outcome)}`, new Error(outcome.message), {
          status: "status" in outcome ? outcome.status : undefined,
        });
    }
    switch (fateOf(outcome)) {
      case "delivered": {
        this.#forget(entry, journal);
        metrics.spansExported.inc(entry.count);
        const wasUp = this.#health.state === "up";
        this.#health = HEALTHY;
        if (!wasUp) this.#backendUp();
        return;
      }
      case "retry": {
        // maybeStored only ever goes from false to true: once an attempt may have stored it, every later send is a re-send.
        if (outcome.kind === "unknown") entry.maybeStored = true;
        else if (!entry.maybeStored && journal.durable)
          this.#write(journal, () => journal.setMaybeStored(entry.id, false));
        if (outcome.kind === "unknown" && !journal.durable) journal.setMaybeStored(entry.id, true);
        const wasUp = this.#health.state === "up";
        this.#health = healthAfter(this.#health, outcome);
        if (wasUp && this.#health.state === "down") this.#backendDown();
        return;
      }
      case "hold": {
        if (!entry.maybeStored && journal.durable) this.#write(journal, () => journal.setMaybeStored(entry.id, false));
        const wasRefused = this.#health.state === "auth_failed";
        this.#health = healthAfter(this.#health, outcome);
        this.#authFailed(outcome, wasRefused);
        return;
      }
      case "split": {
        // A retired journal takes no new entries: its batch is split at the next start.
        if (journal === this.#journal) this.#split(entry);
        return;
      }
      case "drop": {
        this.#forget(entry, journal);
        metrics.spansRejected.inc({ status: String("status" in outcome ? outcome.status : 0) }, entry.count);
        this.#drop(entry.count, "rejected");
        return;
      }
    }
  }

  /** Removes a finished entry from its journal and the live lane. */
  #forget(entry: JournalEntry, journal: BatchJournal): void {
    const live = this.#live.get(entry.id);
    if (live && live.journal === journal) this.#removeLive(live);
    this.#write(journal, () => journal.remove(entry.id), entry.id);
  }

  /** 413: two halves replace the batch; a single span Langfuse will not take is dropped. */
  #split(entry: JournalEntry): void {
    const read = this.#live.get(entry.id)?.payload ?? this.#readPayload(entry);
    if (read === null) return;
    const format = this.#formatOf(read);
    const spans: Encoded[] = format.split(read as never);
    if (spans.length < 2) {
      this.#forget(entry, this.#journal);
      this.#drop(entry.count, "too_large");
      return;
    }
    const half = spans.length >> 1;
    const halves = [spans.slice(0, half), spans.slice(half)].map((s) => ({
      payload: format.join(s as never) as Encoded,
      count: s.length,
    }));
    const wasLive = this.#live.get(entry.id);
    if (wasLive) this.#removeLive(wasLive);
    const journal = this.#journal;
    let entries: JournalEntry[] = [];
    if (!this.#write(journal, () => (entries = journal.replace(entry.id, halves)))) return;
    // The halves carry the whole batch's history: if it may have been stored, so may they.
    entries.forEach((e, i) => {
      if (entry.maybeStored) {
        e.maybeStored = true;
        this.#write(journal, () => journal.setMaybeStored(e.id, true));
      }
      if (wasLive && this.#health.state === "up") this.#addLive(e, halves[i]!.payload);
    });
    if (!wasLive) this.#ensureReplay();
  }

  #backendUp(): void {
    this.#o.metrics.backendState.set(0);
    this.#o.logger.info({}, "Langfuse accepts traces again; sending live and replaying the backlog");
    this.#pump();
    this.#ensureReplay();
  }

  #backendDown(): void {
    this.#o.metrics.backendState.set(1);
    // Batches wait in the journal, not in retry timers: one probe finds out when to resume.
    this.#demoteLive();
    this.#ensureReplay();
  }

  #authFailed(outcome: SendOutcome, wasRefused: boolean): void {
    if (!wasRefused) {
      const status = "status" in outcome ? outcome.status : undefined;
      this.#o.logger.error(
        {
          status,
          held: this.#journal.durable
            ? "in the trace journal (delivered after a restart with the right keys)"
            : "in memory (bounded; lost at exit)",
        },
        `Langfuse refused the credentials (HTTP ${status}): check LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and LANGFUSE_BASE_URL (keys from the same project and region). Traces are held, not dropped.`,
      );
    }
    this.#o.metrics.backendState.set(2);
    this.#o.metrics.authFailures.inc();
    this.#demoteLive();
    this.#ensureReplay();
  }

  // ---- the backlog: one attempt at a time, oldest first, paced ----

  /** Makes sure the backlog is being worked on: at once while up, at the probe's pace otherwise. */
  #ensureReplay(): void {
    this.#kickReplay(backlogDelayMs(this.#health));
  }

  #kickReplay(delayMs: number): void {
    if (this.#closed || this.#replaying || this.#replayTimer !== undefined) return;
    if (this.#journal.entries === 0) return;
    this.#replayTimer = this.#clock.setTimeout(() => {
      this.#replayTimer = undefined;
      this.#track(this.#replayStep());
    }, delayMs);
  }

  /** The oldest journal entry that is not in the live lane, or null when there is none. */
  #nextBacklog(): JournalEntry | null {
    for (let pass = 0; pass < 2; pass++) {
      for (;;) {
        const entries = this.#journal.scan(this.#replayCursor, SCAN_AHEAD);
        if (entries.length === 0) break;
        for (const entry of entries) {
          this.#replayCursor = entry.id;
          if (!this.#live.has(entry.id)) return entry;
        }
      }
      // Reached the end: start over from the oldest (entries left behind by a retry or a demotion).
      this.#replayCursor = 0;
    }
    return null;
  }

  /** Text payloads are OTLP/JSON, bytes are OTLP/protobuf. */
  #formatOf(payload: Encoded): SpanFormat<string> | SpanFormat<Uint8Array> {
    return typeof payload === "string" ? this.#o.formats.json : this.#o.formats.protobuf;
  }

  #readPayload(entry: JournalEntry): Encoded | null {
    const journal = this.#journal;
    const read = journal.read(entry.id);
    if (read.ok) return read.payload;
    this.#write(journal, () => journal.remove(entry.id));
    if (read.reason === "corrupt") {
      this.#o.metrics.spoolEntriesCorrupt.inc();
      this.#o.faults.report("journal_corrupt_entry", new Error(`journal entry ${entry.id} failed its checksum`));
      this.#drop(entry.count, "spool_corrupt");
    }
    return null;
  }

  async #replayStep(): Promise<void> {
    if (this.#closed || this.#replaying) return;
    this.#replaying = true;
    let nextDelay: number | null = null;
    try {
      this.#replayCursor = 0;
      const entry = this.#nextBacklog();
      if (entry === null) return;
      const payload = this.#readPayload(entry);
      if (payload === null) {
        nextDelay = 0;
        return;
      }
      const journal = this.#journal;
      this.#replayingId = entry.id;
      const outcome = await this.#attempt(entry, payload, journal);
      this.#replayingId = 0;
      if (outcome === null) return;
      // Settled even after shutdown began: the journal is still open and must learn the outcome.
      this.#settle(entry, outcome, journal);
      switch (outcome.kind) {
        case "stored":
          this.#o.metrics.spoolBatchesReplayed.inc();
          nextDelay = (entry.count / this.#o.replayRatePerSec) * 1000;
          break;
        case "auth_failed":
          nextDelay = AUTH_PROBE_MS;
          break;
        case "not_stored":
        case "unknown":
          this.#health = afterFailedProbe(
            this.#health,
            outcome.kind === "not_stored" ? outcome.retryAfterMs : undefined,
          );
          nextDelay = this.#health.probeMs!;
          break;
        default:
          nextDelay = 0;
      }
    } catch (err) {
      this.#o.faults.report("export_replay", err);
      nextDelay = PROBE_FALLBACK_MS;
    } finally {
      this.#replaying = false;
      if (nextDelay !== null) this.#kickReplay(nextDelay);
    }
  }

  #drop(spans: number, reason: DropReason): void {
    this.#o.metrics.spansDropped.inc({ reason }, spans);
  }
}

/** After an unexpected error in the replay itself: try again, but not in a tight loop. */
const PROBE_FALLBACK_MS = 5_000;
/** Removals from a retired journal that failed are tried again this often. */
const REMOVAL_RETRY_MS = 5_000;

/** The `reason` label of export_failures_total for one outcome. */
export function failureReason(outcome: SendOutcome): string {
  switch (outcome.kind) {
    case "not_stored":
      return outcome.reason;
    case "unknown":
      return `unknown_${outcome.reason}`;
    case "auth_failed":
      return "auth";
    case "too_large":
      return "http_413";
    case "rejected":
      return "http_4xx";
    case "stored":
      return "none";
  }
}

function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
