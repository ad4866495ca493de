// The grace period after the load: the harness waits for the service's tracing pipeline to
// deliver what it still holds before it reads "received %". It ends when the pipeline holds
// nothing and the receiver's count stopped moving, or at the limit (--grace).
import type { MetricsSnapshot } from "./prometheus.js";
import { TRACING_METRICS } from "../src/tracing/index.js";

export const PIPELINE_METRICS = {
  created: TRACING_METRICS.observationsCreated,
  exported: TRACING_METRICS.spansExported,
  dropped: TRACING_METRICS.spansDropped,
  queueSpans: TRACING_METRICS.queueSpans,
} as const;

/**
 * Spans the pipeline has not settled yet (neither delivered nor counted as dropped), from one
 * scrape of /metrics; null when the service reports no tracing counters.
 *
 * Every pipeline (ours, the official SDK's, naive) counts observations created, spans exported
 * and spans dropped through the same TracingMetrics, so created − exported − dropped is what each
 * one still holds, wherever it holds it: the SDK's batch processor buffer, an export in flight,
 * our exporter's memory and journal, or an observation not ended yet.
 * `switchboard_tracing_queue_spans` is set by our exporter only (held in memory or in the
 * journal); the SDK pipelines never set it and it reads 0 there, so on its own it would declare
 * the SDK's 5 s batch buffer empty at once. The larger of the two is taken.
 */
export function heldSpans(m: MetricsSnapshot): number | null {
  const created = m.sum(PIPELINE_METRICS.created);
  if (created === null) return null;
  const settled = (m.sum(PIPELINE_METRICS.exported) ?? 0) + (m.sum(PIPELINE_METRICS.dropped) ?? 0);
  return Math.max(0, created - settled, m.sum(PIPELINE_METRICS.queueSpans) ?? 0);
}

/** How the grace period ended: everything delivered, the limit reached first, or Ctrl-C. */
export type GraceEnd = "drained" | "limit" | "aborted";

export interface GraceOutcome {
  seconds: number;
  end: GraceEnd;
}

export interface DeliveryProbe {
  /** Spans the pipeline still holds; null when it cannot be told (then only the limit ends the wait). */
  held(): Promise<number | null>;
  /** Unique spans the receiver stored; null when there is no receiver (Langfuse down). */
  receiverUnique(): Promise<number | null>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const REAL_CLOCK: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Polls every `intervalMs` until the pipeline holds nothing and the receiver's unique count did
 * not change since the previous poll, at most `maxSeconds`. A probe that fails counts as "still
 * holding" (a busy service can be slow to answer /metrics).
 */
export async function waitForDelivery(
  probe: DeliveryProbe,
  options: { maxSeconds: number; aborted: () => boolean; intervalMs?: number; clock?: Clock },
): Promise<GraceOutcome> {
  const clock = options.clock ?? REAL_CLOCK;
  const intervalMs = options.intervalMs ?? 250;
  const started = clock.now();
  const elapsed = () => (clock.now() - started) / 1000;
  let lastUnique: number | null | undefined;
  for (;;) {
    if (options.aborted()) return { seconds: elapsed(), end: "aborted" };
    if (elapsed() >= options.maxSeconds) return { seconds: elapsed(), end: "limit" };
    await clock.sleep(intervalMs);
    const held = await probe.held().catch(() => null);
    const unique = await probe.receiverUnique().catch(() => lastUnique);
    const receiverSettled = lastUnique !== undefined && unique === lastUnique;
    lastUnique = unique;
    if (held === 0 && receiverSettled) return { seconds: elapsed(), end: "drained" };
  }
}
