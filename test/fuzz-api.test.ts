import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { brotliCompressSync, constants as zlibConstants, deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { assertRan, propertyRuns } from "./support/property-runs.js";
import { parseSse, postJson, startService, type RunningService } from "./support/start-service.js";
import { postHead, rawExchange, statusOf } from "./support/raw-http.js";
import { SESSION_ID_PATTERN as SESSION_ID } from "../src/chat/session-id.js";
import { startReceiver, tracedEnv, type Receiver } from "./support/tracing-helpers.js";
import {
  assertChatCompletion,
  assertChatCompletionStream,
  assertResponse,
  assertResponseStream,
} from "./support/openai-answer-shapes.js";

// Property-based tests against the running API over real HTTP: whatever arrives, the answer is a
// clean 4xx or a 200 whose body has the documented shape (never a 500), the process survives,
// nothing pollutes Object.prototype, and a stored session is exactly as it was. Then the rules
// of issue #13, each against its own oracle: Unicode user ids, lone surrogates, prototype keys,
// compressed bodies (and bombs), slow bodies. The service traces every turn to a local receiver,
// as a developer runs it, so the tracing path sees every odd input too. Runs are bounded
// (FUZZ_RUNS, default 3000); the file prints how many requests were actually sent (a case whose
// headers fetch refuses to send is not counted).
const FUZZ = propertyRuns({
  name: "API fuzz (FUZZ_RUNS scales every property of the file)",
  runsVariable: "FUZZ_RUNS",
  defaultRuns: 3000,
  // RUNS / 60 is the smallest share a property gets: at least 10 cases each.
  minRuns: 600,
  seedVariable: "FUZZ_SEED",
  defaultSeed: 20_260_107,
});
const RUNS = FUZZ.numRuns;
const KEY = "fuzz-test-key-0123456789abcdef";
const OWNER = "fuzz-owner";
const MAX_BODY = 16_384;

let casesRun = 0;
/** Valid Unicode (String.prototype.isWellFormed without the ES2024 typings). */
const wellFormed = (text: string) =>
  !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
/** Every string in a parsed JSON value (keys included) is valid Unicode. */
function assertWellFormedJson(value: unknown, where: string): void {
  if (typeof value === "string") return assert.ok(wellFormed(value), `${where}: invalid Unicode in an answer`);
  if (typeof value !== "object" || value === null) return;
  for (const [k, v] of Object.entries(value)) {
    assert.ok(wellFormed(k), `${where}: invalid Unicode in a key`);
    assertWellFormedJson(v, where);
  }
}
const REPLY_KEYS = ["agent", "clarification", "intent", "reply", "session_id", "trace_id", "trace_url"];
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
let slowClients = 0;
after(() =>
  console.log(
    `# fast-check requests sent to the API and answered: ${casesRun}, plus ${slowClients} slow-client connections\n# ${FUZZ.summary()}`,
  ),
);

describe("fuzzed input", () => {
  let svc: RunningService;
  let receiver: Receiver;
  let sessionId: string;
  let before_: unknown;
  const auth = { authorization: `Bearer ${KEY}` };

  const readSession = async () => {
    const res = await fetch(`${svc.url}/api/v1/sessions/${sessionId}?user_id=${OWNER}`, { headers: auth });
    assert.equal(res.status, 200);
    return res.json();
  };

  before(async () => {
    receiver = await startReceiver();
    svc = await startService({
      ...tracedEnv(receiver),
      API_KEYS: KEY,
      MAX_BODY_BYTES: String(MAX_BODY),
      MAX_MESSAGE_CHARS: "2000",
    });
    const a = await postJson(`${svc.url}/api/v1/chat`, { message: "Where is my order 42?", user_id: OWNER }, auth);
    sessionId = a.body.session_id;
    await postJson(
      `${svc.url}/api/v1/chat`,
      { message: "我被重复扣款了", user_id: OWNER, session_id: sessionId },
      auth,
    );
    before_ = await readSession();
  });

  after(async () => {
    // Sessions intact, service alive, no prototype pollution: checked once after every property.
    assert.deepEqual(await readSession(), before_, "the stored session changed");
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    assert.deepEqual(
      Object.getOwnPropertyNames(Object.prototype).sort(),
      prototypeBefore,
      "Object.prototype gained properties",
    );
    await svc.close();
    await receiver.close();
  });

  // ---- generators ---------------------------------------------------------------------------
  const weirdChars = fc.constantFrom(
    "\u0000",
    "\u0001",
    "\u001b",
    "\u007f",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\u202e",
    "😀",
    "é",
    "́",
    "𝕏",
    "\r\n",
    "\t",
    "\\",
    '"',
    "'",
    "<script>",
    "%00",
    "${x}",
    "../",
  );
  const weirdString = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.array(weirdChars, { maxLength: 12 }).map((a) => a.join("")),
    fc.constantFrom(
      "__proto__",
      "constructor",
      "prototype",
      "toString",
      "hasOwnProperty",
      "valueOf",
      "__defineGetter__",
      "",
      " ",
      "null",
      sessionIdPlaceholder(),
    ),
    fc.integer({ min: 1900, max: 2600 }).map((n) => "x".repeat(n)),
  );
  function sessionIdPlaceholder(): string {
    return "<<SESSION>>";
  }
  const nested = fc
    .integer({ min: 1, max: 3000 })
    .chain((depth) =>
      fc.constantFrom(
        `${"[".repeat(depth)}${"]".repeat(depth)}`,
        `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
        `{"message":${'{"m":'.repeat(depth)}"x"${"}".repeat(depth)},"user_id":"u"}`,
      ),
    );
  const anyValue = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    weirdString,
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.array(weirdString, { maxLength: 3 }),
  );
  const userId = fc.oneof(
    fc.constantFrom("alice", "mallory", "__proto__", "constructor", "a".repeat(129), "has space", "ü"),
    weirdString,
    anyValue,
  );
  const chatBody = fc.record(
    {
      message: fc.oneof(weirdString, anyValue),
      user_id: userId,
      session_id: fc.oneof(fc.constant("<<SESSION>>"), weirdString, anyValue),
      extra: anyValue,
    },
    { requiredKeys: [] },
  );
  const pollution = fc.constantFrom(
    '{"__proto__":{"polluted":"yes"},"message":"hi","user_id":"alice"}',
    '{"constructor":{"prototype":{"polluted":"yes"}},"message":"hi","user_id":"alice"}',
    '{"message":"hi","user_id":"alice","__proto__":{"session_id":"<<SESSION>>"}}',
    '{"message":{"__proto__":{"toString":"x"}},"user_id":"alice"}',
    '{"message":"hi","user_id":{"constructor":"x"}}',
    '{"model":"switchboard-router","messages":[{"role":"user","content":"hi","__proto__":{"polluted":"yes"}}]}',
    '{"model":"switchboard-router","messages":{"__proto__":[]}}',
  );
  const rawBody = fc.oneof(
    chatBody.map((b) => JSON.stringify(b)),
    fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v) ?? "null"),
    pollution,
    nested,
    weirdString,
    fc
      .integer({ min: MAX_BODY - 64, max: MAX_BODY * 2 })
      .map((n) => JSON.stringify({ message: "y".repeat(n), user_id: "alice" })),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString("latin1")),
  );
  // Header values fetch can send (ByteString, no CR/LF/NUL); anything else is refused client-side.
  const headerValue = fc.oneof(
    fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
    fc.constantFrom("", "__proto__", "constructor", `Bearer ${KEY}`, "Bearer", `Bearer  ${KEY} x`, "x".repeat(9000)),
  );
  // Headers as [name, value] pairs, so names like __proto__ are sent as they are.
  const headers = fc
    .tuple(
      fc.oneof(fc.constant(`Bearer ${KEY}`), fc.constant(`Bearer ${KEY}`), headerValue),
      fc.oneof(
        fc.constant("application/json"),
        fc.constantFrom(
          "application/json; charset=utf-8",
          "application/json; charset=latin1",
          "text/plain",
          "application/x-www-form-urlencoded",
          "application/JSON",
          "multipart/form-data; boundary=x",
          "",
        ),
        headerValue,
      ),
      fc.array(
        fc.tuple(
          fc.constantFrom(
            "x-request-id",
            "x-user-id",
            "x-session-id",
            "__proto__",
            "constructor",
            "x-forwarded-for",
            "accept",
            "accept-encoding",
          ),
          fc.oneof(fc.constant("<<SESSION>>"), headerValue),
        ),
        { maxLength: 4 },
      ),
    )
    .map(([authorization, contentType, rest]): [string, string][] => [
      ["authorization", authorization],
      ["content-type", contentType],
      ...rest,
    ]);
  const endpoint = fc.constantFrom("/api/v1/chat", "/api/v1/chat/stream", "/v1/chat/completions", "/v1/responses");

  /** encodeURIComponent, but lone surrogates (which make it throw) become U+FFFD first. */
  const enc = (v: string) =>
    encodeURIComponent(v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"));

  /** fc.assert, with the failing case's own error in the message (fast-check keeps it in `cause`). */
  async function check<T extends unknown[]>(prop: fc.IAsyncPropertyWithHooks<T>, numRuns: number): Promise<void> {
    const out = await fc.check(prop, { numRuns, seed: FUZZ.seed });
    if (out.failed)
      throw new Error(
        `${(fc.defaultReportMessage(out) ?? "").slice(0, 1500)}\n${String(out.errorInstance).slice(0, 1000)}`,
      );
    assertRan(out, numRuns, "an API fuzz property");
  }

  // ---- the oracle ---------------------------------------------------------------------------
  interface Answer {
    status: number;
    text: string;
    json: any;
  }

  async function send(
    method: string,
    path: string,
    hdrs: [string, string][],
    body?: string | Buffer,
  ): Promise<Answer | null> {
    const fill = (s: string) => s.replaceAll("<<SESSION>>", sessionId);
    const h = hdrs.map(([k, v]): [string, string] => [k, fill(v)]);
    let res: Response;
    try {
      res = await fetch(`${svc.url}${path}`, {
        method,
        headers: h,
        body: body === undefined ? undefined : typeof body === "string" ? fill(body) : body,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      // fetch itself refuses some header values before sending: not a server answer.
      if (err instanceof TypeError && !/fetch failed/.test(err.message)) return null;
      if (/^invalid .* header/.test(String((err as any).cause?.message))) return null;
      throw new Error(
        `no answer (server crashed or hung?) for ${method} ${path}: ${(err as Error).message}; cause ${(err as any).cause?.message}`,
      );
    }
    casesRun++;
    const text = await res.text();
    const where = `${method} ${path} -> ${res.status}`;
    assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `${where}: ${text.slice(0, 300)}`);
    const type = res.headers.get("content-type") ?? "";
    let json: any = null;
    if (method === "HEAD") return { status: res.status, text, json };
    if (res.status >= 400) {
      json = JSON.parse(text);
      assert.equal(typeof json.error?.message, "string", text.slice(0, 200));
      assertWellFormedJson(json, where);
    } else {
      json = assertOkAnswer(method, path.split("?")[0]!, type, text, where);
    }
    return { status: res.status, text, json };
  }

  /** A 200's body has the shape the endpoint documents; returns it parsed (null for SSE). */
  function assertOkAnswer(method: string, path: string, type: string, text: string, where: string): any {
    if (type.includes("event-stream")) {
      if (path === "/api/v1/chat/stream") {
        const events = parseSse(text);
        const done = events.at(-1);
        assert.equal(done?.event, "done", `${where}: the stream did not end with done: ${text.slice(-300)}`);
        assert.deepEqual(Object.keys(done.data).sort(), REPLY_KEYS, where);
        // A `route` event (who answers) precedes the first token.
        const route = events[0]?.event === "route" ? events[0] : undefined;
        if (route) assert.deepEqual(Object.keys(route.data).sort(), ["agent", "clarification", "intent"], where);
        const tokens = events.slice(route ? 1 : 0, -1);
        assert.ok(
          tokens.every((e) => e.event === "token" && typeof e.data.text === "string"),
          `${where}: ${text.slice(0, 300)}`,
        );
        assert.equal(tokens.map((e) => e.data.text).join(""), done.data.reply, where);
        assertWellFormedJson(events, where);
        return null;
      }
      if (path === "/v1/responses") return (assertResponseStream(text, where, true), null);
      assert.equal(path, "/v1/chat/completions", where);
      assertChatCompletionStream(text, where, true);
      assertWellFormedJson(text, where);
      return null;
    }
    if (path === "/metrics") return (assert.match(text, /# HELP/), null);
    const json = JSON.parse(text);
    assertWellFormedJson(json, where);
    if (path === "/api/v1/chat" && method === "POST") {
      assert.deepEqual(Object.keys(json).sort(), REPLY_KEYS, where);
      assert.ok(typeof json.reply === "string" && json.reply.length > 0, where);
      assert.match(json.session_id, SESSION_ID, where);
      assert.match(json.trace_id, /^[0-9a-f]{32}$/, `${where}: every turn is traced`);
    } else if (path === "/v1/chat/completions" && method === "POST") {
      assertChatCompletion(json, where, true);
    } else if (path === "/v1/responses" && method === "POST") {
      assertResponse(json, where, true);
    } else if (path.startsWith("/v1/responses/") && method === "GET") {
      assertResponse(json, where, true);
    } else if (path.startsWith("/api/v1/sessions/") && method === "GET") {
      assert.deepEqual(
        Object.keys(json).sort(),
        ["current_agent", "current_intent", "next_before", "session_id", "turn_count", "turns"],
        where,
      );
      assert.ok(Array.isArray(json.turns) && json.turns.length > 0, where);
      assert.ok(json.turns.length <= json.turn_count, where);
    } else if (["/healthz", "/readyz"].includes(path)) {
      assert.equal(typeof json.status, "string", where);
    } else if (path.startsWith("/v1/models")) {
      assert.ok(json.object === "list" || json.object === "model", where);
    } else {
      assert.fail(`${where}: a 200 from a route that should not answer one: ${text.slice(0, 200)}`);
    }
    return json;
  }

  test(
    "chat endpoints: random, oversized, nested, wrong-typed, unicode, NUL, prototype-pollution bodies and headers",
    // Every turn is traced and the Responses API is fuzzed too: on a loaded 2-core machine the
    // 3,000 cases have taken over a minute.
    { timeout: 180_000 },
    async () => {
      await check(
        fc.asyncProperty(endpoint, rawBody, headers, async (path, body, hdrs) => {
          // The owner with the right key may legitimately add turns; everyone else must not.
          const b =
            body.includes("<<SESSION>>") && body.includes(OWNER) ? body.replaceAll(OWNER, "someone-else") : body;
          await send("POST", path, hdrs, b);
        }),
        RUNS,
      );
    },
  );

  test("session reads: random ids, user ids and query strings", { timeout: 60_000 }, async () => {
    await check(
      fc.asyncProperty(
        fc.oneof(fc.constant("<<SESSION>>"), weirdString),
        fc.oneof(userId.map(String), weirdString),
        headers,
        fc.boolean(),
        async (sid, user, hdrs, dupQuery) => {
          const path = `/api/v1/sessions/${enc(sid.replaceAll("<<SESSION>>", sessionId)).slice(0, 400)}?user_id=${enc(user)}${dupQuery ? `&user_id=x&__proto__[polluted]=1&constructor[prototype][polluted]=1` : ""}`;
          await send("GET", path, hdrs);
        },
      ),
      Math.round(RUNS / 2),
    );
  });

  test("raw paths and methods", { timeout: 60_000 }, async () => {
    await check(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
        fc.oneof(weirdString, endpoint),
        async (method, p) => {
          const path = "/" + enc(p).replaceAll("%2F", "/").slice(0, 500);
          await send(
            method,
            path,
            [
              ["authorization", `Bearer ${KEY}`],
              ["content-type", "application/json"],
            ],
            method === "GET" || method === "HEAD" ? undefined : "{}",
          );
        },
      ),
      Math.round(RUNS / 4),
    );
  });

  // ---- issue #13's rules, each with its own oracle -------------------------------------------
  const authed: [string, string][] = [
    ["authorization", `Bearer ${KEY}`],
    ["content-type", "application/json"],
  ];
  // Controls, format and other invisible characters, noncharacters; emoji's joiners, variation
  // selectors and tags excepted.
  const SPECIAL =
    /(?!\u200c|\u200d|\p{Variation_Selector}|[\u{e0020}-\u{e007f}])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]/u;
  /** The documented rule for user ids, restated independently of the service's code. */
  const validUserId = (u: string) =>
    u.length > 0 && wellFormed(u) && !SPECIAL.test(u) && u.trim() !== "" && [...u].length <= 128;

  test(
    "user ids: printable Unicode up to 128 characters is accepted, stored and read back as given; anything else is a 400 on user_id",
    { timeout: 60_000 },
    async () => {
      const piece = fc.constantFrom(
        "张",
        "三",
        " ",
        "😀",
        "👨‍👩‍👧",
        "é",
        "é",
        "\u200d",
        "\u0007",
        "\u0000",
        "\t",
        "\n",
        "\u202e",
        "\u2066",
        "\u2028",
        "\u0085",
        "\ud800",
        "\udfff",
        "a",
        "/",
        "'",
        "%",
        "\ufeff",
        "\u200b",
        "\u00ad",
        "\u2060",
        "\uffff",
        "\u3164",
        "\ufe0f",
        "❤️",
      );
      const unicodeUser = fc.oneof(
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }),
        fc.string({ unit: "binary", maxLength: 20 }),
        fc.array(piece, { maxLength: 12 }).map((a) => a.join("")),
        fc.integer({ min: 124, max: 132 }).chain((n) => fc.constantFrom("名".repeat(n), "🙂".repeat(n), "a".repeat(n))),
      );
      await check(
        fc.asyncProperty(unicodeUser, async (user) => {
          const res = await send(
            "POST",
            "/api/v1/chat",
            authed,
            JSON.stringify({ message: "Where is my order?", user_id: user }),
          );
          if (!res) return;
          if (!validUserId(user)) {
            assert.equal(res.status, 400, `${JSON.stringify(user)} was accepted`);
            assert.equal(res.json.error.field, "user_id", res.text);
            assert.match(res.json.error.message, /^user_id /);
            return;
          }
          assert.equal(res.status, 200, `${JSON.stringify(user)}: ${res.text}`);
          const read = await send(
            "GET",
            `/api/v1/sessions/${res.json.session_id}?user_id=${encodeURIComponent(user)}`,
            authed,
          );
          assert.equal(read?.status, 200);
          assert.equal(read.json.turns[0].user, "Where is my order?");
          const other = await send(
            "GET",
            `/api/v1/sessions/${res.json.session_id}?user_id=${encodeURIComponent(user === "someone-else" ? "someone" : "someone-else")}`,
            authed,
          );
          assert.equal(other?.status, 404);
        }),
        Math.round(RUNS / 10),
      );
    },
  );

  test(
    "lone surrogates in any string or key, on both APIs: 400 invalid_unicode naming the field",
    { timeout: 60_000 },
    async () => {
      const lone = fc
        .tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 8 }))
        .map(([a, c, b]) => `${a}${String.fromCharCode(c)}${b}`)
        .filter((t) => !wellFormed(t));
      const placement = fc.constantFrom(
        "message",
        "user_id",
        "session_id",
        "extra",
        "key",
        "oai_content",
        "oai_part",
        "oai_role",
        "oai_user",
      );
      await check(
        fc.asyncProperty(lone, placement, async (bad, where) => {
          const nativeBody: Record<string, unknown> = { message: "hi", user_id: "surrogates" };
          const oaiBody: Record<string, unknown> = {
            model: "switchboard-router",
            messages: [{ role: "user", content: "hi" }],
          };
          let path = "/api/v1/chat";
          let body: Record<string, unknown> = nativeBody;
          let field: string = where;
          if (where === "message" || where === "user_id" || where === "session_id") nativeBody[where] = bad;
          else if (where === "extra") nativeBody["extra"] = { deep: [1, { text: bad }] };
          else if (where === "key") {
            nativeBody[bad] = 1;
            field = "body";
          } else {
            path = "/v1/chat/completions";
            body = oaiBody;
            field = where === "oai_user" ? "user" : "messages";
            if (where === "oai_content") oaiBody["messages"] = [{ role: "user", content: bad }];
            if (where === "oai_part") oaiBody["messages"] = [{ role: "user", content: [{ type: "text", text: bad }] }];
            if (where === "oai_role") oaiBody["messages"] = [{ role: bad, content: "hi" }];
            if (where === "oai_user") oaiBody["user"] = bad;
          }
          const res = await send("POST", path, authed, JSON.stringify(body));
          assert.equal(res?.status, 400, res?.text);
          const error = res.json.error;
          assert.equal(error.code, "invalid_unicode", res.text);
          assert.equal(error.field ?? error.param, field, res.text);
          assert.match(error.message, /valid Unicode/);
        }),
        Math.round(RUNS / 10),
      );
    },
  );

  test(
    "prototype keys at any depth, plain or escaped: 400 forbidden_key naming the key and where it is",
    { timeout: 60_000 },
    async () => {
      const segment = fc.oneof(fc.constantFrom("a", "messages", "x y", "content"), fc.nat({ max: 3 }));
      const forbidden = fc.constantFrom(
        { key: "__proto__", text: '"__proto__":{"polluted":"yes"}' },
        { key: "__proto__", text: '"\\u005f_proto__":{"polluted":"yes"}' },
        { key: "__proto__", text: '"__pr\\u006fto__":[]' },
        { key: "constructor", text: '"constructor":{"prototype":{"polluted":"yes"}}' },
        { key: "constructor", text: '"constru\\u0063tor":{"prototype":1}' },
      );
      await check(
        fc.asyncProperty(
          fc.array(segment, { maxLength: 5 }),
          forbidden,
          fc.constantFrom("/api/v1/chat", "/api/v1/chat/stream", "/v1/chat/completions"),
          async (path, bad, endpoint) => {
            // Built from the inside out: the forbidden member, wrapped in objects and arrays along `path`.
            let inner = `{"ok":1,${bad.text}}`;
            for (const seg of [...path].reverse())
              inner = typeof seg === "number" ? `[${"0,".repeat(seg)}${inner}]` : `{${JSON.stringify(seg)}:${inner}}`;
            const raw =
              path.length === 0
                ? `{"message":"hi","user_id":"u",${bad.text}}`
                : `{"message":"hi","user_id":"u","wrap":${inner}}`;
            const res = await send("POST", endpoint, authed, raw);
            assert.equal(res?.status, 400, `${raw}: ${res?.text}`);
            const error = res.json.error;
            assert.equal(error.code, "forbidden_key", res.text);
            assert.match(error.message, new RegExp(`"${bad.key}" is not allowed \\(at `));
            assert.equal(error.field ?? error.param, path.length === 0 ? bad.key : "wrap", res.text);
          },
        ),
        Math.round(RUNS / 10),
      );
      assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    },
  );

  test(
    "compressed bodies answer exactly as the same body uncompressed; bombs are 413; unknown encodings 415",
    { timeout: 60_000 },
    async () => {
      const encoders: Record<string, (b: Buffer) => Buffer> = {
        gzip: gzipSync,
        // Quality 5: brotli's default (11) takes seconds for the megabyte-sized bombs below.
        br: (b) => brotliCompressSync(b, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } }),
        deflate: deflateSync,
      };
      const bodyText = fc.oneof(
        chatBody.map((b) => JSON.stringify(b)),
        fc.constant(JSON.stringify({ message: "Where is my order?", user_id: "zip" })),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"),
        weirdString,
      );
      await check(
        fc.asyncProperty(
          bodyText,
          fc.constantFrom("gzip", "br", "deflate"),
          fc.constantFrom("/api/v1/chat", "/v1/chat/completions"),
          async (text, encoding, path) => {
            const safe = text.replaceAll("<<SESSION>>", "not-the-owners-session");
            const plain = await send("POST", path, authed, safe);
            const packed = await send(
              "POST",
              path,
              [...authed, ["content-encoding", encoding]],
              encoders[encoding]!(Buffer.from(safe)),
            );
            assert.equal(
              packed?.status,
              plain?.status,
              `${encoding} ${safe.slice(0, 200)}: ${packed?.text.slice(0, 200)} vs ${plain?.text.slice(0, 200)}`,
            );
            if (plain!.status >= 400) assert.equal(packed!.json.error.code, plain!.json.error.code);
          },
        ),
        Math.round(RUNS / 10),
      );
      await check(
        fc.asyncProperty(
          fc.integer({ min: MAX_BODY + 1, max: 2 * 1024 * 1024 }),
          fc.constantFrom("gzip", "br", "deflate"),
          fc.constantFrom(" ", "y", "\u0000"),
          async (size, encoding, fill) => {
            const res = await send(
              "POST",
              "/api/v1/chat",
              [...authed, ["content-encoding", encoding]],
              encoders[encoding]!(Buffer.alloc(size, fill)),
            );
            assert.equal(res?.status, 413, res?.text);
            assert.equal(res.json.error.code, "body_too_large");
          },
        ),
        Math.round(RUNS / 60),
      );
      await check(
        fc.asyncProperty(
          fc.oneof(
            fc.constantFrom("zstd", "compress", "gzip, br", "br;q=1", "x-gzip2"),
            fc.string({
              unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
              minLength: 1,
              maxLength: 12,
            }),
          ),
          async (encoding) => {
            const res = await send(
              "POST",
              "/api/v1/chat",
              [...authed, ["content-encoding", encoding]],
              gzipSync('{"message":"hi","user_id":"u"}'),
            );
            if (["gzip", "x-gzip", "br", "deflate", "identity"].includes(encoding.trim().toLowerCase())) return;
            assert.equal(res?.status, 415, `${encoding}: ${res?.text}`);
            assert.match(res.json.error.message, /Content-Encoding/);
          },
        ),
        Math.round(RUNS / 30),
      );
    },
  );
});

describe("fuzzed slow clients", () => {
  const SLOW_KEY = "fuzz-slow-key-0123456789abcdef";
  let svc: RunningService;
  before(async () => {
    svc = await startService({ API_KEYS: SLOW_KEY, REQUEST_TIMEOUT_MS: "600", HEADERS_TIMEOUT_MS: "400" });
  });
  after(() => svc.close());

  // A stall or trickle at a random point of a request, with or without a valid key; every
  // connection must be answered (408 for a slow request, 401 for a keyless one) and closed, long
  // before the 5 s bound.
  const slowCase = fc.record({
    endpoint: fc.constantFrom("/api/v1/chat", "/api/v1/chat/stream", "/v1/chat/completions"),
    auth: fc.constantFrom("none", "wrong", "right"),
    stallInHeaders: fc.boolean(),
    cut: fc.nat({ max: 60 }),
    trickleMs: fc.option(fc.integer({ min: 20, max: 80 }), { nil: undefined }),
  });

  test("stalled and trickling requests are answered and closed", { timeout: 60_000 }, async () => {
    const body = JSON.stringify({ message: "Where is my order?", user_id: "slow" });
    const out = await fc.check(
      fc.asyncProperty(fc.array(slowCase, { minLength: 10, maxLength: 10 }), async (cases) => {
        await Promise.all(
          cases.map(async (c) => {
            slowClients++;
            const authHeader =
              c.auth === "right"
                ? `Authorization: Bearer ${SLOW_KEY}\r\n`
                : c.auth === "wrong"
                  ? "Authorization: Bearer not-the-key-000000\r\n"
                  : "";
            const full = postHead(c.endpoint, body.length + 10, authHeader) + body;
            const headEnd = full.indexOf("\r\n\r\n") + 4;
            // Cut inside the headers, or inside the body (which is announced 10 bytes too long,
            // so even a complete send stalls).
            const cutAt = c.stallInHeaders ? Math.min(headEnd - 3, 10 + c.cut) : Math.min(full.length, headEnd + c.cut);
            const rest = full.slice(cutAt).split("");
            const ex = await rawExchange(svc.url, full.slice(0, cutAt), {
              body: c.trickleMs ? rest : [],
              intervalMs: c.trickleMs,
              waitMs: 5000,
            });
            assert.ok(ex.closed, `still open: ${JSON.stringify(c)}`);
            const status = statusOf(ex.response);
            const expected = c.stallInHeaders || c.auth === "right" ? 408 : 401;
            assert.equal(status, expected, `${JSON.stringify(c)}: ${ex.response.slice(0, 200)}`);
          }),
        );
      }),
      { numRuns: Math.max(2, Math.round(RUNS / 750)), seed: FUZZ.seed },
    );
    if (out.failed)
      throw new Error(
        `${(fc.defaultReportMessage(out) ?? "").slice(0, 1500)}\n${String(out.errorInstance).slice(0, 1000)}`,
      );
    assertRan(out, Math.max(2, Math.round(RUNS / 750)), "slow requests");
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
  });
});
