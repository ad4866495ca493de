import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startService, type RunningService } from "./support/start-service.js";
import { startRedis, type RedisServer } from "./support/redis-server.js";
import { metricValue, metricsText } from "./support/tracing-helpers.js";

// Issue 21, item 3: with REDIS_URL the limits hold across instances (two services in this
// process, one real Redis); a Redis that fails is isolated: nothing fails or hangs, each instance
// counts alone, logged once and counted.

const KEY = "shared-limits-key-0123456789";
const OTHER = "shared-limits-other-0123456789";
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe("limits shared through Redis", () => {
  let redis: RedisServer;
  let a: RunningService;
  let b: RunningService;
  before(async () => {
    redis = await startRedis();
    const env = {
      API_KEYS: `${KEY},${OTHER}`,
      REDIS_URL: redis.url,
      RATE_LIMIT_PER_MINUTE: "4",
      MAX_STREAMS_PER_KEY: "1",
      SIM_TOKEN_MS: "20",
      SIM_REPLY_TOKENS: "40",
      LOG_LEVEL: "info",
    };
    [a, b] = await Promise.all([startService(env), startService(env)]);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  test("the rate limit is one count for both instances: 4 in the window, not 8", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const svc = i % 2 === 0 ? a : b;
      statuses.push((await fetch(`${svc.url}/api/v1/sessions/none?user_id=u`, { headers: auth(KEY) })).status);
    }
    assert.deepEqual(statuses, [404, 404, 404, 404, 429, 429, 429, 429]);
  });

  test("the stream cap holds across instances, and a closed stream frees its slot everywhere", async () => {
    const open = (svc: RunningService) =>
      fetch(`${svc.url}/api/v1/chat/stream`, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth(OTHER) },
        body: JSON.stringify({ message: "Where is my order?", user_id: "s" }),
      });
    const first = await open(a);
    assert.equal(first.status, 200);
    const second = await open(b);
    assert.equal(second.status, 429);
    assert.equal(((await second.json()) as any).error.code, "too_many_streams");
    await first.text();
    // The release is sent when the response closes.
    await new Promise((r) => setTimeout(r, 100));
    const third = await open(b);
    assert.equal(third.status, 200);
    await third.text();
  });

  test("Redis failing: requests are still answered at once, each instance counts alone, one warning, counted", async () => {
    await redis.stop(true);
    const started = Date.now();
    // A fresh key's budget, counted by each instance alone: 4 on each.
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const svc = i < 5 ? a : b;
      statuses.push((await fetch(`${svc.url}/api/v1/sessions/none?user_id=r`, { headers: auth(OTHER) })).status);
    }
    assert.deepEqual(statuses, [404, 404, 404, 404, 429, 404, 404, 404, 404, 429]);
    assert.ok(Date.now() - started < 10_000, "no request waited on the dead Redis");
    const warnings = a.logs.filter((l) => /shared limits store \(REDIS_URL\) is failing/.test(String(l["msg"])));
    assert.equal(warnings.length, 1, "logged once");
    assert.ok(!JSON.stringify(a.logs).includes(redis.password), "the Redis password is never logged");
    const metrics = await fetch(`${a.url}/metrics`, { headers: auth(KEY) });
    assert.equal(metrics.status, 403, "still closed with keys on");
  });
});

describe("Redis unreachable at start", () => {
  test("the service starts and serves, counting alone, and says so once", async () => {
    const svc = await startService({
      REDIS_URL: "redis://:nopassword@127.0.0.1:1/0",
      RATE_LIMIT_PER_MINUTE: "2",
      LOG_LEVEL: "info",
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${svc.url}/api/v1/sessions/x?user_id=u`)).status);
      assert.deepEqual(statuses, [404, 404, 429]);
      const text = await metricsText(svc);
      assert.equal(metricValue(text, "switchboard_limits_store_up"), 0);
      assert.ok(metricValue(text, "switchboard_limits_store_errors_total") > 0);
      assert.equal(svc.logs.filter((l) => /REDIS_URL\) is failing/.test(String(l["msg"]))).length, 1);
    } finally {
      await svc.close();
    }
  });
});
