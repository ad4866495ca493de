import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { postJson, startService, type RunningService } from "./support/start-service.js";

const KEY_A = "limits-key-alpha-0123456789";
const KEY_B = "limits-key-bravo-0123456789";
const KEY_C = "limits-key-charlie-0123456789";
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe("per-key rate limit", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ API_KEYS: `${KEY_A},${KEY_B},${KEY_C}`, RATE_LIMIT_PER_MINUTE: "3" });
  });
  after(() => svc.close());

  test("past the limit: 429 with Retry-After; other keys and /healthz are unaffected", async () => {
    for (let i = 0; i < 3; i++)
      assert.equal(
        (await postJson(`${svc.url}/api/v1/chat`, { message: "hi", user_id: "u" }, auth(KEY_A))).status,
        200,
      );
    const limited = await postJson(`${svc.url}/api/v1/chat`, { message: "hi", user_id: "u" }, auth(KEY_A));
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, "rate_limited");
    // Fixed one-minute windows (counted the same way in Redis): Retry-After is the rest of the window.
    const retryAfter = Number(limited.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal((await postJson(`${svc.url}/api/v1/chat`, { message: "hi", user_id: "u" }, auth(KEY_B))).status, 200);
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
  });

  test("a wrong key is refused before it can use up anyone's budget", async () => {
    // Three times the limit from the same address, with wrong, missing and malformed keys: each
    // is a 401 (never a 429, which would mean they were counted somewhere)...
    const wrong = [auth("not-a-key-at-all-000"), {}, { authorization: KEY_C }, auth(`${KEY_C}x`)];
    for (let i = 0; i < 9; i++) {
      const res = await postJson(`${svc.url}/api/v1/chat`, { message: "hi", user_id: "u" }, wrong[i % wrong.length]!);
      assert.equal(res.status, 401, `attempt ${i + 1}`);
    }
    // ...and a key that has not been used yet still has its whole budget.
    for (let i = 0; i < 3; i++)
      assert.equal(
        (await postJson(`${svc.url}/api/v1/chat`, { message: "hi", user_id: "u" }, auth(KEY_C))).status,
        200,
        `request ${i + 1} of KEY_C`,
      );
    assert.equal((await postJson(`${svc.url}/api/v1/chat`, { message: "hi", user_id: "u" }, auth(KEY_C))).status, 429);
  });
});

describe("rate limit without keys counts per client address", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ RATE_LIMIT_PER_MINUTE: "2" });
  });
  after(() => svc.close());

  test("the third request from 127.0.0.1 within the minute is 429", async () => {
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await fetch(`${svc.url}/api/v1/sessions/x?user_id=u`)).status);
    assert.deepEqual(codes, [404, 404, 429]);
  });
});

describe("concurrent streams per key", () => {
  let svc: RunningService;
  before(async () => {
    // A slow simulated model keeps the first stream open while the second is tried.
    svc = await startService({
      API_KEYS: `${KEY_A},${KEY_B}`,
      MAX_STREAMS_PER_KEY: "1",
      SIM_TTFT_MS: "300",
      SIM_TOKEN_MS: "5",
      SIM_REPLY_TOKENS: "20",
    });
  });
  after(() => svc.close());

  const stream = (key: string) =>
    fetch(`${svc.url}/api/v1/chat/stream`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth(key) },
      body: JSON.stringify({ message: "Where is my order?", user_id: "s" }),
    });

  test("a second stream on the same key gets 429 while the first is open; the slot frees when it ends", async () => {
    const first = await stream(KEY_A);
    assert.equal(first.status, 200);
    const second = await stream(KEY_A);
    assert.equal(second.status, 429);
    assert.equal(((await second.json()) as any).error.code, "too_many_streams");
    const otherKey = await stream(KEY_B);
    assert.equal(otherKey.status, 200);
    await Promise.all([first.text(), otherKey.text()]);
    // 'close' of the finished response releases the slot.
    await new Promise((r) => setTimeout(r, 50));
    const third = await stream(KEY_A);
    assert.equal(third.status, 200);
    await third.text();
  });

  test("a client that disconnects mid-stream frees its slot", async () => {
    const ac = new AbortController();
    const res = await fetch(`${svc.url}/api/v1/chat/stream`, {
      method: "POST",
      signal: ac.signal,
      headers: { "content-type": "application/json", ...auth(KEY_A) },
      body: JSON.stringify({ message: "hello", user_id: "s" }),
    });
    assert.equal(res.status, 200);
    ac.abort();
    await new Promise((r) => setTimeout(r, 100));
    const next = await stream(KEY_A);
    assert.equal(next.status, 200);
    await next.text();
  });
});
