import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "../src/config.js";
import { ConfigError } from "../src/config-schema.js";
import { readSse, startService, type RunningService } from "./support/start-service.js";
import { jsonOf, postHead, rawExchange, statusOf } from "./support/raw-http.js";

// Finding 2 of issue #13: clients that send headers and then stall or trickle the body. The
// service runs with small timeouts so that every case ends in a few hundred milliseconds; each
// wait below is bounded far above them, so a connection still open at the bound is a failure.

const WAIT_MS = 8000;

const exchange = (url: string, head: string, body?: string[], intervalMs?: number) =>
  rawExchange(url, head, { body, intervalMs, waitMs: WAIT_MS });
const head = postHead;

describe("request, header and keep-alive timeouts", () => {
  let svc: RunningService;
  before(async () => {
    // Short, but not so short that a machine busy with other tests misses a request's first bytes.
    svc = await startService({
      REQUEST_TIMEOUT_MS: "1500",
      HEADERS_TIMEOUT_MS: "1000",
      KEEP_ALIVE_TIMEOUT_MS: "300",
      SIM_TTFT_MS: "300",
      SIM_TOKEN_MS: "40",
      SIM_REPLY_TOKENS: "60",
    });
  });
  after(() => svc.close());

  test("a body that stalls after the headers gets 408 and the connection is closed", async () => {
    const ex = await exchange(svc.url, head("/api/v1/chat", 100) + '{"mess');
    assert.ok(ex.closed, "the connection was still open");
    assert.equal(statusOf(ex.response), 408, ex.response);
    assert.equal(jsonOf(ex.response).error.code, "request_timeout");
  });

  test("a body that trickles in a byte at a time is cut off at the request timeout, not kept alive by each byte", async () => {
    const body = JSON.stringify({ message: "x".repeat(80), user_id: "trickle" });
    const ex = await exchange(svc.url, head("/api/v1/chat", body.length), body.split(""), 50);
    assert.ok(ex.closed, "the connection was still open");
    assert.equal(statusOf(ex.response), 408, ex.response);
    assert.ok(ex.written < head("/api/v1/chat", body.length).length + body.length, "the whole body was accepted");
  });

  test("headers that never finish: closed with 408, counted as an unmatched request", async () => {
    const unmatched = () =>
      metricValue(svc.url, /http_requests_total\{route="unmatched",method="unknown",status="408"\} (\d+)/);
    const before_ = await unmatched();
    const ex = await exchange(svc.url, "POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty");
    assert.ok(ex.closed, "the connection was still open");
    assert.equal(statusOf(ex.response), 408, ex.response);
    assert.equal((await unmatched()) - before_, 1);
  });

  test("a connection that never sends a byte is closed without an answer, and is not a request", async () => {
    const total = async () => {
      const text = await fetch(`${svc.url}/metrics`).then((r) => r.text());
      return [...text.matchAll(/^http_requests_total\{.*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const before_ = await total();
    const ex = await exchange(svc.url, "");
    assert.ok(ex.closed, "the connection was still open");
    assert.equal(ex.response, "");
    // Only the first /metrics read itself was counted in between.
    assert.equal((await total()) - before_, 1);
  });

  test("an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS", async () => {
    const ex = await exchange(svc.url, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
    assert.ok(ex.closed, "the connection was still open");
    assert.equal(statusOf(ex.response), 200);
    assert.match(ex.response, /\r\nconnection: keep-alive\r\n/i, "a request read whole keeps its connection");
  });

  test("a streamed answer longer than the request timeout is not cut: the timeout is for receiving the request", async () => {
    const started = Date.now();
    const res = await fetch(`${svc.url}/api/v1/chat/stream`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "Where is my order?", user_id: "patient" }),
    });
    const events = await readSse(res);
    assert.ok(Date.now() - started > 1500, "the answer took longer than REQUEST_TIMEOUT_MS (else this proves nothing)");
    assert.equal(events.at(-1)?.event, "done");
  });

  test("200 stalled connections are all closed, each counted as a 408, and the service keeps answering", async () => {
    const before_ = await metric408(svc.url);
    const all = await Promise.all(Array.from({ length: 200 }, () => exchange(svc.url, head("/api/v1/chat", 64) + "{")));
    assert.equal(all.filter((e) => e.closed).length, 200);
    assert.ok(all.every((e) => statusOf(e.response) === 408));
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
    assert.equal((await metric408(svc.url)) - before_, 200);
  });
});

async function metricValue(url: string, pattern: RegExp): Promise<number> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  return Number(pattern.exec(text)?.[1] ?? 0);
}

const metric408 = (url: string) =>
  metricValue(url, /http_requests_total\{route="\/api\/v1\/chat",method="POST",status="408"\} (\d+)/);

describe("an unauthenticated request is answered 401 and closed without reading its body", () => {
  let svc: RunningService;
  before(async () => {
    // A long request timeout: the connection must close because of the 401, not the timeout.
    svc = await startService({
      API_KEYS: "slow-body-key-0123456789abc",
      REQUEST_TIMEOUT_MS: "60000",
      HEADERS_TIMEOUT_MS: "30000",
    });
  });
  after(() => svc.close());

  test("no key, body announced and never sent", async () => {
    const ex = await exchange(svc.url, head("/api/v1/chat", 100_000) + '{"message":"');
    assert.ok(ex.closed, "the connection was still open");
    assert.equal(statusOf(ex.response), 401, ex.response);
    assert.match(ex.response, /\r\nconnection: close\r\n/i);
    assert.equal(jsonOf(ex.response).error.code, "unauthorized");
  });

  test("wrong key, body trickling", async () => {
    const body = "x".repeat(200).split("");
    const ex = await exchange(
      svc.url,
      head("/v1/chat/completions", 200, "Authorization: Bearer wrong-key-wrong-key-000\r\n"),
      body,
      20,
    );
    assert.ok(ex.closed, "the connection was still open");
    assert.equal(statusOf(ex.response), 401, ex.response);
  });

  test("a request refused before its body is read never costs the next request on a kept-alive connection", async () => {
    // The refusal closes the connection; a client opens a new one and is served normally.
    const first = await fetch(`${svc.url}/api/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "hi", user_id: "u" }),
    });
    assert.equal(first.status, 401);
    assert.equal(first.headers.get("connection"), "close");
    const second = await fetch(`${svc.url}/api/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer slow-body-key-0123456789abc" },
      body: JSON.stringify({ message: "hi", user_id: "u" }),
    });
    assert.equal(second.status, 200);
  });
});

test("HEADERS_TIMEOUT_MS above REQUEST_TIMEOUT_MS is a configuration error naming both", () => {
  assert.throws(
    () => loadConfig({ REQUEST_TIMEOUT_MS: "1000", HEADERS_TIMEOUT_MS: "5000" }),
    (err: unknown) => err instanceof ConfigError && /HEADERS_TIMEOUT_MS.*REQUEST_TIMEOUT_MS/.test(err.message),
  );
});
