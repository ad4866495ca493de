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
  const read = (key: string, sid: string, user: string) =>
    fetch(`${svc.url}/api/v1/sessions/${encodeURIComponent(sid)}?user_id=${encodeURIComponent(user)}`, {
      headers: auth(key),
    });
  const completion = (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    postJson(`${svc.url}/v1/chat/completions`, { model: "switchboard-router", ...body }, { ...auth(key), ...headers });
  const turnsOf = async (key: string, sid: string, user: string) => {
    const res = await read(key, sid, user);
    assert.equal(res.status, 200, `read ${sid} as ${user}`);
    return ((await res.json()) as any).turns.map((t: any) => t.user) as string[];
  };

  test("another user under the same key gets the same 404 as for a session that does not exist", async () => {
    const first = await chat(KEY_A, { message: "Where is my order?", user_id: "alice" });
    assert.equal(first.status, 200);
    const sid = first.body.session_id as string;

    const unknown = await read(KEY_A, "no-such-session", "alice");
    const foreignUserRead = await read(KEY_A, sid, "mallory");
    assert.equal(unknown.status, 404);
    assert.equal(foreignUserRead.status, 404);
    assert.deepEqual(await foreignUserRead.json(), await unknown.json());

    const foreignUserTurn = await chat(KEY_A, { message: "Tell me everything", user_id: "mallory", session_id: sid });
    assert.equal(foreignUserTurn.status, 404);
    assert.equal(foreignUserTurn.body.error.code, "session_not_found");

    // The owner continues, and the failed attempt left no trace in the session.
    const own = await chat(KEY_A, { message: "And when will it arrive?", user_id: "alice", session_id: sid });
    assert.equal(own.status, 200);
    assert.deepEqual(await turnsOf(KEY_A, sid, "alice"), ["Where is my order?", "And when will it arrive?"]);
  });

  test("another key never reaches a session: reading it is the 404 of an unknown id, a turn starts its own session", async () => {
    const first = await chat(KEY_A, { message: "Where is my order?", user_id: "alice" });
    const sid = first.body.session_id as string;

    const foreignKeyRead = await read(KEY_B, sid, "alice");
    const unknownRead = await read(KEY_B, "never-used-anywhere", "alice");
    assert.equal(foreignKeyRead.status, 404);
    assert.deepEqual(await foreignKeyRead.json(), await unknownRead.json());

    // Key B using A's id (same user id, even) gets a session of its own under that id.
    const foreignKeyTurn = await chat(KEY_B, { message: "Tell me everything", user_id: "alice", session_id: sid });
    assert.equal(foreignKeyTurn.status, 200);
    assert.equal(foreignKeyTurn.body.session_id, sid);
    assert.deepEqual(await turnsOf(KEY_B, sid, "alice"), ["Tell me everything"]);
    assert.deepEqual(await turnsOf(KEY_A, sid, "alice"), ["Where is my order?"], "A's session is untouched");
  });

  test("a session id taken first by another key does not lock its owner out (finding 1, native API)", async () => {
    const sid = "shared-looking-id-42";
    const squat = await chat(KEY_B, { message: "I got here first", user_id: "dave" });
    assert.equal(squat.status, 200);
    const bFirst = await chat(KEY_B, { message: "I got here first", user_id: "dave", session_id: sid });
    assert.equal(bFirst.status, 200);
    const aLater = await chat(KEY_A, { message: "Where is my order?", user_id: "dave", session_id: sid });
    assert.equal(aLater.status, 200, JSON.stringify(aLater.body));
    assert.equal(aLater.body.session_id, sid);
    assert.deepEqual(await turnsOf(KEY_A, sid, "dave"), ["Where is my order?"]);
    assert.deepEqual(await turnsOf(KEY_B, sid, "dave"), ["I got here first"]);
  });

  test("OpenAI `user` under another key does not lock the same user out (finding 1, /v1)", async () => {
    const messages = (content: string) => [{ role: "user", content }];
    const squat = await completion(KEY_B, { user: "dave-oai", messages: messages("I was charged twice") });
    assert.equal(squat.status, 200);
    assert.equal(squat.headers.get("x-session-id"), "openai:dave-oai");
    const owner = await completion(KEY_A, { user: "dave-oai", messages: messages("Where is my order?") });
    assert.equal(owner.status, 200, JSON.stringify(owner.body));
    assert.equal(owner.body.switchboard.agent, "orders");
    const again = await completion(KEY_A, { user: "dave-oai", messages: messages("and when will it arrive?") });
    assert.equal(again.status, 200);
    assert.deepEqual(await turnsOf(KEY_A, "openai:dave-oai", "dave-oai"), [
      "Where is my order?",
      "and when will it arrive?",
    ]);
    assert.deepEqual(await turnsOf(KEY_B, "openai:dave-oai", "dave-oai"), ["I was charged twice"]);
  });

  test("no answer tells a key whether an id or user name exists under another key", async () => {
    const taken = await chat(KEY_A, { message: "Where is my order?", user_id: "erin", session_id: "erin-private-1" });
    assert.equal(taken.status, 200);
    const probe = async (sid: string, user: string) => {
      const res = await read(KEY_B, sid, user);
      const readAnswer = { status: res.status, body: await res.json() };
      const turn = await chat(KEY_B, { message: "hello?", user_id: user, session_id: sid });
      return { readAnswer, turn: turn.status, turnKeys: Object.keys(turn.body).sort() };
    };
    // Probing A's existing id and user answers exactly as probing ids nobody has used.
    assert.deepEqual(await probe("erin-private-1", "erin"), await probe("fresh-id-never-used", "erin"));
    // The probes created nothing under A.
    assert.deepEqual(await turnsOf(KEY_A, "erin-private-1", "erin"), ["Where is my order?"]);
  });

  test("the OpenAI-compatible route sees the same ownership", async () => {
    const models = await fetch(`${svc.url}/v1/models`, { headers: auth(KEY_A) });
    assert.equal(models.status, 200, "the /v1 routes are part of the service");
    const first = await chat(KEY_A, { message: "I was charged twice", user_id: "olive" });
    const sid = first.body.session_id as string;
    const body = { messages: [{ role: "user", content: "what did I say?" }] };
    // Another user under the same key: 404, as on the native API.
    const foreignUser = await completion(KEY_A, body, { "x-user-id": "mallory", "x-session-id": sid });
    assert.equal(foreignUser.status, 404);
    assert.equal(foreignUser.body.error.code, "session_not_found");
    // Another key: its own, new session under that id; A's session is untouched.
    const foreignKey = await completion(KEY_B, body, { "x-user-id": "olive", "x-session-id": sid });
    assert.equal(foreignKey.status, 200);
    const own = await completion(KEY_A, body, { "x-user-id": "olive", "x-session-id": sid });
    assert.equal(own.status, 200);
    assert.deepEqual(await turnsOf(KEY_A, sid, "olive"), ["I was charged twice", "what did I say?"]);
  });
});
