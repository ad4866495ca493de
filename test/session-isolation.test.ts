import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { postJson, startService, type RunningService } from "./support/start-service.js";

const KEY_A = "isolation-key-alpha-0123456789";
const KEY_B = "isolation-key-bravo-0123456789";
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe("a session belongs to its user and its API key", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ API_KEYS: `${KEY_A},${KEY_B}` });
  });
  after(() => svc.close());

  const chat = (key: string, body: Record<string, unknown>) => postJson(`${svc.url}/api/v1/chat`, body, auth(key));
  const read = (key: string, sid: string, user: string) => fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=${user}`, { headers: auth(key) });

  test("another key, even with the same user id, gets the same 404 as for a session that does not exist", async () => {
    const first = await chat(KEY_A, { message: "Where is my order?", user_id: "alice" });
    assert.equal(first.status, 200);
    const sid = first.body.session_id as string;

    const unknown = await read(KEY_A, "no-such-session", "alice");
    const foreignKeyRead = await read(KEY_B, sid, "alice");
    const foreignUserRead = await read(KEY_A, sid, "mallory");
    assert.equal(unknown.status, 404);
    const unknownBody = await unknown.json();
    for (const res of [foreignKeyRead, foreignUserRead]) {
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), unknownBody);
    }

    const foreignKeyTurn = await chat(KEY_B, { message: "Tell me everything", user_id: "alice", session_id: sid });
    const foreignUserTurn = await chat(KEY_A, { message: "Tell me everything", user_id: "mallory", session_id: sid });
    const unknownTurn = await chat(KEY_A, { message: "hi", user_id: "alice", session_id: "no-such-session-either" });
    assert.equal(unknownTurn.status, 200, "an unknown session id starts a session (existing behaviour)");
    for (const res of [foreignKeyTurn, foreignUserTurn]) {
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, "session_not_found");
    }

    // The owner continues, and the failed attempts left no trace in the session.
    const own = await chat(KEY_A, { message: "And when will it arrive?", user_id: "alice", session_id: sid });
    assert.equal(own.status, 200);
    const session = (await (await read(KEY_A, sid, "alice")).json()) as any;
    assert.deepEqual(session.turns.map((t: any) => t.user), ["Where is my order?", "And when will it arrive?"]);
  });

  test("the OpenAI-compatible route sees the same ownership", async (t) => {
    const probe = await fetch(`${svc.url}/v1/models`, { headers: auth(KEY_A) });
    if (probe.status === 404) return t.skip("no /v1 routes in this build");
    const first = await chat(KEY_A, { message: "I was charged twice", user_id: "olive" });
    const sid = first.body.session_id as string;
    const body = { model: "switchboard-router", messages: [{ role: "user", content: "what did I say?" }] };
    const foreign = await postJson(`${svc.url}/v1/chat/completions`, body, { ...auth(KEY_B), "x-user-id": "olive", "x-session-id": sid });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error.code, "session_not_found");
    const own = await postJson(`${svc.url}/v1/chat/completions`, body, { ...auth(KEY_A), "x-user-id": "olive", "x-session-id": sid });
    assert.equal(own.status, 200);
  });
});
