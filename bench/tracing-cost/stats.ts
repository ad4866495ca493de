// Pure summary helpers for the tracing-cost benchmark (no timing, no I/O).

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median, min and max of per-round values (NaN for none). */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Rounds a number for display and JSON: 3 significant decimals below 10, 1 decimal below 1000, integers above. */
export function roundForDisplay(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  if (abs < 10) return Math.round(value * 100) / 100;
  if (abs < 1000) return Math.round(value * 10) / 10;
  return Math.round(value);
}

/** "12.3 (11.9-13.0)": a spread as a table cell. */
export function formatSpread(s: Spread, digits?: number): string {
  const f = (v: number) => (Number.isFinite(v) ? (digits === undefined ? String(roundForDisplay(v)) : v.toFixed(digits)) : "n/a");
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** The order variants run in during round `round`: rotated so no variant always runs first or last. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const k = ((round % items.length) + items.length) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
