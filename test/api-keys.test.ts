import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { postJson, startService, type RunningService } from "./support/start-service.js";

const KEY_A = "sk-sb-test-key-alpha-0123456789";
const KEY_B = "sk-sb-test-key-bravo-0123456789";
const METRICS_KEY = "metrics-scraper-key-0123456789";
const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe("API keys", () => {
  let svc: RunningService;
  before(async () => {
    // KEY_B is configured only as its hash: the raw key never has to be in the environment.
    svc = await startService({ API_KEYS: `${KEY_A}, sha256:${sha(KEY_B)}`, METRICS_API_KEY: METRICS_KEY });
  });
  after(() => svc.close());

  const chat = (headers: Record<string, string>, body: unknown = { message: "Where is my order?", user_id: "alice" }) =>
    postJson(`${svc.url}/api/v1/chat`, body, headers);

  test("no, malformed or wrong keys get 401 with a clear message and no hint of the key", async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /needs an API key.*Authorization: Bearer/],
      [{ authorization: KEY_A }, /must be Bearer <key>/],
      [{ authorization: `Basic ${Buffer.from(`x:${KEY_A}`).toString("base64")}` }, /must be Bearer <key>/],
      [bearer("sk-sb-test-key-alpha-012345678"), /not valid/],
      [bearer(`sha256:${sha(KEY_B)}`), /not valid/], // the hash itself is not a credential
      [bearer(KEY_A + "x"), /not valid/],
    ];
    for (const [headers, message] of cases) {
      const res = await chat(headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.body.error.code, "unauthorized");
      assert.match(res.body.error.message, message);
      assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="switchboard"');
      assert.ok(!JSON.stringify(res.body).includes(KEY_A.slice(0, 20)));
    }
  });

  test("a raw key and a key configured by its sha256 are both accepted", async () => {
    assert.equal((await chat(bearer(KEY_A))).status, 200);
    assert.equal((await chat(bearer(KEY_B))).status, 200);
    assert.equal((await chat({ authorization: `bearer   ${KEY_B}` })).status, 200, "scheme is case-insensitive");
  });

  test("every /api route and unknown routes need the key; /healthz and /readyz stay open", async () => {
    assert.equal((await fetch(`${svc.url}/api/v1/sessions/x?user_id=alice`)).status, 401);
    assert.equal((await postJson(`${svc.url}/api/v1/chat/stream`, { message: "hi", user_id: "a" })).status, 401);
    assert.equal((await fetch(`${svc.url}/api/v2/nothing`)).status, 401);
    assert.equal((await fetch(`${svc.url}/%61pi/v1/sessions/x?user_id=alice`)).status, 401, "percent-encoded path");
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);
  });

  test("/v1 routes need the key too, answered in their own error shape", async () => {
    const res = await fetch(`${svc.url}/v1/models`);
    assert.equal(res.status, 401);
    const body = (await res.json()) as any;
    assert.equal(body.error.code, "unauthorized");
    const ok = await fetch(`${svc.url}/v1/models`, { headers: bearer(KEY_A) });
    assert.equal(ok.status, 200);
    assert.deepEqual(
      ((await ok.json()) as any).data.map((m: { id: string }) => m.id),
      ["switchboard-router"],
    );
    const completion = await postJson(
      `${svc.url}/v1/chat/completions`,
      { model: "switchboard-router", messages: [{ role: "user", content: "Where is my order?" }] },
      bearer(KEY_B),
    );
    assert.equal(completion.status, 200);
    assert.equal(completion.body.object, "chat.completion");
  });

  test("/metrics needs METRICS_API_KEY, and an API key is not enough", async () => {
    assert.equal((await fetch(`${svc.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${svc.url}/metrics`, { headers: bearer(KEY_A) })).status, 401);
    const ok = await fetch(`${svc.url}/metrics`, { headers: bearer(METRICS_KEY) });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /# HELP/);
  });

  test("a body is not read before the key is checked (an oversized unauthenticated body is 401, not 413)", async () => {
    const res = await chat({}, { message: "x".repeat(400_000), user_id: "u" });
    assert.equal(res.status, 401);
  });
});

describe("API keys off", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService();
  });
  after(() => svc.close());

  test("without API_KEYS the API and /metrics are open", async () => {
    assert.equal((await postJson(`${svc.url}/api/v1/chat`, { message: "hi", user_id: "u" })).status, 200);
    assert.equal((await fetch(`${svc.url}/metrics`)).status, 200);
  });
});
