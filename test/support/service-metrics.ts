// One scrape of a spawned service's /metrics, parsed with the benchmark's Prometheus parser
// (bench/prometheus.ts, tested there), so tests read counters by name and label.
import { MetricsSnapshot } from "../../bench/prometheus.js";

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
