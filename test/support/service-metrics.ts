// One scrape of a spawned service's /metrics, parsed with the benchmark's Prometheus parser
// (bench/prometheus.ts, tested there), so tests read counters by name and label.
import { MetricsSnapshot } from "../../bench/prometheus.js";
import { waitFor } from "./tracing-helpers.js";

export { MetricsSnapshot };

export async function scrapeMetrics(baseUrl: string, timeoutMs = 10_000): Promise<MetricsSnapshot> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) throw new Error(`GET /metrics: HTTP ${res.status}`);
  return MetricsSnapshot.parse(await res.text());
}

/** The metric summed over its series (optionally those with `labels`); 0 when it has none yet. */
export async function metricSum(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return (await scrapeMetrics(baseUrl)).sum(name, labels) ?? 0;
}

/**
 * Waits until a spawned service holds nothing undelivered: no batch in its journal, no span in
 * memory. `what` names the wait in the timeout's error.
 */
export function untilDrained(baseUrl: string, timeoutMs: number, what = "the journal to drain"): Promise<true> {
  return waitFor(
    what,
    async () => {
      const m = await scrapeMetrics(baseUrl);
      return m.sum("switchboard_tracing_journal_batches") === 0 && m.sum("switchboard_tracing_queue_spans") === 0
        ? true
        : undefined;
    },
    timeoutMs,
    200,
  );
}
