// The delivery policy in one place: what each outcome of an attempt means for its batch, how long
// to wait before the next try, and when the backend counts as down. Named constants, no state:
// the exporter applies it.
import type { SendOutcome } from "./send-outcome.js";

/** Failed attempts in a row (not stored or unknown) after which the backend counts as down. */
export const DOWN_AFTER_FAILURES = 2;
/** While down, the first probe waits this long; each failed probe doubles it, up to the max. */
export const PROBE_MIN_MS = 1_000;
export const PROBE_MAX_MS = 30_000;
/** After 401/403 the keys are wrong: one probe this often, in case the backend was the problem. */
export const AUTH_PROBE_MS = 5 * 60_000;
/** Longest wait between retries, whatever Retry-After says: a batch holds memory meanwhile. */
export const MAX_RETRY_WAIT_MS = 5 * 60_000;

/** What happens to a batch after one attempt. */
export type BatchFate =
  /** Langfuse has it: remove it from the journal. */
  | "delivered"
  /** Send it again later. `maybeStored`: the re-send may store it twice (counted). */
  | "retry"
  /** Keep it, send nothing until the keys are fixed (or a rare probe passes). */
  | "hold"
  /** Split it in two and send the halves. */
  | "split"
  /** It will never be accepted: drop it, counted by status. */
  | "drop";

export function fateOf(outcome: SendOutcome): BatchFate {
  switch (outcome.kind) {
    case "stored":
      return "delivered";
    case "not_stored":
    case "unknown":
      return "retry";
    case "auth_failed":
      return "hold";
    case "too_large":
      return "split";
    case "rejected":
      return "drop";
  }
}

/** True when the outcome says the backend is not taking data right now (counts toward "down"). */
export function isBackendFailure(outcome: SendOutcome): boolean {
  return outcome.kind === "not_stored" || outcome.kind === "unknown";
}

/**
 * The rule for an unknown outcome (the body was written, no answer came): Langfuse may have
 * stored the batch, and v4 would store a re-send twice; not sending it again may lose it. The
 * exporter waits long for answers (LANGFUSE_TIMEOUT, 10 s by default, since nothing on the
 * request path waits for it), so an unknown outcome means a backend that is hung or dropping
 * connections, which rarely stores what it never answers. So: send it again (at-least-once),
 * mark it, and count every span re-sent after an unknown outcome in
 * `switchboard_tracing_spans_resent_total`, so any duplicates are visible and bounded.
 */
export const RESEND_AFTER_UNKNOWN = true;

/** Wait before live retry number `attempt` (1 = first retry): doubling from `baseMs`, ±50 % jitter; Retry-After wins. */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const backoff = baseMs * 2 ** Math.max(0, attempt - 1) * (0.5 + random());
  return Math.min(retryAfterMs ?? backoff, MAX_RETRY_WAIT_MS);
}

/** The next probe's wait while the backend is down: doubling, capped; Retry-After wins. */
export function nextProbeMs(previousMs: number | undefined, retryAfterMs: number | undefined): number {
  const next = previousMs === undefined ? PROBE_MIN_MS : Math.min(previousMs * 2, PROBE_MAX_MS);
  return Math.min(retryAfterMs ?? next, MAX_RETRY_WAIT_MS);
}
