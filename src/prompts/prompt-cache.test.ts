// The prompt cache against the local receiver's prompts API (Langfuse's, over real HTTP): what a
// turn gets before, during and after Langfuse answers, and that it never waits or fails for it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startReceiver, type Receiver } from "../receiver/receiver.js";
import { DEV_KEY_PAIR } from "../receiver/basic-auth.js";
import { Registry } from "prom-client";
import { LangfusePromptsApi } from "./langfuse-prompts-api.js";
import { PromptCache } from "./prompt-cache.js";
import { PromptMetrics } from "./prompt-metrics.js";

let receiver: Receiver;
let api: LangfusePromptsApi;

before(async () => {
  receiver = await startReceiver({ port: 0 });
  api = new LangfusePromptsApi({ baseUrl: receiver.url, ...DEV_KEY_PAIR, timeoutMs: 2_000 });
});
after(() => receiver.close());

const warnings: string[] = [];
const logger = { warn: (_: object, msg: string) => void warnings.push(msg), info: () => {} };

function cacheFor(fallbacks: Record<string, string>, withApi = true) {
  const metrics = new PromptMetrics(new Registry());
  const cache = new PromptCache({
    api: withApi ? api : null,
    label: "production",
    ttlMs: 60_000,
    fallbacks: new Map(Object.entries(fallbacks)),
    metrics,
    logger,
  });
  return { cache, metrics };
}

test("a prompt Langfuse has is served with its version once read; the catalog's before that", async () => {
  const v1 = await api.create("t1-agent", "You are Langfuse's version one.", ["production"], "test");
  const { cache, metrics } = cacheFor({ "t1-agent": "catalog text" });
  assert.deepEqual(cache.get("t1-agent"), { text: "catalog text", link: undefined }, "not read yet: the catalog's");
  assert.equal(metrics.fallbacks.not_fetched, 1);
  await cache.start(2_000);
  try {
    const served = cache.get("t1-agent");
    assert.deepEqual(served, { text: "You are Langfuse's version one.", link: { name: "t1-agent", version: v1 } });
    assert.equal(cache.get("t1-agent"), served, "the same object until the version changes");
    assert.equal(metrics.hits, 2);
    // A new version under the label replaces it at the next read; another label does not.
    await api.create("t1-agent", "staging only", ["staging"], "test");
    await cache.refresh();
    assert.equal(cache.get("t1-agent").link?.version, v1);
    const v3 = await api.create("t1-agent", "You are version three.", ["production"], "test");
    await cache.refresh();
    assert.deepEqual(cache.get("t1-agent"), {
      text: "You are version three.",
      link: { name: "t1-agent", version: v3 },
    });
  } finally {
    cache.stop();
  }
});

test("no such prompt, or a chat prompt where a text one is expected: the catalog's, counted, warned once", async () => {
  const create = await fetch(`${receiver.url}/api/public/v2/prompts`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${DEV_KEY_PAIR.publicKey}:${DEV_KEY_PAIR.secretKey}`).toString("base64")}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({
      name: "t2-chat",
      type: "chat",
      prompt: [{ role: "system", content: "hi" }],
      labels: ["production"],
    }),
  });
  assert.equal(create.status, 201);
  const { cache, metrics } = cacheFor({ "t2-missing": "catalog missing", "t2-chat": "catalog chat" });
  warnings.length = 0;
  await cache.refresh();
  await cache.refresh();
  assert.deepEqual(cache.get("t2-missing"), { text: "catalog missing", link: undefined });
  assert.deepEqual(cache.get("t2-chat"), { text: "catalog chat", link: undefined });
  assert.equal(metrics.fallbacks.not_found, 1);
  assert.equal(metrics.fallbacks.not_text, 1);
  assert.equal(metrics.misses, 2);
  assert.equal(warnings.length, 2, `one warning per prompt, not per read: ${warnings.join(" | ")}`);
});

test("Langfuse failing: a version read before is kept; a prompt never read is the catalog's; failures counted", async () => {
  const v = await api.create("t3-agent", "kept through the outage", ["production"], "test");
  const { cache, metrics } = cacheFor({ "t3-agent": "catalog t3", "t3-never": "catalog never" });
  await cache.refresh();
  receiver.faults.set({ endpoints: ["prompts"], failRatio: 1, failStatus: 503 });
  try {
    await cache.refresh();
    assert.deepEqual(cache.get("t3-agent"), {
      text: "kept through the outage",
      link: { name: "t3-agent", version: v },
    });
    assert.deepEqual(cache.get("t3-never"), { text: "catalog never", link: undefined });
    assert.equal(metrics.fallbacks.unavailable, 1);
    assert.equal(metrics.fetchFailures["http_5xx"], 2, "both reads of the second refresh failed");
  } finally {
    receiver.faults.reset();
  }
});

test("Langfuse unreachable at start: start gives up after its warm-up, turns get the catalog's at once", async () => {
  const dead = new LangfusePromptsApi({ baseUrl: "http://127.0.0.1:9", ...DEV_KEY_PAIR, timeoutMs: 2_000 });
  const metrics = new PromptMetrics(new Registry());
  const cache = new PromptCache({
    api: dead,
    label: "production",
    ttlMs: 60_000,
    fallbacks: new Map([["t4", "catalog t4"]]),
    metrics,
    logger,
  });
  await cache.start(500);
  cache.stop();
  await cache.refresh();
  assert.deepEqual(cache.get("t4"), { text: "catalog t4", link: undefined });
  assert.ok((metrics.fetchFailures["network"] ?? 0) >= 1, JSON.stringify(metrics.fetchFailures));
  assert.equal(metrics.fallbacks.unavailable, 1);
});

test("prompt management off: the catalog's prompts, nothing counted", () => {
  const { cache, metrics } = cacheFor({ off: "catalog off" }, false);
  assert.deepEqual(cache.get("off"), { text: "catalog off", link: undefined });
  assert.equal(metrics.misses + metrics.hits, 0);
  assert.throws(() => cache.get("unknown"), /no prompt named unknown/);
});
