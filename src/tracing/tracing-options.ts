/**
 * What `createTracing` is given: where traces go and how the export behaves, as plain typed
 * values (times in milliseconds). This is the package's one declaration of its settings: every
 * field but the keys, the service's name and version and the trace tags has a default
 * (`TRACING_DEFAULTS`), and the resolved object (`TracingSettings`) is handed whole to the parts
 * that read it. Switchboard's service sets the fields from the LANGFUSE_* variables that declare
 * they feed them (src/config.ts).
 */
export interface TracingOptions {
  /** Langfuse project public key (pk-lf-...); also sent as `x-langfuse-public-key`. */
  publicKey: string;
  /** Langfuse project secret key (sk-lf-...); only used in the Basic auth header. */
  secretKey: string;
  /** Langfuse base URL (cloud region or self-hosted); spans go to `${baseUrl}/api/public/otel/v1/traces`. */
  baseUrl?: string;
  /** The OTLP resource's `service.name`. */
  serviceName: string;
  /** The application's version: the resource's `service.version` and `langfuse.version` on every observation. */
  version: string;
  /** Langfuse environment tag of every observation (e.g. production); none when absent. */
  environment?: string;
  /** Release tag of every observation; none when absent. */
  release?: string;
  /**
   * Share of ordinary turns traced, 0..1, decided by trace id when a turn ends. Turns that failed,
   * lost their client, asked a clarifying question or took longer than `keepSlowerThanMs` are
   * always traced.
   */
  sampleRate?: number;
  /** A turn that takes longer than this (ms) is traced whatever the sample rate, and while the loop is busy. */
  keepSlowerThanMs?: number;
  /**
   * Ordinary turns traced per second while the event loop is busy (BUSY_UTILIZATION over
   * BUSY_WINDOW_MS, until below CALM_UTILIZATION over CALM_WINDOW_MS: busy-shedding.ts); the others
   * are not traced, decided when they start. A turn that fails, loses its client, asks a
   * clarifying question or is slow is still traced, by its root observation. 0: every turn traced
   * at any load.
   */
  busyTracesPerSec?: number;
  /** false keeps traces and generations but drops the graph-node spans. */
  enableSpans?: boolean;
  /** Input, output and metadata values longer than this many characters are cut, with a marker. */
  maxFieldChars?: number;
  /** false sends the sizes of inputs and outputs instead of their content. */
  captureIo?: boolean;
  /** Built-in maskers applied before anything leaves the process: `none`, `all`, or a comma list of `MASKER_NAMES`. */
  mask?: string;
  /** Extra regexes to mask (flags gu), separated by `MASK_PATTERN_DELIMITER`; matches become `[masked]`. */
  maskPatterns?: string;
  /** Also write each turn's input and output as trace-level fields (read only by a self-hosted Langfuse v3). */
  legacyTraceIo?: boolean;
  /** Most spans per export batch; a batch this full is sealed and sent at once. */
  flushAt?: number;
  /** Most bytes per export request body; one span larger than this is cut, longest fields first. */
  maxBatchBytes?: number;
  /** How long a span may wait before its batch is sealed and sent (ms). */
  flushIntervalMs?: number;
  /** How long one export attempt waits for Langfuse's answer (ms). */
  timeoutMs?: number;
  /** Quick retries of a batch in memory after a failure that did not store it; then it waits in the journal. */
  maxRetries?: number;
  /** Delay before the first quick retry (ms); doubles per retry, with jitter; Retry-After takes precedence. */
  retryDelayMs?: number;
  /** Export requests in flight at once. */
  concurrency?: number;
  /** Memory bound for trace data held in memory (bytes); with a journal the rest waits on disk, without one it is dropped, counted. */
  maxQueueBytes?: number;
  /** Folder of the on-disk journal (spool.db) that keeps every batch until Langfuse has it; null: memory only. */
  journalDir?: string | null;
  /** Bound on the journal (bytes); past it the oldest batches are dropped, counted. */
  maxJournalBytes?: number;
  /**
   * How long a sealed batch is held in memory before it is written to the journal (ms): one
   * Langfuse acknowledges sooner never reaches the disk. 0: every batch is written when sealed.
   */
  journalDelayMs?: number;
  /** Spans per second replayed from the journal's backlog after an outage or a restart. */
  replayRatePerSec?: number;
  /** How long shutdown may spend sending what is held (ms); the rest stays in the journal. */
  shutdownTimeoutMs?: number;
  /**
   * Which pipeline: ours (`switchboard`), or for benchmark comparisons only the official
   * Langfuse SDK with its defaults (`sdk`) or the seed's unoptimised setup (`naive`).
   */
  pipeline?: "switchboard" | "sdk" | "naive";
  /** Runs once the exporter is flushed at shutdown (e.g. to close a receiver the traces went to). */
  onShutdown?: () => Promise<void>;
}

/** The value of every optional field of `TracingOptions` that is not given. */
export const TRACING_DEFAULTS = {
  baseUrl: "https://cloud.langfuse.com",
  sampleRate: 1,
  keepSlowerThanMs: 10_000,
  // About 1 % of a core: a fully traced turn costs ~0.5 ms of CPU in the service.
  busyTracesPerSec: 20,
  enableSpans: true,
  maxFieldChars: 20_000,
  captureIo: true,
  mask: "none",
  legacyTraceIo: false,
  flushAt: 1000,
  maxBatchBytes: 1_000_000,
  flushIntervalMs: 500,
  timeoutMs: 10_000,
  maxRetries: 3,
  retryDelayMs: 1000,
  concurrency: 2,
  // A few batches: a slow or hung Langfuse then costs the service a few megabytes of memory, not
  // tens (the journal holds the rest).
  maxQueueBytes: 8 * 1024 * 1024,
  journalDir: null,
  maxJournalBytes: 256 * 1024 * 1024,
  // Langfuse acknowledges a batch in milliseconds to a few hundred: a second keeps nearly every
  // delivered batch off the disk, and is what a crash can lose beyond the flush interval.
  journalDelayMs: 1000,
  replayRatePerSec: 1000,
  shutdownTimeoutMs: 5000,
  pipeline: "switchboard",
} as const satisfies Partial<Record<keyof TracingOptions, unknown>>;

/**
 * Every setting that has a default, at its value: what the pipeline's parts are handed, whole
 * (each reads the fields it needs). A field added to `TracingOptions` and `TRACING_DEFAULTS` is
 * in it at once.
 */
export type TracingSettings = Readonly<Required<Pick<TracingOptions, keyof typeof TRACING_DEFAULTS>>>;

/** The options with every absent (or undefined) field at its default. */
export function resolveTracingOptions<T extends Partial<TracingOptions>>(options: T): Readonly<T> & TracingSettings {
  const resolved: Record<string, unknown> = { ...TRACING_DEFAULTS };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) resolved[key] = value;
  return resolved as Readonly<T> & TracingSettings;
}
