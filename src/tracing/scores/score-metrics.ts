import { Counter, Gauge, type Registry } from "prom-client";
import type { CounterLike, DeliveryMetrics, GaugeLike, HistogramLike } from "../export/delivery-metrics.js";
import { TRACING_METRICS } from "../metric-names.js";

const NONE: CounterLike & GaugeLike & HistogramLike = { inc() {}, set() {}, observe() {} };

/**
 * The score delivery's metrics: what an operator asks of feedback (delivered, waiting, given up,
 * refused) on series of their own; the delivery's other counters (attempt timings, journal
 * bookkeeping) are the trace pipeline's business and not repeated for scores.
 */
export class ScoreMetrics implements DeliveryMetrics {
  readonly spansExported: Counter<string>;
  readonly spansDropped: Counter<"reason">;
  readonly spansResent: Counter<string>;
  readonly spansRejected: Counter<"status">;
  readonly exportFailures: Counter<"reason">;
  readonly spansCut = NONE;
  readonly exportAttempts = NONE;
  readonly exportDuration = NONE;
  readonly backendState = NONE;
  readonly authFailures = NONE;
  readonly journalBatchesReplayed = NONE;
  readonly journalBatchesEvicted = NONE;
  readonly journalBatchesWritten = NONE;
  readonly journalEntriesCorrupt = NONE;
  readonly journalAvailable = NONE;

  constructor(
    registry: Registry,
    /** Where errors of the delivery are counted: the tracing pipeline's errors_total. */
    readonly errors: CounterLike,
    pending: () => number,
  ) {
    const registers = [registry];
    this.spansExported = new Counter({
      name: TRACING_METRICS.scoresDelivered,
      help: "Scores (user feedback) Langfuse accepted",
      registers,
    });
    this.spansDropped = new Counter({
      name: TRACING_METRICS.scoresDropped,
      help: "Scores given up instead of delivered, by reason",
      labelNames: ["reason"],
      registers,
    });
    this.spansResent = new Counter({
      name: TRACING_METRICS.scoresResent,
      help: "Scores sent again after an attempt whose outcome was unknown (Langfuse upserts by id: stored once)",
      registers,
    });
    this.spansRejected = new Counter({
      name: TRACING_METRICS.scoresRejected,
      help: "Scores Langfuse refused with a 4xx no retry can fix, by HTTP status",
      labelNames: ["status"],
      registers,
    });
    this.exportFailures = new Counter({
      name: TRACING_METRICS.scoreExportFailures,
      help: "Failed score delivery attempts, by reason",
      labelNames: ["reason"],
      registers,
    });
    new Gauge({
      name: TRACING_METRICS.scoresPending,
      help: "Scores recorded and not yet delivered (in the scores journal)",
      registers,
      collect() {
        this.set(pending());
      },
    });
  }
}
