// Pure statistics used across the benchmark: percentiles of samples, the median and spread of
// repetitions, and overheads against the `off` baseline.

/** Nearest-rank percentile (0 < p <= 100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Median (mean of the two middle values for an even count); NaN when empty. */
export function median(samples: readonly number[]): number {
  const values = samples.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (values.length === 0) return Number.NaN;
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

export function mean(samples: readonly number[]): number {
  const values = samples.filter((v) => Number.isFinite(v));
  if (values.length === 0) return Number.NaN;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Median with the min-max spread of repetitions. Non-finite values are ignored. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Finite values the figures are made of. */
  n: number;
}

/** Missing samples (null) are ignored like non-finite ones; `n` is 0 when none is left. */
export function spread(samples: readonly (number | null)[]): Spread {
  const values = samples.filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/**
 * Relative overhead of `value` over `baseline`, in percent: +10 means 10 % more (slower, more
 * CPU, more memory). NaN when the baseline is zero or either is missing.
 */
export function overheadPct(value: number, baseline: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return Number.NaN;
  return (value / baseline - 1) * 100;
}

/** Throughput lost against the baseline, in percent: 3 means 3 % fewer requests per second. */
export function lossPct(value: number, baseline: number): number {
  const overhead = overheadPct(value, baseline);
  return Number.isNaN(overhead) ? Number.NaN : -overhead;
}

/** Rounds for display and JSON (keeps NaN as null in JSON via the caller). */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
