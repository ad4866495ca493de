import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { apiError } from "./chat-errors.js";
import { ERROR_CATALOG } from "./error-catalog.js";
import { withErrorTable } from "./error-catalog-docs.js";

test("docs/api.md lists every code of the catalog, generated and up to date (npm run docs:errors)", () => {
  const page = readFileSync("docs/api.md", "utf8");
  assert.equal(page, withErrorTable(page), "docs/api.md's error codes are stale: run npm run docs:errors");
  for (const code of Object.keys(ERROR_CATALOG)) assert.ok(page.includes(`| \`${code}\` |`), code);
});

test("an error raised by code has the catalog's status, message, field and retry advice", () => {
  const throttled = apiError("rate_limited", 17);
  assert.deepEqual(
    [throttled.status, throttled.code, throttled.message, throttled.field, throttled.retryable],
    [429, "rate_limited", "too many requests; retry in 17 s", undefined, true],
  );
  const missing = apiError("missing_required_parameter", "messages");
  assert.deepEqual(
    [missing.status, missing.message, missing.field],
    [400, "Missing required parameter: 'messages'.", "messages"],
  );
  const refused = apiError("model_misconfigured", 401);
  assert.equal(refused.status, 502);
  assert.equal(refused.retryable, false);
  // Fastify's other 4xx keep their status under the one code.
  assert.equal(apiError("bad_request", "Method Not Allowed", 405).status, 405);
  assert.equal(apiError("bad_request", "the request is not valid HTTP").status, 400);
});

test("every catalog entry has a client-error or server-error status and says when it is answered", () => {
  for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
    assert.match(code, /^[a-z]+(_[a-z]+)*$/, code);
    assert.ok(entry.status >= 400 && entry.status <= 599, code);
    assert.ok(entry.when.length > 0, code);
  }
});
