// What a delivery is built from, declared once: the coordinator and each of its parts (the live
// lane, the backlog replay, the journal keeper) read the fields they need from this one object.
import type { SpanFormat } from "../encoding/span-format.js";
import type { FaultReporter, TracingLogger } from "../fault-reporter.js";
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
  transport: ExportTransport;
  /** Where sealed batches wait until Langfuse has them: SqliteJournal, or MemoryJournal without a folder. */
  journal: BatchJournal;
  /**
   * The wire formats payloads can be in: a journal may hold batches of both (the format was
   * changed between runs), and each is sent as what it is.
   */
  formats: PayloadFormats;
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
