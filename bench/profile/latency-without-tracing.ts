// What tracing's work on the service's loop adds to the tail of the latency its clients see, read
// in one process. Each request's latency, from the client's send to the end of the answer, is set
// beside the same request less the tracing samples of the service's CPU profile that fell inside
// it: on the service's one core every sample of tracing's work delayed whatever waited on the loop
// then, so the request without it would have ended that much earlier, at most. The p99 of the two
// over the same requests is the tail latency tracing adds, with no second process in the figure.
// Where a request waits on something else (a model's latency), tracing's work inside it may not
// have delayed it at all: then this bounds the effect from above.
//
// Both clocks are CLOCK_MONOTONIC: V8's profile timestamps (microseconds) and the client's
// process.hrtime, on the same machine.
import { median, percentile } from "../stats.js";
import { sampleKinds, SERVICE_CODE, type CodeMatch, type TimedCpuProfile } from "./tracing-attribution.js";

/** One request as the client saw it, in microseconds of CLOCK_MONOTONIC. */
export interface RequestSpan {
  startUs: number;
  endUs: number;
}

export interface LatencyWithoutTracing {
  /** Requests that started and ended inside the profile. */
  requests: number;
  p99Ms: number;
  /** The p99 of the same requests, each less the tracing samples inside it. */
  p99WithoutTracingMs: number;
  /** p99 over p99 without tracing, minus one, %. */
  p99OverheadPct: number;
}

/** The end times of the profile's samples whose work was tracing's, ascending, µs. */
function tracingSampleTimes(profile: TimedCpuProfile, match: CodeMatch): number[] {
  const kindOf = sampleKinds(profile, match);
  const times: number[] = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (kindOf(i) === "tracing") times.push(t);
  }
  return times;
}

/** Index of the first value >= x in ascending `values`. */
function lowerBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The p99 of the requests inside the profile, with and without tracing's samples. A sample
 * stands for the profile's median interval (a late sample says what ran at its end, not through
 * the gap: see tracingStretches); null when no request lies inside the profile.
 */
export function latencyWithoutTracing(
  profile: TimedCpuProfile,
  requests: readonly RequestSpan[],
  match: CodeMatch = SERVICE_CODE,
): LatencyWithoutTracing | null {
  const inside = requests.filter((r) => r.startUs >= profile.startTime && r.endUs <= profile.endTime);
  if (inside.length === 0) return null;
  const times = tracingSampleTimes(profile, match);
  const intervalUs = median(profile.timeDeltas);
  const latencies: number[] = [];
  const without: number[] = [];
  for (const r of inside) {
    const tracingUs = (lowerBound(times, r.endUs) - lowerBound(times, r.startUs)) * intervalUs;
    const us = r.endUs - r.startUs;
    latencies.push(us / 1000);
    without.push(Math.max(0, us - tracingUs) / 1000);
  }
  const p99Ms = percentile(latencies, 99);
  const p99WithoutTracingMs = percentile(without, 99);
  return {
    requests: inside.length,
    p99Ms,
    p99WithoutTracingMs,
    p99OverheadPct: (p99Ms / p99WithoutTracingMs - 1) * 100,
  };
}
