// One attempt to send a batch, the same for both lanes: the journal learns first that the batch
// may be stored (a crash in flight then counts its re-send), the payload goes out in the format
// it was written in, and the attempt is counted and timed. What the outcome means is the
// settlement's (batch-settlement.ts).
import type { Encoded, SpanFormat } from "../encoding/span-format.js";
import type { BatchJournal, JournalEntry } from "./batch-journal.js";
import type { BatchDeliveryOptions, PayloadFormats } from "./delivery-options.js";
import type { JournalKeeper } from "./journal-keeper.js";
import type { SendOutcome } from "./send-outcome.js";

/** Text payloads are OTLP/JSON, bytes are OTLP/protobuf. */
export function formatOf(formats: PayloadFormats, payload: Encoded): SpanFormat<string> | SpanFormat<Uint8Array> {
  return typeof payload === "string" ? formats.json : formats.protobuf;
}

export class SendAttempt {
  readonly #options: BatchDeliveryOptions;
  readonly #keeper: JournalKeeper;

  constructor(options: BatchDeliveryOptions, keeper: JournalKeeper) {
    this.#options = options;
    this.#keeper = keeper;
  }

  /** One send of a batch; null when it was not made (its journal failed to record the send first). */
  async run(entry: JournalEntry, payload: Encoded, journal: BatchJournal): Promise<SendOutcome | null> {
    const { metrics } = this.#options;
    // Written before the send: a crash while it is in flight leaves a batch Langfuse may have.
    // If the mark cannot be written, the batch is not sent: it waits on disk for the next start
    // (sent then, it would be a re-send nobody could count).
    if (journal.durable && !this.#keeper.write(journal, () => journal.setMaybeStored(entry.id, true))) return null;
    if (entry.maybeStored) metrics.spansResent.inc(entry.count);
    metrics.exportAttempts.inc();
    const started = performance.now();
    let outcome: SendOutcome;
    try {
      const format = formatOf(this.#options.formats, payload);
      outcome = await this.#options.transport.send(format.body(payload as never), format.contentType);
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
}
