import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { postJson, startService, type RunningService } from "./support/start-service.js";

// Property-based tests against the running API over real HTTP: whatever arrives, the answer is a
// clean 4xx or a 200, never a 500, the process survives, nothing pollutes Object.prototype, and
// a stored session is exactly as it was. Runs are bounded (FUZZ_RUNS, default 3000 -> 5,250
// requests) so the file takes ~10 s compiled, ~30 s under tsx.
const RUNS = Number(process.env["FUZZ_RUNS"] ?? 3000);
const KEY = "fuzz-test-key-0123456789abcdef";
const OWNER = "fuzz-owner";
const MAX_BODY = 16_384;

let casesRun = 0;
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

describe("fuzzed input", () => {
  let svc: RunningService;
  let sessionId: string;
  let before_: unknown;
  const auth = { authorization: `Bearer ${KEY}` };

  const readSession = async () => {
    const res = await fetch(`${svc.url}/api/v1/sessions/${sessionId}?user_id=${OWNER}`, { headers: auth });
    assert.equal(res.status, 200);
    return res.json();
  };

  before(async () => {
    svc = await startService({ API_KEYS: KEY, MAX_BODY_BYTES: String(MAX_BODY), MAX_MESSAGE_CHARS: "2000" });
    const a = await postJson(`${svc.url}/api/v1/chat`, { message: "Where is my order 42?", user_id: OWNER }, auth);
    sessionId = a.body.session_id;
    await postJson(`${svc.url}/api/v1/chat`, { message: "我被重复扣款了", user_id: OWNER, session_id: sessionId }, auth);
    before_ = await readSession();
  });

  after(async () => {
    // Sessions intact, service alive, no prototype pollution: checked once after every property.
    assert.deepEqual(await readSession(), before_, "the stored session changed");
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore, "Object.prototype gained properties");
    await svc.close();
    console.log(`# fast-check cases run against the API: ${casesRun}`);
  });

  // ---- generators ---------------------------------------------------------------------------
  const weirdChars = fc.constantFrom("\u0000", "\u0001", "\u001b", "\u007f", "\u2028", "\u2029", "\ufeff", "\ud800", "\udfff", "\u202e", "😀", "é", "́", "𝕏", "\r\n", "\t", "\\", '"', "'", "<script>", "%00", "${x}", "../");
  const weirdString = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.array(weirdChars, { maxLength: 12 }).map((a) => a.join("")),
    fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__", "", " ", "null", sessionIdPlaceholder()),
    fc.integer({ min: 1900, max: 2600 }).map((n) => "x".repeat(n)),
  );
  function sessionIdPlaceholder(): string {
    return "<<SESSION>>";
  }
  const nested = fc.integer({ min: 1, max: 3000 }).chain((depth) => fc.constantFrom(`${"[".repeat(depth)}${"]".repeat(depth)}`, `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`, `{"message":${'{"m":'.repeat(depth)}"x"${"}".repeat(depth)},"user_id":"u"}`));
  const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 4 }), weirdString, fc.constant(null), fc.boolean(), fc.double(), fc.array(weirdString, { maxLength: 3 }));
  const userId = fc.oneof(fc.constantFrom("alice", "mallory", "__proto__", "constructor", "a".repeat(129), "has space", "ü"), weirdString, anyValue);
  const chatBody = fc.record(
    { message: fc.oneof(weirdString, anyValue), user_id: userId, session_id: fc.oneof(fc.constant("<<SESSION>>"), weirdString, anyValue), extra: anyValue },
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
    fc.integer({ min: MAX_BODY - 64, max: MAX_BODY * 2 }).map((n) => JSON.stringify({ message: "y".repeat(n), user_id: "alice" })),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString("latin1")),
  );
  // Header values fetch can send (ByteString, no CR/LF/NUL); anything else is refused client-side.
  const headerValue = fc.oneof(fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 60 }), fc.constantFrom("", "__proto__", "constructor", `Bearer ${KEY}`, "Bearer", `Bearer  ${KEY} x`, "x".repeat(9000)));
  // Headers as [name, value] pairs, so names like __proto__ are sent as they are.
  const headers = fc
    .tuple(
      fc.oneof(fc.constant(`Bearer ${KEY}`), fc.constant(`Bearer ${KEY}`), headerValue),
      fc.oneof(fc.constant("application/json"), fc.constantFrom("application/json; charset=utf-8", "application/json; charset=latin1", "text/plain", "application/x-www-form-urlencoded", "application/JSON", "multipart/form-data; boundary=x", ""), headerValue),
      fc.array(fc.tuple(fc.constantFrom("x-request-id", "x-user-id", "x-session-id", "__proto__", "constructor", "x-forwarded-for", "accept", "accept-encoding"), fc.oneof(fc.constant("<<SESSION>>"), headerValue)), { maxLength: 4 }),
    )
    .map(([authorization, contentType, rest]): [string, string][] => [["authorization", authorization], ["content-type", contentType], ...rest]);
  const endpoint = fc.constantFrom("/api/v1/chat", "/api/v1/chat/stream", "/v1/chat/completions");

  /** encodeURIComponent, but lone surrogates (which make it throw) become U+FFFD first. */
  const enc = (v: string) => encodeURIComponent(v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"));

  /** fc.assert, with the failing case's own error in the message (fast-check keeps it in `cause`). */
  async function check<T extends unknown[]>(prop: fc.IAsyncPropertyWithHooks<T>, numRuns: number): Promise<void> {
    const out = await fc.check(prop, { numRuns, seed: Number(process.env["FUZZ_SEED"] ?? 20260107) });
    if (out.failed) throw new Error(`${(fc.defaultReportMessage(out) ?? "").slice(0, 1500)}\n${String(out.errorInstance).slice(0, 1000)}`);
  }

  // ---- the oracle ---------------------------------------------------------------------------
  async function send(method: string, path: string, hdrs: [string, string][], body?: string): Promise<void> {
    casesRun++;
    const fill = (s: string) => s.replaceAll("<<SESSION>>", sessionId);
    const h = hdrs.map(([k, v]): [string, string] => [k, fill(v)]);
    let res: Response;
    try {
      res = await fetch(`${svc.url}${path}`, { method, headers: h, body: body === undefined ? undefined : fill(body), signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      // fetch itself refuses some header values before sending: not a server answer.
      if (err instanceof TypeError && !/fetch failed/.test(err.message)) return;
      if (/^invalid .* header/.test(String((err as any).cause?.message))) return;
      throw new Error(`no answer (server crashed or hung?) for ${method} ${path}: ${(err as Error).message}; cause ${(err as any).cause?.message}`);
    }
    const text = await res.text();
    assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `${method} ${path} -> ${res.status}: ${text.slice(0, 300)}`);
    if (res.status >= 400 && method !== "HEAD") {
      const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      assert.equal(typeof parsed.error?.message, "string", text.slice(0, 200));
    } else if ((res.headers.get("content-type") ?? "").includes("event-stream")) {
      assert.ok(!/internal_error|server_error/.test(text), `a stream failed internally: ${text.slice(-300)}`);
    }
  }

  test("chat endpoints: random, oversized, nested, wrong-typed, unicode, NUL, prototype-pollution bodies and headers", { timeout: 60_000 }, async () => {
    await check(
      fc.asyncProperty(endpoint, rawBody, headers, async (path, body, hdrs) => {
        // The owner with the right key may legitimately add turns; everyone else must not.
        const b = body.includes("<<SESSION>>") && body.includes(OWNER) ? body.replaceAll(OWNER, "someone-else") : body;
        await send("POST", path, hdrs, b);
      }),
      RUNS,
    );
  });

  test("session reads: random ids, user ids and query strings", { timeout: 60_000 }, async () => {
    await check(
      fc.asyncProperty(fc.oneof(fc.constant("<<SESSION>>"), weirdString), fc.oneof(userId.map(String), weirdString), headers, fc.boolean(), async (sid, user, hdrs, dupQuery) => {
        const path = `/api/v1/sessions/${enc(sid.replaceAll("<<SESSION>>", sessionId)).slice(0, 400)}?user_id=${enc(user)}${dupQuery ? `&user_id=x&__proto__[polluted]=1&constructor[prototype][polluted]=1` : ""}`;
        await send("GET", path, hdrs);
      }),
      Math.round(RUNS / 2),
    );
  });

  test("raw paths and methods", { timeout: 60_000 }, async () => {
    await check(
      fc.asyncProperty(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"), fc.oneof(weirdString, endpoint), async (method, p) => {
        const path = "/" + enc(p).replaceAll("%2F", "/").slice(0, 500);
        await send(method, path, [["authorization", `Bearer ${KEY}`], ["content-type", "application/json"]], method === "GET" || method === "HEAD" ? undefined : "{}");
      }),
      Math.round(RUNS / 4),
    );
  });
});
