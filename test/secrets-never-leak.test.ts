import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { postJson, readSse, startService } from "./support/start-service.js";
import { startRecordingProxy } from "./support/recording-proxy.js";
import { startReceiver } from "./support/tracing-helpers.js";
import { runServiceExpectingFailure, spawnService } from "./support/spawn-service.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { loadCatalog } from "../src/agents/catalog.js";

// Made-up secrets with distinctive text, so any leak is found by a plain substring search.
const API_KEY = "sbk-live-APIKEY-9f8e7d6c5b4a";
const WRONG_KEY = "sbk-live-WRONGKEY-1a2b3c4d5e";
const METRICS_KEY = "sbk-metrics-METRICSKEY-77aa";
const LF_PUBLIC = "pk-lf-test-PUBLIC-0001";
const LF_SECRET = "sk-lf-test-SECRET-c0ffee";
const LLM_KEY = "sk-llm-LLMKEY-deadbeef42";
const DB_PASSWORD = "DBPASSWORD-5ecret";
const basic = Buffer.from(`${LF_PUBLIC}:${LF_SECRET}`).toString("base64");
const SECRETS = [API_KEY, WRONG_KEY, METRICS_KEY, LF_SECRET, LLM_KEY, DB_PASSWORD, basic];

function assertNoSecret(where: string, text: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${where} contains a secret (${s.slice(0, 12)}…)`);
}

/**
 * The model is a real OpenAI-compatible HTTP server (the fake one, answering like the simulated
 * model), reached through the real provider: the LLM key travels in every model request, so a
 * leak of it anywhere on that path would show.
 */
let model: FakeOpenAIServer;
before(async () => {
  model = await startFakeOpenAIServer({ catalog: loadCatalog("agents/shop-support.json") });
});
after(() => model.close());

/** Every model request carried the LLM key, and only in its Authorization header. */
function assertModelCalledWithKey(since: number): void {
  const calls = model.requests.slice(since);
  assert.ok(calls.length > 0, "the real provider was used");
  for (const call of calls) {
    assert.equal(call.headers.authorization, `Bearer ${LLM_KEY}`);
    assertNoSecret("a model request body", JSON.stringify(call.body));
  }
}

const env = (baseUrl: string) => ({
  API_KEYS: API_KEY,
  METRICS_API_KEY: METRICS_KEY,
  LLM_PROVIDER: "openai",
  LLM_BASE_URL: model.baseUrl,
  LLM_MODEL: "fake-model",
  // One model request per failing turn, so each scripted failure answers exactly one turn.
  LLM_MAX_RETRIES: "0",
  LLM_API_KEY: LLM_KEY,
  LANGFUSE_ENABLED: "true",
  LANGFUSE_PUBLIC_KEY: LF_PUBLIC,
  LANGFUSE_SECRET_KEY: LF_SECRET,
  LANGFUSE_BASE_URL: baseUrl,
  LANGFUSE_FLUSH_INTERVAL: "0.05",
  // Debug logs the most; secrets must stay out even there.
  LOG_LEVEL: "debug",
});

/** Requests that carry every kind of credential, good and bad, in every place a client puts one. */
async function exercise(url: string): Promise<void> {
  const h = (key: string) => ({ authorization: `Bearer ${key}` });
  assert.equal(
    (await postJson(`${url}/api/v1/chat`, { message: "Where is my order?", user_id: "u1" }, h(API_KEY))).status,
    200,
  );
  assert.equal((await postJson(`${url}/api/v1/chat`, { message: "hi", user_id: "u1" }, h(WRONG_KEY))).status, 401);
  assert.equal(
    (await postJson(`${url}/api/v1/chat`, { message: "hi", user_id: "u1" }, { authorization: WRONG_KEY })).status,
    401,
  );
  assert.equal(
    (
      await postJson(
        `${url}/api/v1/chat`,
        { message: "and my order?", user_id: "u1" },
        { ...h(API_KEY), "x-api-key": WRONG_KEY, cookie: `session=${WRONG_KEY}` },
      )
    ).status,
    200,
  );
  const stream = await fetch(`${url}/api/v1/chat/stream`, {
    method: "POST",
    headers: { "content-type": "application/json", ...h(API_KEY) },
    body: JSON.stringify({ message: "refund please", user_id: "u1" }),
  });
  assert.equal((await readSse(stream)).at(-1)?.event, "done");
  assert.equal((await fetch(`${url}/metrics`, { headers: h(METRICS_KEY) })).status, 200);
  assert.equal((await fetch(`${url}/metrics`, { headers: h(WRONG_KEY) })).status, 401);
  assert.equal((await fetch(`${url}/healthz`, { headers: h(WRONG_KEY) })).status, 200);
  assert.equal((await fetch(`${url}/no/such/route`, { headers: h(API_KEY) })).status, 404);
  assert.equal((await postJson(`${url}/api/v1/chat`, "{broken", h(API_KEY))).status, 400);
  // The model endpoint refusing and failing: the error path of the real provider (a refused key
  // is a configuration error, 502, logged once with the endpoint and model, never the key).
  model.enqueue({ status: 401 });
  assert.equal(
    (await postJson(`${url}/api/v1/chat`, { message: "refund please", user_id: "u1" }, h(API_KEY))).status,
    502,
  );
  model.enqueue({ status: 500 });
  assert.equal(
    (await postJson(`${url}/api/v1/chat`, { message: "refund please", user_id: "u1" }, h(API_KEY))).status,
    503,
  );
}

describe("secrets never appear in logs or traces", () => {
  test("in-process: logs at debug and every exported byte, after requests carrying keys", async () => {
    const receiver = await startReceiver({ keys: [{ publicKey: LF_PUBLIC, secretKey: LF_SECRET }] });
    const proxy = await startRecordingProxy({ target: receiver.url });
    const svc = await startService(env(proxy.url));
    const since = model.requests.length;
    try {
      await exercise(svc.url);
      assertModelCalledWithKey(since);
    } finally {
      await svc.close();
      await proxy.close();
      await receiver.close();
    }
    assert.ok(proxy.requests.length > 0, "traces were exported");
    assert.ok(svc.logs.length > 5, "something was logged");
    assertNoSecret("the service log", JSON.stringify(svc.logs));
    assertNoSecret("the exported traces", proxy.bodies());
    // The only place the Langfuse key may go: the Authorization header to Langfuse itself.
    assert.equal(proxy.requests[0]!.headers.authorization, `Basic ${basic}`);
  });

  test("a failing export (a backend that echoes the Authorization header back) logs no secret", async () => {
    const echo = await startRecordingProxy({
      reply: (req) => ({
        status: 401,
        body: JSON.stringify({ error: `bad credentials: ${req.headers.authorization}` }),
      }),
    });
    const down = await startRecordingProxy({
      reply: (req) => ({ status: 503, body: `overloaded ${req.headers.authorization}` }),
    });
    for (const backend of [echo, down]) {
      const svc = await startService({ ...env(backend.url), LANGFUSE_MAX_RETRIES: "1", LANGFUSE_RETRY_DELAY: "0.01" });
      const since = model.requests.length;
      try {
        await exercise(svc.url);
        assertModelCalledWithKey(since);
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        await svc.close();
        await backend.close();
      }
      assert.ok(backend.requests.length > 0);
      assertNoSecret("the service log after a failed export", JSON.stringify(svc.logs));
    }
  });

  test("as its own process (main.ts logger): stdout and stderr", async () => {
    const receiver = await startReceiver({ keys: [{ publicKey: LF_PUBLIC, secretKey: LF_SECRET }] });
    const svc = await spawnService({ ...env(receiver.url), SESSION_STORE: "memory", LANGFUSE_JOURNAL: "false" });
    const since = model.requests.length;
    try {
      await exercise(svc.url);
      assertModelCalledWithKey(since);
    } finally {
      await svc.stop();
      await receiver.close();
    }
    const { stdout, stderr } = svc.output();
    assert.match(stdout, /switchboard ready/);
    assertNoSecret("the process output", stdout + stderr);
  });

  test("configuration errors name the variable, never a secret's value", async () => {
    const cases: Record<string, string>[] = [
      { API_KEYS: `${API_KEY},sha256:${LF_SECRET}` },
      { API_KEYS: "short", LLM_API_KEY: LLM_KEY },
      { METRICS_API_KEY: `sha256:${METRICS_KEY}` },
      { LANGFUSE_SECRET_KEY: LF_SECRET }, // without its public key
      { LANGFUSE_SECRET_KEY: LF_SECRET.repeat(20), LANGFUSE_PUBLIC_KEY: LF_PUBLIC }, // too long
      {
        SESSION_STORE: "postgres",
        DATABASE_URL: `postgres://sb:${DB_PASSWORD}@127.0.0.1:1/db`,
        LANGFUSE_TIMEOUT: "soon",
      },
    ];
    for (const extra of cases) {
      const { code, stderr } = await runServiceExpectingFailure({
        SESSION_STORE: "memory",
        LANGFUSE_ENABLED: "false",
        ...extra,
      });
      assert.equal(code, 1, JSON.stringify(Object.keys(extra)));
      assert.match(stderr, /switchboard: invalid configuration/);
      assertNoSecret(`stderr for ${Object.keys(extra).join(",")}`, stderr);
    }
  });

  test("a database that cannot be reached at start fails without printing its URL", async () => {
    // pino writes the fatal line to stdout, so both streams are read here.
    const child = spawn(process.execPath, ["dist/src/main.js"], {
      env: {
        PATH: process.env["PATH"] ?? "",
        PORT: "0",
        SESSION_STORE: "postgres",
        DATABASE_URL: `postgres://sb:${DB_PASSWORD}@127.0.0.1:1/db`,
        LANGFUSE_ENABLED: "false",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const [code] = (await once(child, "exit")) as [number | null];
    clearTimeout(timer);
    assert.equal(code, 1);
    assert.match(out, /start-up failed|ECONNREFUSED/);
    assertNoSecret("start-up failure output", out);
  });
});
