import type { FaultReporter, TracingLogger } from "../fault-reporter.js";
import type { BatchDelivery } from "../export/batch-delivery.js";
import { formatsFor, openDelivery, type DeliveryKind, type ExportSettings } from "../export/export-settings.js";
import { scoreBody, type ScoreInput } from "./score.js";
import type { ScoreMetrics } from "./score-metrics.js";
import { SCORE_PAYLOAD_FORMAT } from "./score-payload-format.js";

/** Scores wait in a journal of their own beside the traces' (same folder, same rules). */
const SCORE_DELIVERY: DeliveryKind = {
  file: "scores.db",
  noun: "score",
  formats: (resource) => ({ json: SCORE_PAYLOAD_FORMAT, protobuf: formatsFor(resource).protobuf }),
};
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

  constructor(
    traceSettings: ExportSettings,
    baseUrl: string,
    environment: string | undefined,
    metrics: ScoreMetrics,
    faults: FaultReporter,
    logger: TracingLogger,
  ) {
    this.#environment = environment;
    this.#delivery = openDelivery(
      {
        ...traceSettings,
        url: `${baseUrl}/api/public/scores`,
        concurrency: SCORE_CONCURRENCY,
        maxSockets: SCORE_CONCURRENCY + 1,
        maxMemoryBytes: SCORE_MEMORY_BYTES,
      },
      metrics,
      faults,
      logger,
      SCORE_DELIVERY,
    );
  }

  /** Journals the score and starts its delivery; returns its id. Never throws. */
  record(score: ScoreInput): string {
    const body = scoreBody(score, this.#environment);
    this.#delivery.accept([{ payload: JSON.stringify(body), count: 1, release() {} }]);
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
