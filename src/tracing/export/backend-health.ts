// Backend health as a pure function of the outcomes Langfuse gives: up; down after failures in a
// row, with the backlog probing at a doubling pace; or refusing the credentials. It sits beside
// the delivery policy and, like it, holds no state: the delivery keeps the current value and
// carries out what a change means (the gauge, the log line, which lane may send).
import { AUTH_PROBE_MS, DOWN_AFTER_FAILURES, isBackendFailure, nextProbeMs, PROBE_MIN_MS } from "./delivery-policy.js";
import type { SendOutcome } from "./send-outcome.js";

/** Backend state as the exporter believes it. */
export type BackendState = "up" | "down" | "auth_failed";

export interface BackendHealth {
  readonly state: BackendState;
  /** Attempts in a row that failed (not stored or unknown) since the last delivery. */
  readonly failures: number;
  /** The backlog's wait between probes while attempts fail; undefined after a delivery. */
  readonly probeMs: number | undefined;
}

/** What the delivery starts from, and returns to after any delivered batch. */
export const HEALTHY: BackendHealth = Object.freeze({ state: "up", failures: 0, probeMs: undefined });

/**
 * The health after one attempt's outcome. The same object when nothing changed (a delivery while
 * healthy, the live path's common case: no allocation); only failures make a new one.
 */
export function healthAfter(health: BackendHealth, outcome: SendOutcome): BackendHealth {
  if (outcome.kind === "stored") return HEALTHY;
  if (isBackendFailure(outcome)) {
    const failures = health.failures + 1;
    // The first probe waits PROBE_MIN_MS (unless the backlog already set a wait).
    if (failures >= DOWN_AFTER_FAILURES && health.state === "up")
      return { state: "down", failures, probeMs: health.probeMs ?? PROBE_MIN_MS };
    return { state: health.state, failures, probeMs: health.probeMs };
  }
  if (outcome.kind === "auth_failed")
    return health.state === "auth_failed"
      ? health
      : { state: "auth_failed", failures: health.failures, probeMs: health.probeMs };
  // 413 and other 4xx say nothing about whether the backend is taking data.
  return health;
}

/** After a backlog probe that was not stored or unknown: the next probe waits longer (Retry-After wins). */
export function afterFailedProbe(health: BackendHealth, retryAfterMs: number | undefined): BackendHealth {
  return { state: health.state, failures: health.failures, probeMs: nextProbeMs(health.probeMs, retryAfterMs) };
}

/** How long the backlog waits before its next attempt: at once while up, at the probe's pace otherwise. */
export function backlogDelayMs(health: BackendHealth): number {
  if (health.state === "up") return 0;
  return health.state === "down" ? (health.probeMs ?? PROBE_MIN_MS) : AUTH_PROBE_MS;
}
