import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { postJson, startService, type RunningService } from "./support/start-service.js";

// Findings 3-8 of issue #13, each as the request that showed it.

const OAI = { model: "switchboard-router" };
/** True when `text` is valid Unicode (String.prototype.isWellFormed, without needing the ES2024 typings). */
const wellFormed = (text: string) =>
  !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);

describe("request validation and body handling", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ MAX_MESSAGE_CHARS: "200", MAX_BODY_BYTES: "4096" });
  });
  after(() => svc.close());

  const chat = (body: unknown, headers?: Record<string, string>) => postJson(`${svc.url}/api/v1/chat`, body, headers);
  const completion = (body: unknown, headers?: Record<string, string>) =>
    postJson(`${svc.url}/v1/chat/completions`, body, headers);
  const readSession = (sid: string, user: string) =>
    fetch(`${svc.url}/api/v1/sessions/${encodeURIComponent(sid)}?user_id=${encodeURIComponent(user)}`);

  test("finding 3: a value that is present is never called missing; the message says what is wrong", async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ message: 123, user_id: "u" }, "message", /^message must be a string, not a number$/],
      [{ message: ["hi"], user_id: "u" }, "message", /^message must be a string, not an array$/],
      [{ message: null, user_id: "u" }, "message", /^message must be a string, not null$/],
      [{ message: "hi", user_id: 7 }, "user_id", /^user_id must be a string, not a number$/],
      [{ message: "hi", user_id: "u", session_id: 5 }, "session_id", /^session_id must be a string, not a number$/],
      [{ user_id: "u" }, "message", /^message is required$/],
      [{ message: "hi" }, "user_id", /^user_id is required$/],
      [{ message: "x".repeat(201), user_id: "u" }, "message", /^message is too long: 201 characters, at most 200$/],
      [{ message: "hi", user_id: "u", session_id: "a/b" }, "session_id", /^session_id must be 1-128 characters of/],
    ];
    for (const [body, field, message] of cases) {
      const res = await chat(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.field, field, JSON.stringify(body));
      assert.match(res.body.error.message, message, JSON.stringify(body));
    }
    // session_id is optional: null means "no session yet", as JSON clients send it.
    const noSession = await chat({ message: "hi", user_id: "u", session_id: null });
    assert.equal(noSession.status, 200, JSON.stringify(noSession.body));
    assert.match(noSession.body.session_id, /^[0-9a-f-]{36}$/);

    const stream = await completion({ ...OAI, messages: [{ role: "user", content: "hi" }], stream: "yes" });
    assert.equal(stream.status, 400);
    assert.equal(stream.body.error.param, "stream");
    // OpenAI's own wording on the OpenAI-compatible API: clients and their users know it.
    assert.match(stream.body.error.message, /'stream'.*expected a boolean.*got a string/);
    const messages = await completion({ ...OAI, messages: "hi" });
    assert.equal(messages.status, 400);
    assert.doesNotMatch(messages.body.error.message, /required/);
  });

  test("finding 4: prototype keys get a 400 naming the key, on both APIs", async () => {
    const cases: [string, string, RegExp][] = [
      ['{"__proto__":{"polluted":1},"message":"hi","user_id":"u"}', "/api/v1/chat", /"__proto__" is not allowed/],
      [
        '{"message":"hi","user_id":"u","extra":{"deep":[{"__proto__":1}]}}',
        "/api/v1/chat",
        /"__proto__" is not allowed \(at extra\.deep\[0\]\.__proto__\)/,
      ],
      ['{"message":"hi","user_id":"u","\\u005f_proto__":1}', "/api/v1/chat", /"__proto__" is not allowed/],
      [
        '{"constructor":{"prototype":{"polluted":1}},"message":"hi","user_id":"u"}',
        "/api/v1/chat",
        /"constructor" is not allowed/,
      ],
      [
        '{"model":"switchboard-router","messages":[{"role":"user","content":"hi","__proto__":{"x":1}}]}',
        "/v1/chat/completions",
        /"__proto__" is not allowed \(at messages\[0\]\.__proto__\)/,
      ],
    ];
    for (const [raw, path, message] of cases) {
      const res = await postJson(`${svc.url}${path}`, raw);
      assert.equal(res.status, 400, raw);
      const error = res.body.error;
      assert.match(error.message, message, raw);
      assert.equal(error.code, "forbidden_key", raw);
    }
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    // "constructor" as plain data is harmless and accepted.
    assert.equal((await chat('{"message":"hi","user_id":"u","constructor":"x"}')).status, 200);
  });

  test("finding 4: gzip, br and deflate bodies are accepted; other encodings are a 415 naming Content-Encoding", async () => {
    const body = JSON.stringify({ message: "Where is my order 1234?", user_id: "zipped" });
    const encoders: [string, (b: Buffer) => Buffer][] = [
      ["gzip", gzipSync],
      ["br", brotliCompressSync],
      ["deflate", deflateSync],
      ["GZIP", gzipSync],
      ["identity", (b) => b],
    ];
    for (const [encoding, encode] of encoders) {
      const res = await fetch(`${svc.url}/api/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": encoding },
        body: encode(Buffer.from(body)),
      });
      assert.equal(res.status, 200, `${encoding}: ${await res.clone().text()}`);
      assert.equal(((await res.json()) as any).agent, "orders");
    }
    const oai = await fetch(`${svc.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipSync(JSON.stringify({ ...OAI, messages: [{ role: "user", content: "I need a refund" }] })),
    });
    assert.equal(oai.status, 200);

    for (const encoding of ["zstd", "compress", "gzip, br", "x-custom"]) {
      const res = await fetch(`${svc.url}/api/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": encoding },
        body: gzipSync(body),
      });
      assert.equal(res.status, 415, encoding);
      const error = ((await res.json()) as any).error;
      assert.equal(error.code, "unsupported_content_encoding");
      assert.match(error.message, /Content-Encoding/);
    }
  });

  test("finding 4: a compressed body is bounded by MAX_BODY_BYTES once decompressed (no zip bombs); a broken one is a 400", async () => {
    // 64 MB of one repeated byte is ~64 KB of gzip; decompressed it is far past the 4 KB limit.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    assert.ok(bomb.length < 100 * 1024);
    const small = gzipSync(Buffer.from(JSON.stringify({ message: "x".repeat(5000), user_id: "u" })));
    assert.ok(small.length < 4096, "under the limit while compressed");
    for (const [name, payload] of [
      ["bomb", gzipSync(Buffer.alloc(3 * 1024 * 1024, 0x20))],
      ["5 KB of JSON", small],
    ] as const) {
      const res = await fetch(`${svc.url}/api/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: payload,
      });
      assert.equal(res.status, 413, name);
      assert.equal(((await res.json()) as any).error.code, "body_too_large");
    }
    const tooBigCompressed = await fetch(`${svc.url}/api/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: bomb,
    });
    assert.equal(tooBigCompressed.status, 413);
    const broken = await fetch(`${svc.url}/api/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: Buffer.from("not gzip at all"),
    });
    assert.equal(broken.status, 400);
    const error = ((await broken.json()) as any).error;
    assert.equal(error.code, "invalid_body");
    assert.match(error.message, /gzip/);
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
  });

  test("finding 5: user_id takes printable Unicode, stored and read back as given", async () => {
    for (const user of [
      "张三",
      "Zhang San",
      "O'Brien Zoë 😀",
      "a",
      "🙂".repeat(128),
      "user@example.com",
      "дмитрий/2",
    ]) {
      const res = await chat({ message: "Where is my order?", user_id: user });
      assert.equal(res.status, 200, `${user}: ${JSON.stringify(res.body)}`);
      const session = await readSession(res.body.session_id, user);
      assert.equal(session.status, 200, user);
      assert.equal(((await session.json()) as any).turns.length, 1);
      assert.equal((await readSession(res.body.session_id, "someone-else")).status, 404);
    }
    const bad: [string, RegExp][] = [
      ["", /^user_id must not be empty$/],
      ["   ", /^user_id must not be blank$/],
      ["x".repeat(129), /^user_id is too long: 129 characters, at most 128$/],
      ["bell\u0007", /^user_id must not contain control, format or invisible characters \(U\+0007 at character 5\)$/],
      ["tab\there", /control, format or invisible characters \(U\+0009/],
      ["line\nbreak", /control, format or invisible characters \(U\+000A/],
      ["rtl\u202eevil", /control, format or invisible characters \(U\+202E/],
      ["half \ud800", /^user_id must be valid Unicode: unpaired surrogate U\+D800 at character 6$/],
    ];
    for (const [user, message] of bad) {
      const res = await chat({ message: "hi", user_id: user });
      assert.equal(res.status, 400, JSON.stringify(user));
      assert.equal(res.body.error.field, "user_id");
      assert.match(res.body.error.message, message, JSON.stringify(user));
      // (A lone surrogate cannot even be percent-encoded in a URL.)
      if (wellFormed(user))
        assert.equal((await readSession("anything", user)).status, 400, `read as ${JSON.stringify(user)}`);
    }
  });

  test("finding 6: a lone surrogate in any text field is a 400 naming the field; nothing is stored", async () => {
    const first = await chat({ message: "Where is my order?", user_id: "surrogate" });
    const sid = first.body.session_id;
    const res = await chat({ message: "order \ud800 end", user_id: "surrogate", session_id: sid });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.field, "message");
    assert.equal(res.body.error.code, "invalid_unicode");
    assert.match(res.body.error.message, /^message must be valid Unicode: unpaired surrogate U\+D800 at character 7$/);
    const low = await chat({ message: "x\udc00", user_id: "surrogate", session_id: sid });
    assert.equal(low.status, 400);
    const oai = await completion({
      ...OAI,
      messages: [{ role: "user", content: [{ type: "text", text: "a \udfff b" }] }],
    });
    assert.equal(oai.status, 400);
    assert.equal(oai.body.error.param, "messages");
    assert.match(oai.body.error.message, /messages\[0\]\.content\[0\]\.text must be valid Unicode/);
    // The session is as it was, and every answer about it is well-formed JSON text.
    const text = await (await readSession(sid, "surrogate")).text();
    assert.ok(wellFormed(text) && !/\\ud[89a-f][0-9a-f]{2}/i.test(text), text);
    assert.equal(JSON.parse(text).turns.length, 1);
    // A pair written as escapes is a real character and fine.
    const pair = await chat({ message: "order \ud83d\ude00 end", user_id: "surrogate", session_id: sid });
    assert.equal(pair.status, 200);
  });

  test("finding 6: a body that is not UTF-8 is a 400, not stored with replacement characters", async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"message":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('","user_id":"latin"}'),
    ]);
    const res = await fetch(`${svc.url}/api/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bytes,
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as any).error.message, /UTF-8/);
  });

  test("finding 7: the stream endpoint answers 404 and 400 as plain JSON before any event", async () => {
    const owned = await chat({ message: "Where is my order?", user_id: "streamer" });
    const stream = (body: unknown) =>
      fetch(`${svc.url}/api/v1/chat/stream`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const cases: [unknown, number, string][] = [
      [{ message: "hi", user_id: "intruder", session_id: owned.body.session_id }, 404, "session_not_found"],
      [{ message: "hi", user_id: "streamer", session_id: "__proto__" }, 400, "invalid_request"],
      [{ message: "hi", user_id: "streamer", session_id: "constructor" }, 400, "invalid_request"],
    ];
    for (const [body, status, code] of cases) {
      const res = await stream(body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(res.headers.get("content-type") ?? "", /application\/json/);
      const text = await res.text();
      assert.ok(!text.includes("event:"), text);
      assert.equal(JSON.parse(text).error.code, code);
    }
    const session = await (await readSession(owned.body.session_id, "streamer")).json();
    assert.equal((session as any).turns.length, 1);
  });
});

describe("finding 8: every request and turn is counted, aborted ones included", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ SIM_TTFT_MS: "150", SIM_TOKEN_MS: "20", SIM_REPLY_TOKENS: "40" });
  });
  after(() => svc.close());

  const metric = async (pattern: RegExp): Promise<number> => {
    const text = await fetch(`${svc.url}/metrics`).then((r) => r.text());
    return Number(pattern.exec(text)?.[1] ?? 0);
  };
  const eventually = async (pattern: RegExp, expected: number): Promise<void> => {
    const deadline = Date.now() + 10_000;
    let seen = 0;
    while (Date.now() < deadline) {
      seen = await metric(pattern);
      if (seen === expected) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(seen, expected, String(pattern));
  };

  test("an aborted stream is counted in http_requests_total as 499", async () => {
    const controller = new AbortController();
    const res = await fetch(`${svc.url}/api/v1/chat/stream`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "Where is my order?", user_id: "aborter" }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await eventually(/http_requests_total\{route="\/api\/v1\/chat\/stream",method="POST",status="499"\} (\d+)/, 1);
  });

  test("turns that give up waiting for their session are counted (client_gone), and so are their requests", async () => {
    const first = await postJson(`${svc.url}/api/v1/chat`, { message: "hello", user_id: "queue" });
    const sid = first.body.session_id;
    const goneBefore = await metric(/switchboard_chat_turns_total\{outcome="client_gone",answered_by="none"\} (\d+)/);
    // One turn holds the session; five streamed turns queue behind it and their clients leave.
    const holder = postJson(`${svc.url}/api/v1/chat`, {
      message: "Where is my order?",
      user_id: "queue",
      session_id: sid,
    });
    await new Promise((r) => setTimeout(r, 30));
    const waiting = Array.from({ length: 5 }, () => {
      const controller = new AbortController();
      const done = fetch(`${svc.url}/api/v1/chat/stream`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "I need a refund", user_id: "queue", session_id: sid }),
        signal: controller.signal,
      }).catch(() => null);
      setTimeout(() => controller.abort(), 60);
      return done;
    });
    await Promise.all(waiting);
    assert.equal((await holder).status, 200);
    await eventually(/switchboard_chat_turns_total\{outcome="client_gone",answered_by="none"\} (\d+)/, goneBefore + 5);
    await eventually(/http_requests_total\{route="\/api\/v1\/chat\/stream",method="POST",status="499"\} (\d+)/, 1 + 5);
    const session = await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=queue`).then(
      (r) => r.json() as Promise<any>,
    );
    assert.equal(session.turns.length, 2, "abandoned turns stored nothing");
  });
});
