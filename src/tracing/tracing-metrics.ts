import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { TRACING_METRICS } from "./metric-names.js";

/** Why trace data was dropped instead of delivered. */
export type DropReason =
  | "queue_full" // a memory bound (LANGFUSE_MAX_QUEUE_BYTES) was reached (memory-only: the oldest batches go)
  | "rejected" // Langfuse answered a 4xx that no retry can fix (400, 404, 422 ...); see spans_rejected_total by status
  | "too_large" // one span was still too large for Langfuse (413) after cutting
  | "shutdown" // memory-only: still undelivered when the shutdown timeout ran out
  | "encode_failed" // the span could not be serialized
  | "worker_exit" // the export worker died before sealing them into its journal (it is started again)
  | "journal_evicted" // the journal reached LANGFUSE_JOURNAL_MAX_BYTES and dropped its oldest batches
  | "journal_corrupt" // a journal entry failed its checksum
  | "journal_failed" // a batch could be written nowhere (journal and memory both failed)
  | "retries_exhausted"; // (official SDK pipeline) every attempt within its export timeout failed

/** Why one export attempt of the official SDK pipeline failed (ours: see SpanExporter's failureReason). */
export type FailureReason = "timeout" | "network" | "http_429" | "http_5xx" | "http_4xx";

/** The exporter state /metrics reads at scrape time (never set per span on the request path). */
export interface ExporterStateView {
  readonly heldSpans: number;
  readonly memoryBytes: number;
  readonly journal: { readonly bytes: number; readonly entries: number; readonly durable: boolean };
  /** Brings the export side's counts up to date before a scrape (the export worker's). */
  sync?(): Promise<void>;
}

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
  readonly spansResent: Counter<string>;
  readonly spansCut: Counter<string>;
  readonly spansRejected: Counter<"status">;
  readonly backendState: Gauge<string>;
  readonly authFailures: Counter<string>;
  readonly exportDuration: Histogram<"outcome">;
  readonly requestPath: Histogram<string>;
  readonly queueSpans: Gauge<string>;
  readonly queueBytes: Gauge<string>;
  readonly errors: Counter<"kind">;
  readonly sampledOut: Counter<string>;
  readonly keptByRule: Counter<"rule">;
  readonly turnsShed: Counter<string>;
  readonly busy: Gauge<string>;
  readonly journalBytes: Gauge<string>;
  readonly journalBatches: Gauge<string>;
  readonly journalBatchesReplayed: Counter<string>;
  readonly journalBatchesEvicted: Counter<string>;
  readonly journalBatchesWritten: Counter<string>;
  readonly journalEntriesCorrupt: Counter<string>;
  readonly journalAvailable: Gauge<string>;

  #exporter: ExporterStateView | undefined;
  #isBusy: () => boolean = () => false;
  readonly #created: Record<string, number> = { trace: 0, span: 0, generation: 0 };

  /** One observation created (request path: a plain increment). */
  created(type: "trace" | "span" | "generation"): void {
    this.#created[type]! += 1;
  }

  /** Whether tracing is shedding turns for a busy event loop, read at scrape time. */
  observeBusy(isBusy: () => boolean): void {
    this.#isBusy = isBusy;
  }

  /** The exporter whose state the gauges read at scrape time. */
  observeExporter(exporter: ExporterStateView): void {
    this.#exporter = exporter;
  }

  constructor(registry: Registry) {
    const registers = [registry];
    // Metrics the export side writes: a scrape first brings them up to date (the export worker
    // reports its counts as deltas), once for all of them.
    const sync = async (): Promise<void> => {
      await this.#exporter?.sync?.();
    };
    const created = this.#created;
    this.observationsCreated = new Counter({
      name: TRACING_METRICS.observationsCreated,
      help: "Observations created (trace roots, spans, generations)",
      labelNames: ["type"],
      registers,
      // Counted in plain numbers on the request path (no label lookup per span), published here.
      collect() {
        this.reset();
        for (const type in created) if (created[type]! > 0) this.inc({ type }, created[type]);
      },
    });
    this.spansExported = new Counter({
      name: TRACING_METRICS.spansExported,
      help: "Spans the backend accepted",
      registers,
      collect: sync,
    });
    this.spansDropped = new Counter({
      name: TRACING_METRICS.spansDropped,
      help: "Spans dropped instead of delivered, by reason",
      labelNames: ["reason"],
      registers,
      collect: sync,
    });
    this.exportAttempts = new Counter({
      name: TRACING_METRICS.exportAttempts,
      help: "Export HTTP attempts (first tries and retries)",
      registers,
      collect: sync,
    });
    this.exportFailures = new Counter({
      name: TRACING_METRICS.exportFailures,
      help: "Failed export attempts by reason: network/timeout/http_429/http_5xx (not stored, retried), unknown_* (sent, no usable answer: re-sent and counted in spans_resent_total), auth, http_413, http_4xx",
      labelNames: ["reason"],
      registers,
      collect: sync,
    });
    this.spansResent = new Counter({
      name: TRACING_METRICS.spansResent,
      help: "Spans sent again after an attempt whose outcome was unknown (Langfuse may store them twice)",
      registers,
      collect: sync,
    });
    this.spansCut = new Counter({
      name: TRACING_METRICS.spansCut,
      help: "Spans larger than LANGFUSE_MAX_BATCH_BYTES whose longest fields were cut to fit (with the truncation marker)",
      registers,
    });
    this.spansRejected = new Counter({
      name: TRACING_METRICS.spansRejected,
      help: "Spans Langfuse rejected with a 4xx no retry can fix, by HTTP status",
      labelNames: ["status"],
      registers,
      collect: sync,
    });
    this.backendState = new Gauge({
      name: TRACING_METRICS.backendState,
      help: "What the exporter believes of Langfuse: 0 up, 1 down (probing), 2 credentials refused (401/403; traces held)",
      registers,
      collect: sync,
    });
    this.authFailures = new Counter({
      name: TRACING_METRICS.authFailures,
      help: "Export attempts answered 401/403: check LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY, LANGFUSE_BASE_URL",
      registers,
      collect: sync,
    });
    this.exportDuration = new Histogram({
      name: TRACING_METRICS.exportDuration,
      help: "Duration of one export attempt",
      labelNames: ["outcome"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
      collect: sync,
    });
    this.requestPath = new Histogram({
      name: TRACING_METRICS.requestPath,
      help: "Main-thread time a chat turn's tracing calls took, per traced turn (each response's Server-Timing `tracing` entry)",
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01],
      registers,
    });
    const view = () => this.#exporter;
    this.queueSpans = new Gauge({
      name: TRACING_METRICS.queueSpans,
      help: "Spans not yet delivered: unsealed, in the journal, in flight",
      registers,
      async collect() {
        await sync();
        const e = view();
        if (e) this.set(e.heldSpans);
      },
    });
    this.queueBytes = new Gauge({
      name: TRACING_METRICS.queueBytes,
      help: "Span payload bytes held in memory (bounded by LANGFUSE_MAX_QUEUE_BYTES)",
      registers,
      async collect() {
        await sync();
        const e = view();
        if (e) this.set(e.memoryBytes);
      },
    });
    this.errors = new Counter({
      name: TRACING_METRICS.errors,
      help: "Errors caught inside tracing (never surfaced to requests), by kind",
      labelNames: ["kind"],
      registers,
      collect: sync,
    });
    this.journalBytes = new Gauge({
      name: TRACING_METRICS.journalBytes,
      help: "Bytes of undelivered trace data in the disk journal",
      registers,
      async collect() {
        await sync();
        const e = view();
        if (e) this.set(e.journal.durable ? e.journal.bytes : 0);
      },
    });
    this.journalBatches = new Gauge({
      name: TRACING_METRICS.journalBatches,
      help: "Batches waiting in the disk journal",
      registers,
      async collect() {
        await sync();
        const e = view();
        if (e) this.set(e.journal.durable ? e.journal.entries : 0);
      },
    });
    this.journalBatchesReplayed = new Counter({
      name: TRACING_METRICS.journalBatchesReplayed,
      help: "Backlog batches (waiting in the journal while Langfuse was down, or left by an earlier run) delivered",
      registers,
      collect: sync,
    });
    this.journalBatchesEvicted = new Counter({
      name: TRACING_METRICS.journalBatchesEvicted,
      help: "Oldest journal batches dropped to stay under LANGFUSE_JOURNAL_MAX_BYTES (LANGFUSE_MAX_QUEUE_BYTES when memory-only)",
      registers,
      collect: sync,
    });
    this.journalBatchesWritten = new Counter({
      name: TRACING_METRICS.journalBatchesWritten,
      help: "Batches written to the journal file: with LANGFUSE_JOURNAL_DELAY, only those Langfuse had not acknowledged within it (or held at shutdown)",
      registers,
      collect: sync,
    });
    this.journalEntriesCorrupt = new Counter({
      name: TRACING_METRICS.journalEntriesCorrupt,
      help: "Journal entries skipped because their checksum failed",
      registers,
      collect: sync,
    });
    this.journalAvailable = new Gauge({
      name: TRACING_METRICS.journalAvailable,
      help: "1 while the disk journal is usable; 0 when tracing runs memory-only",
      registers,
      collect: sync,
    });
    this.sampledOut = new Counter({
      name: TRACING_METRICS.turnsSampledOut,
      help: "Ordinary turns not traced because of LANGFUSE_SAMPLE_RATE",
      registers,
    });
    this.keptByRule = new Counter({
      name: TRACING_METRICS.turnsKeptByRule,
      help: "Turns traced whatever LANGFUSE_SAMPLE_RATE or a busy event loop, by the rule that kept them: error, warning (client gone), clarification, slow",
      labelNames: ["rule"],
      registers,
    });
    this.turnsShed = new Counter({
      name: TRACING_METRICS.turnsShed,
      help: "Ordinary turns not traced because the event loop was busy (LANGFUSE_BUSY_TRACES_PER_SEC)",
      registers,
    });
    const isBusy = () => this.#isBusy();
    this.busy = new Gauge({
      name: TRACING_METRICS.busy,
      help: "1 while the event loop is busy and turns beyond LANGFUSE_BUSY_TRACES_PER_SEC are not traced",
      registers,
      // Read when scraped, so a service that went quiet after a busy spell does not stay busy here.
      collect() {
        this.set(isBusy() ? 1 : 0);
      },
    });
  }
}
