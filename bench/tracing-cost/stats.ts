// Summary helpers of the tracing-cost benchmark (no timing, no I/O); the statistics are bench/stats.ts.
import { spread as spreadWithCount } from "../stats.js";

export { median } from "../stats.js";

/** Median, min and max of per-round values, as the result file records them. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median, min and max of per-round values (NaN for none). */
export function spread(values: readonly number[]): Spread {
  const { median, min, max } = spreadWithCount(values);
  return { median, min, max };
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
  const f = (v: number) =>
    Number.isFinite(v) ? (digits === undefined ? String(roundForDisplay(v)) : v.toFixed(digits)) : "n/a";
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** The order variants run in during round `round`: rotated so no variant always runs first or last. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const k = ((round % items.length) + items.length) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
