import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Why trace data was dropped instead of delivered. */
export type DropReason =
  | "queue_full" // the memory bound (LANGFUSE_MAX_QUEUE_BYTES) was reached
  | "retries_exhausted" // every attempt failed with a retryable error
  | "rejected" // the backend answered a non-retryable status (400, 401, 403, 413 ...)
  | "shutdown" // still queued or in flight when the shutdown timeout ran out
  | "encode_failed" // the span could not be serialized
  | "backend_down" // the backend kept failing: handed to the spool at once instead of retried in memory
  | "spool_evicted" // the spool reached LANGFUSE_SPOOL_MAX_BYTES and dropped its oldest batches
  | "spool_corrupt" // a spooled entry failed its checksum
  | "spool_failed"; // the spool could not write (unwritable or full disk)

/** Why one export attempt failed. */
export type FailureReason = "timeout" | "network" | "http_429" | "http_5xx" | "http_4xx";

/**
 * The tracing pipeline's own health, on /metrics. Every pipeline (ours, the official SDK's)
 * reports through this one object so benchmarks compare like with like.
 */
export class TracingMetrics {
  readonly observationsCreated: Counter<"type">;
  readonly spansExported: Counter<string>;
  readonly spansDropped: Counter<"reason">;
  readonly exportAttempts: Counter<string>;
  readonly exportFailures: Counter<"reason">;
  readonly exportDuration: Histogram<"outcome">;
  readonly queueSpans: Gauge<string>;
  readonly queueBytes: Gauge<string>;
  readonly errors: Counter<"kind">;
  readonly sampledOut: Counter<string>;
  readonly spoolBytes: Gauge<string>;
  readonly spoolBatches: Gauge<string>;
  readonly spoolBatchesSpooled: Counter<"reason">;
  readonly spoolBatchesReplayed: Counter<string>;
  readonly spoolBatchesEvicted: Counter<string>;
  readonly spoolEntriesCorrupt: Counter<string>;
  readonly spoolAvailable: Gauge<string>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.observationsCreated = new Counter({ name: "switchboard_tracing_observations_created_total", help: "Observations created (trace roots, spans, generations)", labelNames: ["type"], registers });
    this.spansExported = new Counter({ name: "switchboard_tracing_spans_exported_total", help: "Spans the backend accepted", registers });
    this.spansDropped = new Counter({ name: "switchboard_tracing_spans_dropped_total", help: "Spans dropped instead of delivered, by reason", labelNames: ["reason"], registers });
    this.exportAttempts = new Counter({ name: "switchboard_tracing_export_attempts_total", help: "Export HTTP attempts (first tries and retries)", registers });
    this.exportFailures = new Counter({ name: "switchboard_tracing_export_failures_total", help: "Failed export attempts by reason", labelNames: ["reason"], registers });
    this.exportDuration = new Histogram({
      name: "switchboard_tracing_export_duration_seconds",
      help: "Duration of one export attempt",
      labelNames: ["outcome"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.queueSpans = new Gauge({ name: "switchboard_tracing_queue_spans", help: "Spans waiting or in flight", registers });
    this.queueBytes = new Gauge({ name: "switchboard_tracing_queue_bytes", help: "Serialized bytes waiting or in flight (bounded by LANGFUSE_MAX_QUEUE_BYTES)", registers });
    this.errors = new Counter({ name: "switchboard_tracing_errors_total", help: "Errors caught inside tracing (never surfaced to requests), by kind", labelNames: ["kind"], registers });
    this.spoolBytes = new Gauge({ name: "switchboard_tracing_spool_bytes", help: "Bytes of undelivered trace data in the disk spool", registers });
    this.spoolBatches = new Gauge({ name: "switchboard_tracing_spool_batches", help: "Batches waiting in the disk spool", registers });
    this.spoolBatchesSpooled = new Counter({ name: "switchboard_tracing_spool_batches_spooled_total", help: "Batches written to the spool, by why they could not be sent", labelNames: ["reason"], registers });
    this.spoolBatchesReplayed = new Counter({ name: "switchboard_tracing_spool_batches_replayed_total", help: "Spooled batches delivered later", registers });
    this.spoolBatchesEvicted = new Counter({ name: "switchboard_tracing_spool_batches_evicted_total", help: "Oldest spooled batches dropped to stay under LANGFUSE_SPOOL_MAX_BYTES", registers });
    this.spoolEntriesCorrupt = new Counter({ name: "switchboard_tracing_spool_entries_corrupt_total", help: "Spooled entries skipped because their checksum failed", registers });
    this.spoolAvailable = new Gauge({ name: "switchboard_tracing_spool_available", help: "1 while the disk spool is usable; 0 when tracing runs memory-only", registers });
    this.sampledOut = new Counter({ name: "switchboard_tracing_turns_sampled_out_total", help: "Turns not traced because of LANGFUSE_SAMPLE_RATE", registers });
  }
}
