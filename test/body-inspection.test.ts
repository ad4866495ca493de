import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { startService, type RunningService } from "./support/start-service.js";

// Issue 22, findings 2 and 8 (encodings, charset, numbers): what JSON.parse accepts but the API
// must refuse cleanly, on every JSON endpoint, with a short 400 naming the top-level field.

const ENDPOINTS = [
  { path: "/api/v1/chat", body: (inner: string) => `{"message":"hi","user_id":"u","extra":${inner}}` },
  { path: "/api/v1/chat/stream", body: (inner: string) => `{"message":"hi","user_id":"u","extra":${inner}}` },
  {
    path: "/v1/chat/completions",
    body: (inner: string) =>
      `{"model":"switchboard-router","messages":[{"role":"user","content":"hi"}],"extra":${inner}}`,
  },
  { path: "/v1/responses", body: (inner: string) => `{"model":"switchboard-router","input":"hi","extra":${inner}}` },
];

/** The error object of either API's error shape, and the field it names (`field` native, `param` OpenAI). */
function errorOf(json: any): { code: string; message: string; field: string } {
  return { code: json.error.code, message: json.error.message, field: json.error.field ?? json.error.param };
}

describe("JSON bodies: nesting, numbers, charset, encodings", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ MAX_BODY_BYTES: "262144" });
  });
  after(() => svc.close());

  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${svc.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      signal: AbortSignal.timeout(15_000),
    });

  test("a 287-byte gzip body nested 100,000 deep is a short 400 naming only the top-level field, on every endpoint", async () => {
    const depth = 100_000;
    for (const bottom of ['"\\ud800"', '{"constructor":{"prototype":1}}', "1"]) {
      const inner = `${"[".repeat(depth)}${bottom}${"]".repeat(depth)}`;
      for (const { path, body } of ENDPOINTS) {
        const packed = gzipSync(body(inner), { level: 9 });
        assert.ok(packed.length < 400, `the attack body is small (${packed.length} bytes)`);
        const res = await post(path, packed, { "content-encoding": "gzip" });
        const text = await res.text();
        assert.equal(res.status, 400, `${path}: ${text.slice(0, 300)}`);
        assert.ok(text.length < 1000, `${path}: the error is short, not ${text.length} characters`);
        const error = errorOf(JSON.parse(text));
        assert.equal(error.code, "nesting_too_deep", text);
        assert.equal(error.field, "extra", text);
        assert.match(error.message, /^extra is nested too deeply: more than 64 levels of arrays and objects/);
      }
    }
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
  });

  test("nesting up to the limit is accepted; one level more is refused; a top-level array names the body", async () => {
    // The body object is level 1, so `extra` may hold 63 levels.
    const ok = await post("/api/v1/chat", ENDPOINTS[0]!.body(`${"[".repeat(63)}${"]".repeat(63)}`));
    assert.equal(ok.status, 200, await ok.text());
    const deep = await post("/api/v1/chat", ENDPOINTS[0]!.body(`${"[".repeat(64)}${"]".repeat(64)}`));
    assert.equal(deep.status, 400);
    assert.equal(errorOf(await deep.json()).field, "extra");
    // Brackets inside strings are text, not nesting.
    const inString = await post("/api/v1/chat", ENDPOINTS[0]!.body(JSON.stringify("[{".repeat(5000))));
    assert.equal(inString.status, 200, await inString.text());
    const array = await post("/api/v1/chat", `${"[".repeat(70)}${"]".repeat(70)}`);
    assert.equal(array.status, 400);
    assert.equal(errorOf(await array.json()).field, "body");
    // A top-level key too long to repeat is cut in the message, and the error stays short.
    const longKey = "k".repeat(100_000);
    const long = await post(
      "/api/v1/chat",
      `{"message":"hi","user_id":"u","${longKey}":${"[".repeat(80)}${"]".repeat(80)}}`,
    );
    const longText = await long.text();
    assert.equal(long.status, 400);
    assert.ok(longText.length < 1000, `${longText.length} characters`);
  });

  test("MAX_JSON_DEPTH moves the limit", async () => {
    const shallow = await startService({ MAX_JSON_DEPTH: "8" });
    try {
      const res = await fetch(`${shallow.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: ENDPOINTS[2]!.body("[[[[[[[[1]]]]]]]]"),
      });
      assert.equal(res.status, 400);
      const error = errorOf(await res.json());
      assert.equal(error.field, "extra");
      assert.match(error.message, /more than 8 levels/);
    } finally {
      await shallow.close();
    }
  });

  test("a number too large for a double is a 400 that says so, not 'expected a decimal, but got a decimal'", async () => {
    for (const [path, body, field] of [
      [
        "/v1/chat/completions",
        '{"model":"switchboard-router","messages":[{"role":"user","content":"hi"}],"temperature":1e400}',
        "temperature",
      ],
      ["/v1/responses", '{"model":"switchboard-router","input":"hi","temperature":-1e400}', "temperature"],
      [
        "/v1/chat/completions",
        `{"model":"switchboard-router","messages":[{"role":"user","content":"hi"}],"seed":${"9".repeat(400)}}`,
        "seed",
      ],
      ["/api/v1/chat", '{"message":"hi","user_id":"u","extra":{"n":[1E+999]}}', "extra"],
    ] as const) {
      const res = await post(path, body);
      const text = await res.text();
      assert.equal(res.status, 400, `${path}: ${text}`);
      const error = errorOf(JSON.parse(text));
      assert.equal(error.code, "number_out_of_range", text);
      assert.equal(error.field, field, text);
      assert.doesNotMatch(error.message, /got a decimal instead/);
      assert.match(error.message, /too large|out of range/);
    }
    // Ordinary large and tiny numbers are numbers.
    const fine = await post(
      "/v1/chat/completions",
      '{"model":"switchboard-router","messages":[{"role":"user","content":"hi"}],"seed":123,"temperature":1e-400}',
    );
    assert.equal(fine.status, 200, await fine.text());
  });

  test("charset: utf-8 (any spelling) is read; any other charset is a 415 naming Content-Type, before the body is read", async () => {
    const body = '{"message":"héllo","user_id":"u"}';
    for (const type of [
      "application/json; charset=utf-8",
      "application/json;charset=UTF-8",
      'application/json; charset="utf8"',
    ])
      assert.equal((await post("/api/v1/chat", body, { "content-type": type })).status, 200, type);
    const utf16 = Buffer.from(`\ufeff${body}`, "utf16le");
    for (const type of [
      "application/json; charset=utf-16",
      "application/json; charset=utf-16le",
      "application/json; charset=latin1",
      "application/json; charset=iso-8859-1",
    ]) {
      for (const path of ["/api/v1/chat", "/v1/chat/completions"]) {
        const res = await post(path, utf16, { "content-type": type });
        const text = await res.text();
        assert.equal(res.status, 415, `${type} ${path}: ${text}`);
        const error = errorOf(JSON.parse(text));
        assert.equal(error.code, "unsupported_charset", text);
        assert.equal(error.field, "Content-Type", text);
        assert.match(error.message, /UTF-8/);
      }
    }
  });

  test("malformed percent-encoding in a path or a query is a 400, never a 500", async () => {
    for (const path of [
      "/api/v1/sessions/%E0%A4%A?user_id=u",
      "/api/v1/sessions/%ZZ?user_id=u",
      "/api/v1/sessions/abc?user_id=%E0%A4%A",
      "/api/v1/sessions/abc?user_id=%ff",
      "/v1/models/%C0%AF",
      "/v1/responses/%E0%A4%A",
    ]) {
      const res = await fetch(`${svc.url}${path}`);
      const text = await res.text();
      assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status} ${text}`);
      assert.equal(typeof JSON.parse(text).error.message, "string");
    }
  });
});
