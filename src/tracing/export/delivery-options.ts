// What a delivery is built from, declared once: the coordinator and each of its parts (the live
// lane, the backlog replay, the journal keeper) read the fields they need from this one object,
// and the settings among them are the tracing package's own, passed whole.
import type { SpanFormat } from "../encoding/span-format.js";
import type { FaultReporter, TracingLogger } from "../fault-reporter.js";
import type { TracingSettings } from "../tracing-options.js";
import type { BatchJournal } from "./batch-journal.js";
import type { DeliveryMetrics } from "./delivery-metrics.js";
import type { Scheduler } from "./scheduler.js";
import type { ExportTransport } from "./send-outcome.js";

/** The wire formats payloads can be in. */
export interface PayloadFormats {
  json: SpanFormat<string>;
  protobuf: SpanFormat<Uint8Array>;
}

export interface BatchDeliveryOptions {
  /**
   * The tracing settings, whole: each part reads what it needs (concurrency, maxRetries,
   * retryDelayMs, maxQueueBytes, maxJournalBytes, replayRatePerSec, ...).
   */
  settings: TracingSettings;
  transport: ExportTransport;
  /** Where sealed batches wait until Langfuse has them: SqliteJournal, or MemoryJournal without a folder. */
  journal: BatchJournal;
  /**
   * The wire formats payloads can be in: a journal may hold batches of both (the format was
   * changed between runs), and each is sent as what it is.
   */
  formats: PayloadFormats;
  metrics: DeliveryMetrics;
  faults: FaultReporter;
  logger: TracingLogger;
  /** Where the journal lives, for log lines. */
  journalDescription?: string;
  scheduler?: Scheduler;
}
