/**
 * The names of the tracing pipeline's metrics on /metrics: registered by TracingMetrics, read
 * by the benchmarks and tests, so a renamed metric fails to compile where it is read.
 */
export const TRACING_METRICS = {
  observationsCreated: "switchboard_tracing_observations_created_total",
  spansExported: "switchboard_tracing_spans_exported_total",
  spansDropped: "switchboard_tracing_spans_dropped_total",
  exportAttempts: "switchboard_tracing_export_attempts_total",
  exportFailures: "switchboard_tracing_export_failures_total",
  spansResent: "switchboard_tracing_spans_resent_total",
  spansCut: "switchboard_tracing_spans_cut_total",
  spansRejected: "switchboard_tracing_spans_rejected_total",
  backendState: "switchboard_tracing_backend_state",
  authFailures: "switchboard_tracing_auth_failures_total",
  exportDuration: "switchboard_tracing_export_duration_seconds",
  requestPath: "switchboard_tracing_request_path_seconds",
  queueSpans: "switchboard_tracing_queue_spans",
  queueBytes: "switchboard_tracing_queue_bytes",
  errors: "switchboard_tracing_errors_total",
  spoolBytes: "switchboard_tracing_spool_bytes",
  spoolBatches: "switchboard_tracing_spool_batches",
  spoolBatchesReplayed: "switchboard_tracing_spool_batches_replayed_total",
  spoolBatchesEvicted: "switchboard_tracing_spool_batches_evicted_total",
  spoolEntriesCorrupt: "switchboard_tracing_spool_entries_corrupt_total",
  spoolAvailable: "switchboard_tracing_spool_available",
  turnsSampledOut: "switchboard_tracing_turns_sampled_out_total",
  turnsKeptByRule: "switchboard_tracing_turns_kept_by_rule_total",
} as const;
