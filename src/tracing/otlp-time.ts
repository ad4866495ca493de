// performance.now() is monotonic and sub-millisecond; anchored once to the wall clock it gives
// timestamps that never go backwards within a trace.
const origin = performance.timeOrigin;

/** Milliseconds since the epoch, with sub-millisecond precision. */
export const nowMs = (): number => origin + performance.now();

/** A performance.now() reading as milliseconds since the epoch (one clock read serves both). */
export const epochMs = (performanceNow: number): number => origin + performanceNow;

/**
 * Epoch nanoseconds as the decimal string OTLP JSON wants. Nanoseconds since 1970 exceed 2^53,
 * so the string is assembled from whole milliseconds and the nanosecond remainder.
 */
export function toUnixNanoString(ms: number): string {
  const whole = Math.floor(ms);
  const nanos = Math.round((ms - whole) * 1e6);
  if (nanos >= 1e6) return `${whole + 1}000000`;
  return `${whole}${String(nanos).padStart(6, "0")}`;
}

export const toIsoString = (ms: number): string => new Date(ms).toISOString();
