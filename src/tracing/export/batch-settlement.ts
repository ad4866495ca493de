// What one attempt's outcome does, for either lane: the policy names the batch's fate
// (delivery-policy.ts) and the backend's health follows from it (backend-health.ts); here they
// are carried out: the journal's entry removed, marked or split in two, the counters, and what a
// change of health means for the lanes (down or refused: everything waits in the journal behind
// one probe; back up: both lanes resume).
import type { Encoded } from "../encoding/span-format.js";
import type { BatchJournal, JournalEntry } from "./batch-journal.js";
import { afterFailedProbe, backlogDelayMs, healthAfter, HEALTHY, type BackendHealth } from "./backend-health.js";
import type { BacklogReplay } from "./backlog-replay.js";
import { fateOf } from "./delivery-policy.js";
import type { BatchDeliveryOptions } from "./delivery-options.js";
import type { JournalKeeper } from "./journal-keeper.js";
import type { LiveLane } from "./live-lane.js";
import { formatOf } from "./send-attempt.js";
import type { SendOutcome } from "./send-outcome.js";

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

export class BatchSettlement {
  readonly #options: BatchDeliveryOptions;
  readonly #keeper: JournalKeeper;
  readonly #lane: LiveLane;
  readonly #replay: BacklogReplay;
  #health: BackendHealth = HEALTHY;

  constructor(options: BatchDeliveryOptions, keeper: JournalKeeper, lane: LiveLane, replay: BacklogReplay) {
    this.#options = options;
    this.#keeper = keeper;
    this.#lane = lane;
    this.#replay = replay;
  }

  get health(): BackendHealth {
    return this.#health;
  }

  /** The backlog's next wait, from the backend's health. */
  backlogDelayMs(): number {
    return backlogDelayMs(this.#health);
  }

  /** A backlog probe failed: the next one waits longer (Retry-After wins); returns that wait. */
  probeFailed(retryAfterMs: number | undefined): number {
    this.#health = afterFailedProbe(this.#health, retryAfterMs);
    return this.#health.probeMs!;
  }

  /** Applies one outcome to its entry in `journal` (and its live batch): the policy's fate, counted. */
  settle(entry: JournalEntry, outcome: SendOutcome, journal: BatchJournal): void {
    const { metrics, faults } = this.#options;
    if (outcome.kind !== "stored") {
      metrics.exportFailures.inc({ reason: failureReason(outcome) });
      if (outcome.kind !== "auth_failed")
        faults.report(`export_${failureReason(outcome)}`, new Error(outcome.message), {
          status: "status" in outcome ? outcome.status : undefined,
        });
    }
    const keeper = this.#keeper;
    const before = this.#health.state;
    switch (fateOf(outcome)) {
      case "delivered": {
        this.#forget(entry, journal);
        metrics.spansExported.inc(entry.count);
        this.#health = HEALTHY;
        if (before !== "up") this.#backendUp();
        return;
      }
      case "retry": {
        // maybeStored only ever goes from false to true: once an attempt may have stored it, every later send is a re-send.
        if (outcome.kind === "unknown") entry.maybeStored = true;
        else if (!entry.maybeStored && journal.durable)
          keeper.write(journal, () => journal.setMaybeStored(entry.id, false));
        if (outcome.kind === "unknown" && !journal.durable) journal.setMaybeStored(entry.id, true);
        this.#health = healthAfter(this.#health, outcome);
        if (before === "up" && this.#health.state === "down") this.#backendDown();
        return;
      }
      case "hold": {
        if (!entry.maybeStored && journal.durable) keeper.write(journal, () => journal.setMaybeStored(entry.id, false));
        this.#health = healthAfter(this.#health, outcome);
        this.#authFailed(outcome, before === "auth_failed");
        return;
      }
      case "split": {
        // A retired journal takes no new entries: its batch is split at the next start.
        if (journal === keeper.journal) this.#split(entry);
        return;
      }
      case "drop": {
        this.#forget(entry, journal);
        metrics.spansRejected.inc({ status: String("status" in outcome ? outcome.status : 0) }, entry.count);
        metrics.spansDropped.inc({ reason: "rejected" }, entry.count);
        return;
      }
    }
  }

  /** Removes a finished entry from its journal and the live lane. */
  #forget(entry: JournalEntry, journal: BatchJournal): void {
    const live = this.#lane.get(entry.id);
    if (live && live.journal === journal) this.#lane.remove(live);
    this.#keeper.write(journal, () => journal.remove(entry.id), entry.id);
  }

  /** 413: two halves replace the batch; a single span Langfuse will not take is dropped. */
  #split(entry: JournalEntry): void {
    const lane = this.#lane;
    const keeper = this.#keeper;
    const read = lane.get(entry.id)?.payload ?? keeper.readPayload(entry);
    if (read === null) return;
    const format = formatOf(this.#options.formats, read);
    const spans: Encoded[] = format.split(read as never);
    if (spans.length < 2) {
      this.#forget(entry, keeper.journal);
      this.#options.metrics.spansDropped.inc({ reason: "too_large" }, entry.count);
      return;
    }
    const half = spans.length >> 1;
    const halves = [spans.slice(0, half), spans.slice(half)].map((s) => ({
      payload: format.join(s as never) as Encoded,
      count: s.length,
    }));
    const wasLive = lane.get(entry.id);
    if (wasLive) lane.remove(wasLive);
    const journal = keeper.journal;
    let entries: JournalEntry[] = [];
    if (!keeper.write(journal, () => (entries = journal.replace(entry.id, halves)))) return;
    // The halves carry the whole batch's history: if it may have been stored, so may they.
    entries.forEach((e, i) => {
      if (entry.maybeStored) {
        e.maybeStored = true;
        keeper.write(journal, () => journal.setMaybeStored(e.id, true));
      }
      if (wasLive && this.#health.state === "up") lane.add(e, halves[i]!.payload, keeper.journal);
    });
    if (!wasLive) this.#replay.ensure();
  }

  #backendUp(): void {
    this.#options.metrics.backendState.set(0);
    this.#options.logger.info({}, "Langfuse accepts traces again; sending live and replaying the backlog");
    this.#lane.pump();
    this.#replay.ensure();
  }

  #backendDown(): void {
    this.#options.metrics.backendState.set(1);
    // Batches wait in the journal, not in retry timers: one probe finds out when to resume.
    this.#lane.demote();
    this.#replay.ensure();
  }

  #authFailed(outcome: SendOutcome, wasRefused: boolean): void {
    const { logger, metrics } = this.#options;
    if (!wasRefused) {
      const status = "status" in outcome ? outcome.status : undefined;
      logger.error(
        {
          status,
          held: this.#keeper.journal.durable
            ? "in the trace journal (delivered after a restart with the right keys)"
            : "in memory (bounded; lost at exit)",
        },
        `Langfuse refused the credentials (HTTP ${status}): check LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and LANGFUSE_BASE_URL (keys from the same project and region). Traces are held, not dropped.`,
      );
    }
    metrics.backendState.set(2);
    metrics.authFailures.inc();
    this.#lane.demote();
    this.#replay.ensure();
  }
}
