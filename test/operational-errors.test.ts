import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { postJson, startService, type RunningService } from "./support/start-service.js";
import { runServiceExpectingFailure, spawnService } from "./support/spawn-service.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { startReceiver, tracedEnv, type Receiver } from "./support/tracing-helpers.js";

// Issue 23, item 1: operational errors say what to do, to the client and to the operator.

const ENTRY = "dist/src/main.js";
const VERSION = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

describe("a model endpoint that refuses the service", () => {
  let fake: FakeOpenAIServer;
  let receiver: Receiver;
  let svc: RunningService;
  before(async () => {
    fake = await startFakeOpenAIServer();
    receiver = await startReceiver();
    svc = await startService({
      ...tracedEnv(receiver),
      LLM_PROVIDER: "openai",
      LLM_BASE_URL: fake.baseUrl,
      LLM_API_KEY: "sk-wrong",
      LLM_MODEL: "gpt-test",
      LLM_MAX_RETRIES: "0",
      LOG_LEVEL: "info",
    });
  });
  after(async () => {
    await svc.close();
    await receiver.close();
    await fake.close();
  });

  const chat = (message = "Where is my order?") => postJson(`${svc.url}/api/v1/chat`, { message, user_id: "ops" });
  const completion = () =>
    postJson(`${svc.url}/v1/chat/completions`, {
      model: "switchboard-router",
      messages: [{ role: "user", content: "Where is my order?" }],
    });

  test("401: a configuration error the client is told not to retry, logged once with status, base URL and model", async () => {
    fake.enqueue({ status: 401 }, { status: 401 }, { status: 401 });
    const first = await chat();
    assert.equal(first.status, 502, JSON.stringify(first.body));
    assert.equal(first.body.error.code, "model_misconfigured");
    assert.doesNotMatch(first.body.error.message, /please retry/);
    assert.match(first.body.error.message, /HTTP 401/);
    assert.equal(first.headers.get("x-should-retry"), "false");
    assert.match(first.body.error.trace_id, /^[0-9a-f]{32}$/, "the error names the turn's trace");
    const second = await chat();
    assert.equal(second.body.error.code, "model_misconfigured");
    assert.notEqual(second.body.error.trace_id, first.body.error.trace_id);
    const oai = await completion();
    assert.equal(oai.status, 502);
    assert.equal(oai.body.error.code, "model_misconfigured");
    assert.equal(oai.body.error.type, "server_error");
    assert.match(oai.body.error.trace_id, /^[0-9a-f]{32}$/);
    assert.equal(oai.headers.get("x-should-retry"), "false");

    const lines = svc.logs.filter((l) => l["kind"] === "http_401");
    assert.equal(lines.length, 1, "one log line for three failures of one kind");
    const line = lines[0]!;
    assert.equal(line["level"], 50, "an error");
    assert.equal(line["status"], 401);
    assert.equal(line["base_url"], fake.baseUrl);
    assert.equal(line["model"], "gpt-test");
    assert.match(String(line["msg"]), /LLM_API_KEY/);
    assert.ok(!JSON.stringify(svc.logs).includes("sk-wrong"), "the key is never logged");
  });

  test("404 names LLM_BASE_URL and LLM_MODEL; a 503 stays retryable and is a warning of its own kind", async () => {
    fake.enqueue({ status: 404 });
    const missing = await chat();
    assert.equal(missing.body.error.code, "model_misconfigured");
    const notFound = svc.logs.find((l) => l["kind"] === "http_404");
    assert.match(String(notFound?.["msg"]), /LLM_BASE_URL.*LLM_MODEL/);

    fake.enqueue({ status: 503 }, { status: 503 });
    const busy = await chat();
    assert.equal(busy.status, 503);
    assert.equal(busy.body.error.code, "model_unavailable");
    assert.equal(busy.headers.get("x-should-retry"), null);
    assert.match(busy.body.error.trace_id, /^[0-9a-f]{32}$/);
    await chat();
    const warnings = svc.logs.filter((l) => l["kind"] === "http_503");
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!["level"], 40, "a warning");
  });

  test("a streamed turn's error event and a stream refused before it opened carry the trace id too", async () => {
    fake.enqueue({ status: 401 });
    const res = await fetch(`${svc.url}/api/v1/chat/stream`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "Where is my order?", user_id: "ops" }),
    });
    const body = (await res.json()) as any;
    assert.equal(res.status, 502);
    assert.equal(res.headers.get("x-should-retry"), "false");
    assert.match(body.error.trace_id, /^[0-9a-f]{32}$/);
  });
});

describe("start-up", () => {
  test("--help describes the service and its variables without starting it; --version prints the version", () => {
    const help = spawnSync(process.execPath, [ENTRY, "--help"], {
      encoding: "utf8",
      timeout: 15_000,
      env: { PATH: "" },
    });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: /);
    for (const name of [
      "PORT",
      "LLM_PROVIDER",
      "LLM_API_KEY",
      "SESSION_STORE",
      "API_KEYS",
      "REDIS_URL",
      "LANGFUSE_PUBLIC_KEY",
    ])
      assert.match(help.stdout, new RegExp(`\\b${name}\\b`), name);
    assert.match(help.stdout, /docs\/configuration\.md/);
    assert.doesNotMatch(help.stdout, /ready on/);
    const version = spawnSync(process.execPath, [ENTRY, "--version"], { encoding: "utf8", timeout: 15_000 });
    assert.equal(version.status, 0);
    assert.equal(version.stdout.trim(), VERSION);
    const unknown = spawnSync(process.execPath, [ENTRY, "--bogus"], { encoding: "utf8", timeout: 15_000 });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /--bogus.*--help/);
  });

  test("LLM_PROVIDER=openai without LLM_API_KEY is refused at start, saying what to set", async () => {
    const { code, stderr } = await runServiceExpectingFailure({ LLM_PROVIDER: "openai", LANGFUSE_ENABLED: "false" });
    assert.equal(code, 1);
    assert.match(stderr, /LLM_API_KEY/);
    assert.match(stderr, /LLM_PROVIDER=openai/);
    assert.ok(!/at .*\.js:\d+/.test(stderr), "no stack trace");
  });

  test("a taken port is named with the variable to set, and Langfuse's own default of 3000 is mentioned", async () => {
    const holder: Server = createServer();
    holder.listen(0, "127.0.0.1");
    await once(holder, "listening");
    const port = (holder.address() as { port: number }).port;
    try {
      const { code, stderr } = await runServiceExpectingFailure({
        PORT: String(port),
        LANGFUSE_ENABLED: "false",
        SESSION_STORE: "memory",
      });
      assert.equal(code, 1);
      assert.match(stderr, new RegExp(`port ${port} .*taken`));
      assert.match(stderr, /set PORT/);
      assert.match(stderr, /Langfuse.*3000/);
      assert.ok(!/at .*\.js:\d+/.test(stderr), `no stack trace: ${stderr}`);
    } finally {
      holder.close();
    }
  });

  test("the ready line names the model endpoint and the model; logs are JSON when not on a terminal", async () => {
    const fake = await startFakeOpenAIServer();
    const svc = await spawnService({
      LANGFUSE_ENABLED: "false",
      SESSION_STORE: "memory",
      LLM_PROVIDER: "openai",
      LLM_BASE_URL: fake.baseUrl,
      LLM_API_KEY: "sk-test-not-logged",
      LLM_MODEL: "gpt-ready-line",
    });
    try {
      const ready = svc
        .output()
        .stdout.split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => /ready on/.test(String(l["msg"])));
      assert.ok(ready, svc.output().stdout);
      assert.equal(ready["model"], "gpt-ready-line");
      assert.equal(ready["model_endpoint"], fake.baseUrl);
      assert.ok(!svc.output().stdout.includes("sk-test-not-logged"));
    } finally {
      await svc.stop();
      await fake.close();
    }
  });
});
