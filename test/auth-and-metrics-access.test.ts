import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { postJson, startService, type RunningService } from "./support/start-service.js";

// Issue 22, finding 8: wrong keys are limited per client address, /metrics is closed when keys
// are on unless the operator says otherwise, and a fresh deployment has a rate limit.

const KEY = "access-test-key-0123456789";
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe("failed authentications are limited per client address", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ API_KEYS: KEY, AUTH_FAILURES_PER_MINUTE: "5" });
  });
  after(() => svc.close());

  test("past AUTH_FAILURES_PER_MINUTE wrong keys, the address gets 429 with Retry-After, even with the right key", async () => {
    const body = { message: "hi", user_id: "u" };
    // Requests without any key are not guesses and do not count.
    for (let i = 0; i < 8; i++) assert.equal((await postJson(`${svc.url}/api/v1/chat`, body)).status, 401);
    for (let i = 0; i < 5; i++) {
      const res = await postJson(`${svc.url}/api/v1/chat`, body, auth(`wrong-key-number-${i}-0000000`));
      assert.equal(res.status, 401, `guess ${i + 1}`);
    }
    const blocked = await postJson(`${svc.url}/api/v1/chat`, body, auth("wrong-key-number-6-0000000"));
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.error.code, "too_many_auth_failures");
    const retryAfter = Number(blocked.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    // The address is refused before its key is checked: a right guess now would not be told apart.
    const right = await postJson(`${svc.url}/api/v1/chat`, body, auth(KEY));
    assert.equal(right.status, 429);
    // The OpenAI endpoints answer in their own shape, with the same code.
    const oai = await postJson(
      `${svc.url}/v1/chat/completions`,
      { model: "switchboard-router", messages: [{ role: "user", content: "hi" }] },
      auth("wrong-key-number-7-0000000"),
    );
    assert.equal(oai.status, 429);
    assert.equal(oai.body.error.code, "too_many_auth_failures");
    assert.equal(oai.body.error.type, "invalid_request_error");
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
  });
});

describe("/metrics with API keys on", () => {
  test("closed (403) without METRICS_API_KEY; METRICS_PUBLIC=true opens it; METRICS_API_KEY asks for its key", async () => {
    const closed = await startService({ API_KEYS: KEY });
    const open = await startService({ API_KEYS: KEY, METRICS_PUBLIC: "true" });
    const keyed = await startService({ API_KEYS: KEY, METRICS_API_KEY: "metrics-scraper-key-0123456789" });
    const noKeys = await startService({});
    try {
      const res = await fetch(`${closed.url}/metrics`);
      assert.equal(res.status, 403);
      const body = (await res.json()) as any;
      assert.equal(body.error.code, "metrics_closed");
      assert.match(body.error.message, /METRICS_API_KEY/);
      // An API key of a tenant does not open it either: the counters describe every tenant.
      assert.equal((await fetch(`${closed.url}/metrics`, { headers: auth(KEY) })).status, 403);
      assert.equal((await fetch(`${open.url}/metrics`)).status, 200);
      assert.equal((await fetch(`${keyed.url}/metrics`)).status, 401);
      const scraped = await fetch(`${keyed.url}/metrics`, { headers: auth("metrics-scraper-key-0123456789") });
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /switchboard_limits_store_up 0/);
      assert.equal((await fetch(`${noKeys.url}/metrics`)).status, 200);
    } finally {
      await Promise.all([closed.close(), open.close(), keyed.close(), noKeys.close()]);
    }
  });
});

describe("a fresh deployment has a rate limit", () => {
  test("RATE_LIMIT_PER_MINUTE defaults to 600 per client address", async () => {
    // The test environment turns the limit off; an empty value is "unset": the default holds.
    const svc = await startService({ RATE_LIMIT_PER_MINUTE: "" });
    try {
      assert.equal(svc.config.RATE_LIMIT_PER_MINUTE, 600);
      const statuses: number[] = [];
      for (let i = 0; i < 601; i++) statuses.push((await fetch(`${svc.url}/api/v1/sessions/none?user_id=u`)).status);
      assert.deepEqual(statuses.slice(0, 600), Array(600).fill(404));
      assert.equal(statuses[600], 429);
    } finally {
      await svc.close();
    }
  });
});
