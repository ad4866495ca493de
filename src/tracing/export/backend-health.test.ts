import { test } from "node:test";
import assert from "node:assert/strict";
import { afterFailedProbe, backlogDelayMs, healthAfter, HEALTHY, type BackendHealth } from "./backend-health.js";
import { AUTH_PROBE_MS, DOWN_AFTER_FAILURES, PROBE_MAX_MS, PROBE_MIN_MS } from "./delivery-policy.js";
import type { SendOutcome } from "./send-outcome.js";

const STORED: SendOutcome = { kind: "stored", status: 200 };
const UNAVAILABLE: SendOutcome = { kind: "not_stored", reason: "http_5xx", status: 503, message: "HTTP 503" };
const NO_ANSWER: SendOutcome = { kind: "unknown", reason: "timeout", message: "timed out" };
const REFUSED: SendOutcome = { kind: "auth_failed", status: 401, message: "HTTP 401" };
const TOO_LARGE: SendOutcome = { kind: "too_large", status: 413, message: "HTTP 413" };
const REJECTED: SendOutcome = { kind: "rejected", status: 400, message: "HTTP 400" };

function after(...outcomes: SendOutcome[]): BackendHealth {
  return outcomes.reduce(healthAfter, HEALTHY);
}

test("a delivery while healthy changes nothing and allocates nothing (the same object)", () => {
  assert.equal(healthAfter(HEALTHY, STORED), HEALTHY);
  assert.equal(healthAfter(HEALTHY, TOO_LARGE), HEALTHY, "413 says nothing about the backend");
  assert.equal(healthAfter(HEALTHY, REJECTED), HEALTHY, "400 says nothing about the backend");
});

test("down after DOWN_AFTER_FAILURES failures in a row (not stored or unknown), first probe at PROBE_MIN_MS", () => {
  assert.equal(DOWN_AFTER_FAILURES, 2);
  assert.deepEqual(after(UNAVAILABLE), { state: "up", failures: 1, probeMs: undefined });
  assert.deepEqual(after(UNAVAILABLE, NO_ANSWER), { state: "down", failures: 2, probeMs: PROBE_MIN_MS });
  assert.deepEqual(after(UNAVAILABLE, NO_ANSWER, UNAVAILABLE), { state: "down", failures: 3, probeMs: PROBE_MIN_MS });
  // A delivery in between resets the count.
  assert.deepEqual(after(UNAVAILABLE, STORED, NO_ANSWER), { state: "up", failures: 1, probeMs: undefined });
});

test("going down keeps a probe wait the backlog already doubled", () => {
  const probed = afterFailedProbe(afterFailedProbe(HEALTHY, undefined), undefined);
  assert.equal(probed.probeMs, 2 * PROBE_MIN_MS);
  assert.deepEqual(healthAfter(healthAfter(probed, UNAVAILABLE), UNAVAILABLE), {
    state: "down",
    failures: 2,
    probeMs: 2 * PROBE_MIN_MS,
  });
});

test("any delivery brings the backend back up, the failure count and the probe wait cleared", () => {
  assert.equal(after(UNAVAILABLE, NO_ANSWER, STORED), HEALTHY);
  assert.equal(after(REFUSED, STORED), HEALTHY);
});

test("401/403: credentials refused, from any state; failures after it keep it refused", () => {
  const refused = after(REFUSED);
  assert.deepEqual(refused, { state: "auth_failed", failures: 0, probeMs: undefined });
  assert.equal(healthAfter(refused, REFUSED), refused, "refused again: unchanged");
  assert.deepEqual(after(UNAVAILABLE, NO_ANSWER, REFUSED), {
    state: "auth_failed",
    failures: 2,
    probeMs: PROBE_MIN_MS,
  });
  assert.deepEqual(after(REFUSED, UNAVAILABLE, NO_ANSWER), { state: "auth_failed", failures: 2, probeMs: undefined });
});

test("failed probes double the wait up to PROBE_MAX_MS; Retry-After wins", () => {
  let health = after(UNAVAILABLE, UNAVAILABLE);
  const waits: number[] = [];
  for (let i = 0; i < 7; i++) waits.push((health = afterFailedProbe(health, undefined)).probeMs!);
  assert.deepEqual(waits, [2_000, 4_000, 8_000, 16_000, PROBE_MAX_MS, PROBE_MAX_MS, PROBE_MAX_MS]);
  assert.equal(afterFailedProbe(health, 1_500).probeMs, 1_500);
  assert.equal(afterFailedProbe(HEALTHY, undefined).probeMs, PROBE_MIN_MS, "the first probe wait");
  assert.equal(afterFailedProbe(health, undefined).state, "down", "the state is the outcomes' to change");
});

test("the backlog's next attempt: at once while up, the probe wait while down, rarely while refused", () => {
  assert.equal(backlogDelayMs(HEALTHY), 0);
  assert.equal(backlogDelayMs(after(UNAVAILABLE, UNAVAILABLE)), PROBE_MIN_MS);
  assert.equal(backlogDelayMs({ state: "down", failures: 2, probeMs: undefined }), PROBE_MIN_MS);
  assert.equal(backlogDelayMs(afterFailedProbe(after(UNAVAILABLE, UNAVAILABLE), 7_000)), 7_000);
  assert.equal(backlogDelayMs(after(REFUSED)), AUTH_PROBE_MS);
  assert.equal(backlogDelayMs(afterFailedProbe(after(REFUSED), undefined)), AUTH_PROBE_MS);
});
