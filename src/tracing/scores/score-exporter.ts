import type { FaultReporter, TracingLogger } from "../fault-reporter.js";
import type { BatchDelivery } from "../export/batch-delivery.js";
import { formatsFor, openDelivery, type ExportSettings } from "../export/export-settings.js";
import { scoreBody, type ScoreInput } from "./score.js";
import type { ScoreMetrics } from "./score-metrics.js";
import { SCORE_PAYLOAD_FORMAT } from "./score-payload-format.js";

/** Scores wait in a journal of their own beside the traces' (same folder, same rules). */
const SCORES_FILE = "scores.db";
/** Scores whose latest value is remembered (the newest ones): far more than are ever in flight at once. */
const LATEST_KEPT = 1000;
/** Feedback is rare and small: one attempt at a time, a little memory. */
const SCORE_CONCURRENCY = 1;
const SCORE_MEMORY_BYTES = 1024 * 1024;

/**
 * Scores to Langfuse's `POST /api/public/scores`, durably: each is written to its journal before
 * `record` returns, sent, retried and replayed after outages and restarts exactly as batches of
 * spans are (BatchDelivery), and removed once Langfuse has it. Its id is stable (score.ts), so a
 * score sent again is stored once.
 */
export class ScoreExporter {
  readonly #delivery: BatchDelivery;
  readonly #environment: string | undefined;
  /**
   * The latest body recorded for each score id (the newest LATEST_KEPT ids). Langfuse keeps the
   * last body it receives for an id, and deliveries do not arrive in the order they were
   * recorded: a score whose first attempt failed is retried after a newer version of it was
   * delivered, and a backlog replays after new scores went out live. So every attempt sends the
   * latest version of its score, whichever version it was journaled as: a changed mind is never
   * undone by the delivery of what it replaced.
   */
  readonly #latest = new Map<string, string>();

  constructor(traceSettings: ExportSettings, metrics: ScoreMetrics, faults: FaultReporter, logger: TracingLogger) {
    this.#environment = traceSettings.environment;
    this.#delivery = openDelivery(
      {
        ...traceSettings,
        url: `${traceSettings.baseUrl}/api/public/scores`,
        concurrency: SCORE_CONCURRENCY,
        maxQueueBytes: SCORE_MEMORY_BYTES,
      },
      metrics,
      faults,
      logger,
      {
        file: SCORES_FILE,
        noun: "score",
        formats: (resource) => ({
          json: { ...SCORE_PAYLOAD_FORMAT, body: (payload) => this.#latestOf(payload) },
          protobuf: formatsFor(resource).protobuf,
        }),
      },
    );
  }

  /** What to send for a journaled score: the latest version of it recorded by this process. */
  #latestOf(payload: string): string {
    try {
      const id = (JSON.parse(payload) as { id?: unknown }).id;
      return (typeof id === "string" && this.#latest.get(id)) || payload;
    } catch {
      return payload;
    }
  }

  /** Journals the score and starts its delivery; returns its id. Never throws. */
  record(score: ScoreInput): string {
    const body = scoreBody(score, this.#environment);
    const payload = JSON.stringify(body);
    // Re-inserted so the map's order is the order of the last recording: the oldest go first.
    this.#latest.delete(body.id);
    this.#latest.set(body.id, payload);
    if (this.#latest.size > LATEST_KEPT) this.#latest.delete(this.#latest.keys().next().value!);
    this.#delivery.accept([{ payload, count: 1, release() {} }]);
    return body.id;
  }

  /** Scores recorded and not yet delivered. */
  get pending(): number {
    return this.#delivery.heldSpans;
  }

  shutdown(timeoutMs: number): Promise<void> {
    return this.#delivery.shutdown(timeoutMs);
  }
}
