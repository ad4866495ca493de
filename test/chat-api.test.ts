import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSse, postJson, readSse, startService, type RunningService } from "./support/start-service.js";

describe("chat API contract", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ MAX_MESSAGE_CHARS: "200", MAX_BODY_BYTES: "4096" });
  });
  after(() => svc.close());

  const chat = (body: unknown, headers?: Record<string, string>) => postJson(`${svc.url}/api/v1/chat`, body, headers);

  test("a routed turn answers with reply, a new session, intent and agent", async () => {
    const res = await chat({ message: "  Where is my order #1234? It has not arrived.  ", user_id: "alice" });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), [
      "agent",
      "clarification",
      "intent",
      "reply",
      "session_id",
      "trace_id",
      "trace_url",
    ]);
    assert.equal(res.body.intent, "order_status");
    assert.equal(res.body.agent, "orders");
    assert.equal(res.body.clarification, false);
    assert.equal(res.body.trace_id, null);
    assert.match(res.body.session_id, /^[0-9a-f-]{36}$/);
    assert.match(res.body.reply, /Orders desk/);
    assert.ok(res.headers.get("x-request-id"));
  });

  const routes: [string, string, string][] = [
    ["I was charged twice, I need a refund", "billing", "billing"],
    ["The app crashes when I log in", "tech_support", "tech"],
    ["Hello there, thank you so much!", "small_talk", "chitchat"],
    ["我的订单还没有发货，物流在哪里？", "order_status", "orders"],
    ["我被重复扣款了，请帮我退款", "billing", "billing"],
    ["应用一直崩溃，无法登录", "tech_support", "tech"],
  ];
  for (const [message, intent, agent] of routes) {
    test(`routes "${message}" to ${agent}`, async () => {
      const res = await chat({ message, user_id: "router-user" });
      assert.equal(res.status, 200);
      assert.equal(res.body.intent, intent);
      assert.equal(res.body.agent, agent);
    });
  }

  test("an unclear message gets a clarifying question; the answer is routed with that context", async () => {
    const first = await chat({ message: "I have a question", user_id: "bob" });
    assert.equal(first.status, 200);
    assert.equal(first.body.clarification, true);
    assert.equal(first.body.agent, null);
    assert.match(first.body.reply, /\?/);
    const second = await chat({
      message: "It is about a refund for my payment",
      user_id: "bob",
      session_id: first.body.session_id,
    });
    assert.equal(second.body.clarification, false);
    assert.equal(second.body.agent, "billing");
    const session = await fetch(`${svc.url}/api/v1/sessions/${first.body.session_id}?user_id=bob`).then(
      (r) => r.json() as Promise<any>,
    );
    assert.equal(session.turns.length, 2);
    assert.equal(session.turns[0].clarification, true);
    assert.equal(session.turns[1].agent, "billing");
    assert.equal(session.current_agent, "billing");
  });

  test("the active agent keeps a follow-up, and a clear switch changes agent", async () => {
    const a = await chat({ message: "My order has not been delivered", user_id: "carol" });
    const sid = a.body.session_id;
    const follow = await chat({ message: "ok, what should I do next?", user_id: "carol", session_id: sid });
    assert.equal(follow.body.agent, "orders", "a follow-up without new intent stays with the active agent");
    const sw = await chat({
      message: "Also, I was charged twice on my credit card",
      user_id: "carol",
      session_id: sid,
    });
    assert.equal(sw.body.agent, "billing");
    const session = await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=carol`).then(
      (r) => r.json() as Promise<any>,
    );
    assert.deepEqual(
      session.turns.map((t: { agent: string }) => t.agent),
      ["orders", "orders", "billing"],
    );
    assert.equal(session.current_intent, "billing");
  });

  test("validation errors name the field", async () => {
    const cases: [unknown, string][] = [
      [{ user_id: "u" }, "message"],
      [{ message: "   ", user_id: "u" }, "message"],
      [{ message: 42, user_id: "u" }, "message"],
      [{ message: "x".repeat(201), user_id: "u" }, "message"],
      [{ message: "hi" }, "user_id"],
      [{ message: "hi", user_id: "has\u0000nul" }, "user_id"],
      [{ message: "hi", user_id: "x".repeat(129) }, "user_id"],
      [{ message: "hi", user_id: "u", session_id: "" }, "session_id"],
      [{ message: "hi", user_id: "u", session_id: "../etc/passwd" }, "session_id"],
    ];
    for (const [body, field] of cases) {
      const res = await chat(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.field, field, JSON.stringify(body));
      assert.equal(typeof res.body.error.message, "string");
      assert.equal(res.body.error.code, "invalid_request");
    }
  });

  test("malformed JSON, non-object bodies, wrong content type, oversized bodies, unknown routes", async () => {
    const bad = await chat("{not json");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "invalid_json");
    const arr = await chat([1, 2]);
    assert.equal(arr.status, 400);
    const text = await postJson(`${svc.url}/api/v1/chat`, "message=hi", { "content-type": "text/plain" });
    assert.equal(text.status, 415);
    assert.equal(text.body.error.code, "unsupported_media_type");
    const big = await chat({ message: "x".repeat(5000), user_id: "u" });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, "body_too_large");
    const missing = await fetch(`${svc.url}/api/v2/nothing`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as any).error.code, "not_found");
  });

  test("a session is readable only by its user; unknown and foreign sessions are the same 404", async () => {
    const a = await chat({ message: "Where is my parcel?", user_id: "dave" });
    const sid = a.body.session_id;
    const own = await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=dave`);
    assert.equal(own.status, 200);
    const foreign = await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=eve`);
    const unknown = await fetch(`${svc.url}/api/v1/sessions/no-such-session?user_id=dave`);
    assert.equal(foreign.status, 404);
    assert.equal(unknown.status, 404);
    assert.deepEqual(await foreign.json(), await unknown.json());
    const noUser = await fetch(`${svc.url}/api/v1/sessions/${sid}`);
    assert.equal(noUser.status, 400);
    // Continuing someone else's session is refused the same way, and leaves it untouched.
    const hijack = await chat({ message: "Give me a refund", user_id: "eve", session_id: sid });
    assert.equal(hijack.status, 404);
    const after = await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=dave`).then((r) => r.json() as Promise<any>);
    assert.equal(after.turns.length, 1);
  });

  test("concurrent turns on one session are serialized: none lost, none interleaved", async () => {
    const first = await chat({ message: "hello", user_id: "frank" });
    const sid = first.body.session_id;
    const messages = Array.from({ length: 8 }, (_, i) => `message number ${i} about my order`);
    const results = await Promise.all(messages.map((message) => chat({ message, user_id: "frank", session_id: sid })));
    assert.ok(results.every((r) => r.status === 200));
    const session = await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=frank`).then(
      (r) => r.json() as Promise<any>,
    );
    assert.equal(session.turns.length, 9);
    assert.deepEqual(
      session.turns
        .slice(1)
        .map((t: { user: string }) => t.user)
        .sort(),
      [...messages].sort(),
    );
    // Each stored reply answers its own message: no reply was attached to another turn.
    for (const turn of session.turns.slice(1))
      assert.ok(turn.reply.includes(turn.user.replace(/[?.!]+$/, "")), turn.reply);
  });

  test("health, readiness and Prometheus metrics", async () => {
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);
    const metrics = await fetch(`${svc.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /http_requests_total\{route="\/api\/v1\/chat",method="POST",status="200"\} \d+/);
    assert.match(
      metrics,
      /http_request_duration_seconds_bucket\{le="0.005",route="\/api\/v1\/chat",method="POST",status="200"\}/,
    );
    assert.match(metrics, /http_requests_total\{route="\/api\/v1\/chat",method="POST",status="400"\} \d+/);
    assert.match(metrics, /nodejs_eventloop_lag_p99_seconds/);
    assert.match(metrics, /process_cpu_user_seconds_total/);
    assert.match(metrics, /process_resident_memory_bytes/);
    assert.match(metrics, /switchboard_chat_turns_total\{outcome="ok",answered_by="orders"\} \d+/);
  });

  test("request logs: one line per request with id and timing, no message bodies", async () => {
    const secret = "my-very-private-message-about-order-778899";
    await chat({ message: secret, user_id: "logger" }, { "x-request-id": "req-abc-123" });
    const line = svc.logs.find((l) => l["reqId"] === "req-abc-123");
    assert.ok(line, "a log line carries the request id");
    assert.equal(line["status"], 200);
    assert.equal(typeof line["ms"], "number");
    assert.equal(svc.logs.filter((l) => l["reqId"] === "req-abc-123").length, 1);
    assert.ok(!JSON.stringify(svc.logs).includes(secret), "message bodies are not logged at info");
  });
});

describe("streaming", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ SIM_TTFT_MS: "5", SIM_TOKEN_MS: "2" });
  });
  after(() => svc.close());

  test("tokens arrive as events, then done with the same object as the plain endpoint", async () => {
    const res = await fetch(`${svc.url}/api/v1/chat/stream`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "The website shows an error when I reset my password", user_id: "sse" }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const events = await readSse(res);
    const tokens = events.filter((e) => e.event === "token");
    const done = events.at(-1)!;
    assert.ok(tokens.length > 5, `streamed ${tokens.length} tokens`);
    assert.equal(done.event, "done");
    assert.equal(done.data.agent, "tech");
    assert.equal(tokens.map((t) => t.data.text).join(""), done.data.reply);
    // Who answers comes first, once, just before the first token: a client shows it as the reply starts.
    assert.deepEqual(
      events.map((e) => e.event),
      ["route", ...tokens.map(() => "token"), "done"],
    );
    assert.deepEqual(events[0]!.data, { intent: "tech_support", agent: "tech", clarification: false });
    assert.deepEqual(Object.keys(done.data).sort(), [
      "agent",
      "clarification",
      "intent",
      "reply",
      "session_id",
      "trace_id",
      "trace_url",
    ]);
  });

  test("validation errors are plain HTTP errors before the stream starts", async () => {
    const res = await postJson(`${svc.url}/api/v1/chat/stream`, { message: "", user_id: "sse" });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.field, "message");
  });

  test("a client that disconnects cancels the model call and leaves the session unchanged", async () => {
    // The session's first turn is written by a fast instance on the same SQLite file, so only the
    // turn under test runs on the slow model.
    const dir = mkdtempSync(join(tmpdir(), "switchboard-leaver-"));
    const store = { SESSION_STORE: "sqlite", SESSION_DB_PATH: join(dir, "sessions.db") };
    const fast = await startService(store);
    const first = await postJson(`${fast.url}/api/v1/chat`, { message: "Where is my order?", user_id: "leaver" });
    await fast.close();
    const slow = await startService({ ...store, SIM_TTFT_MS: "20", SIM_TOKEN_MS: "50", SIM_REPLY_TOKENS: "400" });
    try {
      const sid = first.body.session_id;
      const controller = new AbortController();
      const res = await fetch(`${slow.url}/api/v1/chat/stream`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "I need a refund for the charge", user_id: "leaver", session_id: sid }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      const firstChunk = await reader.read();
      assert.match(new TextDecoder().decode(firstChunk.value), /event: token/);
      controller.abort();
      // The turn ends promptly (400 tokens at 50 ms would take 20 s) and is counted as client_gone.
      const deadline = Date.now() + 5000;
      let metrics = "";
      while (Date.now() < deadline) {
        metrics = await fetch(`${slow.url}/metrics`).then((r) => r.text());
        if (/switchboard_chat_turns_total\{outcome="client_gone"/.test(metrics)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(metrics, /switchboard_chat_turns_total\{outcome="client_gone",answered_by="none"\} 1/);
      assert.equal(slow.service.chat.inFlight, 0);
      const session = await fetch(`${slow.url}/api/v1/sessions/${sid}?user_id=leaver`).then(
        (r) => r.json() as Promise<any>,
      );
      assert.equal(session.turns.length, 1, "the cancelled turn was not stored");
      assert.equal(session.current_agent, "orders");
    } finally {
      await slow.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("parseSse reads multi-event payloads", () => {
    const events = parseSse('event: token\ndata: {"text":"a"}\n\nevent: done\ndata: {"reply":"a"}\n\n');
    assert.deepEqual(events, [
      { event: "token", data: { text: "a" } },
      { event: "done", data: { reply: "a" } },
    ]);
  });
});
