import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { keyDigest, keyId } from "../src/auth/api-key-set.js";
import { postJson, startService, type RunningService } from "./support/start-service.js";
import { startReceiver, tracedEnv, waitFor, type Receiver } from "./support/tracing-helpers.js";
import { listObservations } from "./support/observations-api.js";
import { DEV_KEY_PAIR } from "../src/receiver/basic-auth.js";

// Issue 22, findings 4, 5 and 7: who a turn belongs to. Reserved session ids cannot be squatted,
// traces keep tenants apart, and user ids follow one rule on every endpoint.

const KEY_A = "identity-key-alpha-0123456789";
const KEY_B = "identity-key-bravo-0123456789";
const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const tenantOf = (key: string) => keyId(keyDigest(key));
const OAI = { model: "switchboard-router" };
const ask = (text = "Where is my order?") => ({ ...OAI, messages: [{ role: "user", content: text }] });

describe("reserved session ids (openai:, openai-sha256:)", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ API_KEYS: `${KEY_A},${KEY_B}` });
  });
  after(() => svc.close());

  test("a native turn cannot take the running session of another user, and learns nothing about it", async () => {
    // victim has a running session on the OpenAI endpoints...
    const first = await postJson(`${svc.url}/v1/chat/completions`, { ...ask(), user: "victim" }, auth(KEY_A));
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("x-session-id"), "openai:victim");
    // ...and mallory cannot write into it, nor tell it from one that does not exist.
    for (const session_id of ["openai:victim", "openai:nobody-yet", "openai-sha256:" + "ab".repeat(32)]) {
      for (const path of ["/api/v1/chat", "/api/v1/chat/stream"]) {
        const res = await postJson(
          `${svc.url}${path}`,
          { message: "hello", user_id: "mallory", session_id },
          auth(KEY_A),
        );
        assert.equal(res.status, 400, `${path} ${session_id}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.field, "session_id");
        assert.match(res.body.error.message, /reserved/);
      }
    }
    // The OpenAI endpoints' X-Session-Id is a client-chosen id too.
    const header = await postJson(
      `${svc.url}/v1/chat/completions`,
      { ...ask(), user: "mallory" },
      { ...auth(KEY_A), "x-session-id": "openai:victim" },
    );
    assert.equal(header.status, 400, JSON.stringify(header.body));
    assert.equal(header.body.error.param, "x-session-id");
    // X-User-Id names the turn's user: its running session is that user's, not the `user` field's.
    const asBob = await postJson(
      `${svc.url}/v1/chat/completions`,
      { ...ask(), user: "victim" },
      { ...auth(KEY_A), "x-user-id": "bob" },
    );
    assert.equal(asBob.status, 200, JSON.stringify(asBob.body));
    assert.equal(asBob.headers.get("x-session-id"), "openai:bob");
    // victim still has their session, with both turns and nobody else's.
    const again = await postJson(
      `${svc.url}/v1/chat/completions`,
      { ...ask("And my refund?"), user: "victim" },
      auth(KEY_A),
    );
    assert.equal(again.status, 200, JSON.stringify(again.body));
    const read = await fetch(`${svc.url}/api/v1/sessions/openai:victim?user_id=victim`, { headers: auth(KEY_A) });
    assert.equal(read.status, 200);
    assert.deepEqual(
      ((await read.json()) as any).turns.map((t: any) => t.user),
      ["Where is my order?", "And my refund?"],
    );
  });

  test("a user may continue their own running session by its id, on either API", async () => {
    const own = await postJson(
      `${svc.url}/api/v1/chat`,
      { message: "Where is my order?", user_id: "carol", session_id: "openai:carol" },
      auth(KEY_A),
    );
    assert.equal(own.status, 200, JSON.stringify(own.body));
    const hashed = await postJson(`${svc.url}/v1/chat/completions`, { ...ask(), user: "张三" }, auth(KEY_A));
    const sid = hashed.headers.get("x-session-id")!;
    assert.match(sid, /^openai-sha256:[0-9a-f]{64}$/);
    const native = await postJson(
      `${svc.url}/api/v1/chat`,
      { message: "还有退款吗?", user_id: "张三", session_id: sid },
      auth(KEY_A),
    );
    assert.equal(native.status, 200, JSON.stringify(native.body));
  });
});

describe("user ids: one rule on every endpoint", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({});
  });
  after(() => svc.close());

  // Controls, bidi controls and characters that are invisible or not characters at all: an id
  // holding one can look like another (ali\u200bce is not alice) or rewrite a log line.
  const refused = [
    "ali\u200bce",
    "\ufeffalice",
    "ali\u00adce",
    "ali\u2060ce",
    "alice\uffff",
    "alice\ufffe",
    "al\u0000ice",
    "al\u001bice",
    "al\nice",
    "al\rice",
    "alice\u202e",
    "alice\u2066",
    "al\u200eice",
    "\u3164",
    "al\u034fice",
    "alice\u0085",
    "alice\u2028",
  ];
  // Real names and emoji (joiners and variation selectors inside emoji are part of them).
  const accepted = ["alice", "张三", "Zoë", "👨‍👩‍👧", "❤️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "María José", "carol@example.com", "नमस्ते"];

  test("refused with a 400 naming the user field, on the native and the OpenAI endpoints", async () => {
    for (const user of refused) {
      const what = JSON.stringify(user);
      const native = await postJson(`${svc.url}/api/v1/chat`, { message: "hi", user_id: user });
      assert.equal(native.status, 400, `${what}: ${JSON.stringify(native.body)}`);
      assert.equal(native.body.error.field, "user_id", what);
      assert.match(native.body.error.message, /^user_id must not contain/, what);
      const read = await fetch(`${svc.url}/api/v1/sessions/x?user_id=${encodeURIComponent(user)}`);
      assert.equal(read.status, 400, what);
      for (const path of ["/v1/chat/completions", "/v1/responses"]) {
        const body = path === "/v1/responses" ? { ...OAI, input: "hi", user } : { ...ask(), user };
        const res = await postJson(`${svc.url}${path}`, body);
        assert.equal(res.status, 400, `${path} ${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.param, "user", what);
        assert.match(res.body.error.message, /must not contain/, what);
      }
    }
  });

  test("accepted as given everywhere", async () => {
    for (const user of accepted) {
      const native = await postJson(`${svc.url}/api/v1/chat`, { message: "hi", user_id: user });
      assert.equal(native.status, 200, `${JSON.stringify(user)}: ${JSON.stringify(native.body)}`);
      const oai = await postJson(`${svc.url}/v1/chat/completions`, { ...ask(), user });
      assert.equal(oai.status, 200, `${JSON.stringify(user)}: ${JSON.stringify(oai.body)}`);
    }
  });
});

describe("traces keep tenants apart", () => {
  let receiver: Receiver;
  let svc: RunningService;
  before(async () => {
    receiver = await startReceiver({ port: 0, dbPath: ":memory:", keys: [DEV_KEY_PAIR] });
    svc = await startService({ ...tracedEnv(receiver), API_KEYS: `${KEY_A},${KEY_B}` });
  });
  after(async () => {
    await svc.close();
    await receiver.close();
  });

  test("the same user under two keys is two Langfuse users and two sessions; the format is <tenant>/<id>", async () => {
    const a = await postJson(`${svc.url}/v1/chat/completions`, { ...ask(), user: "carol" }, auth(KEY_A));
    const b = await postJson(`${svc.url}/v1/chat/completions`, { ...ask(), user: "carol" }, auth(KEY_B));
    const native = await postJson(
      `${svc.url}/api/v1/chat`,
      { message: "Where is my order?", user_id: "carol", session_id: "shared-id" },
      auth(KEY_A),
    );
    assert.deepEqual([a.status, b.status, native.status], [200, 200, 200]);
    const expected = [
      {
        traceId: a.body.switchboard.trace_id,
        user: `${tenantOf(KEY_A)}/carol`,
        session: `${tenantOf(KEY_A)}/openai:carol`,
      },
      {
        traceId: b.body.switchboard.trace_id,
        user: `${tenantOf(KEY_B)}/carol`,
        session: `${tenantOf(KEY_B)}/openai:carol`,
      },
      { traceId: native.body.trace_id, user: `${tenantOf(KEY_A)}/carol`, session: `${tenantOf(KEY_A)}/shared-id` },
    ];
    for (const { traceId, user, session } of expected) {
      assert.match(traceId, /^[0-9a-f]{32}$/);
      const rows = await waitFor(`the rows of ${traceId}`, async () => {
        const found = await listObservations(receiver.url, DEV_KEY_PAIR, { traceId });
        return found.length >= 5 ? found : undefined;
      });
      for (const row of rows) {
        assert.equal(row.userId, user, `${row.name}`);
        assert.equal(row.sessionId, session, `${row.name}`);
      }
    }
    // Langfuse's user view: one "carol" per tenant, never one for both.
    const carolA = await listObservations(receiver.url, DEV_KEY_PAIR, { userId: `${tenantOf(KEY_A)}/carol` });
    const carolB = await listObservations(receiver.url, DEV_KEY_PAIR, { userId: `${tenantOf(KEY_B)}/carol` });
    assert.equal(new Set(carolA.map((r) => r.traceId)).size, 2);
    assert.equal(new Set(carolB.map((r) => r.traceId)).size, 1);
    assert.equal((await listObservations(receiver.url, DEV_KEY_PAIR, { userId: "carol" })).length, 0);
  });

  test("without keys, ids are traced as given", async () => {
    const open = await startService(tracedEnv(receiver));
    try {
      const res = await postJson(`${open.url}/api/v1/chat`, { message: "Where is my order?", user_id: "dave" });
      assert.equal(res.status, 200);
      const rows = await waitFor("the turn's rows", async () => {
        const found = await listObservations(receiver.url, DEV_KEY_PAIR, { traceId: res.body.trace_id });
        return found.length >= 5 ? found : undefined;
      });
      assert.ok(rows.every((r) => r.userId === "dave" && r.sessionId === res.body.session_id));
    } finally {
      await open.close();
    }
  });
});
