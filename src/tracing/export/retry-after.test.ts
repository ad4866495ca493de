import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRetryAfter } from "./otlp-http-transport.js";

const NOW = Date.parse("2025-01-01T00:00:00Z");

test("Retry-After as delay-seconds", () => {
  assert.equal(parseRetryAfter("1", NOW), 1000);
  assert.equal(parseRetryAfter("0", NOW), 0);
  assert.equal(parseRetryAfter("120", NOW), 120_000);
  assert.equal(parseRetryAfter(" 2 ", NOW), 2000);
  assert.equal(parseRetryAfter("1.5", NOW), 1500);
});

test("Retry-After as an HTTP date: the time left, never negative", () => {
  assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", NOW), 30_000);
  assert.equal(parseRetryAfter("Tue, 31 Dec 2024 23:59:00 GMT", NOW), 0, "a past date means now");
  // The obsolete forms HTTP still accepts (RFC 850 and asctime).
  assert.equal(parseRetryAfter("Wednesday, 01-Jan-25 00:00:10 GMT", NOW), 10_000);
  assert.equal(typeof parseRetryAfter("Wed Jan  1 00:00:05 2025", NOW), "number");
});

test("absent or unreadable Retry-After is undefined (the exporter's own backoff applies)", () => {
  assert.equal(parseRetryAfter(undefined, NOW), undefined);
  assert.equal(parseRetryAfter("", NOW), undefined);
  assert.equal(parseRetryAfter("soon", NOW), undefined);
  assert.equal(parseRetryAfter("12abc", NOW), undefined);
  // Neither delay-seconds nor an HTTP date, though Date.parse reads them as dates in 2001:
  // taken as dates they would mean "retry now", bypassing the backoff.
  assert.equal(parseRetryAfter("-1", NOW), undefined);
  assert.equal(parseRetryAfter("1 2", NOW), undefined);
  assert.equal(parseRetryAfter("soon 5", NOW), undefined);
});
