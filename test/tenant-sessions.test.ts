import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { keyDigest, keyId } from "../src/auth/api-key-set.js";
import { loadConfig } from "../src/config.js";
import { createService, type Service } from "../src/service.js";
import { NOOP_TURN, type TurnStart, type Tracing } from "../src/tracing/index.js";
import { postJson, startService, TEST_ENV, type RunningService } from "./support/start-service.js";
import { startPostgres, type PostgresServer } from "./support/postgres-server.js";
import { instantRouterGraph } from "./support/instant-router-graph.js";

// Sessions are namespaced by tenant (the API key) in every session store, and sessions written
// before the namespacing existed stay where their users expect them.

const KEY_A = "tenant-key-alpha-0123456789";
const KEY_B = "tenant-key-bravo-0123456789";
const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const idOf = (key: string) => keyId(keyDigest(key));

/**
 * Writes a session the way Switchboard did before sessions were namespaced by tenant: the
 * checkpoint thread id is the session id itself, the owner the user (prefixed with the key's id
 * when keys were on). It runs the real graph on the service's own checkpointer.
 */
async function writeLegacySession(
  svc: RunningService,
  sessionId: string,
  owner: string,
  message: string,
): Promise<void> {
  const graph = instantRouterGraph({ catalog: svc.service.catalog, checkpointer: svc.service.store.checkpointer });
  const turn = { userId: owner, sessionId, message, signal: new AbortController().signal, trace: NOOP_TURN };
  // Committed as a turn is, under the bare session id (where sessions lived before tenants).
  const sessions = graph.sessions;
  const pending = sessions.beginTurn(sessionId);
  const state = await graph.invoke(
    { input: message, owner },
    { configurable: { thread_id: sessionId, turn, ...pending.configurable() }, durability: "exit" },
  );
  await sessions.commit(pending, { ...state.turn! });
}

// A throwaway PostgreSQL of this file's own (test/support/postgres-server.ts provisions it).
let postgres: PostgresServer;
before(async () => {
  postgres = await startPostgres();
});
after(() => postgres?.stop());

const stores: [string, Record<string, string>][] = [
  ["memory", { SESSION_STORE: "memory" }],
  ["sqlite", { SESSION_STORE: "sqlite" }],
  ["postgres", { SESSION_STORE: "postgres" }],
];

for (const [store, storeEnv] of stores) {
  describe(`tenant-scoped sessions (SESSION_STORE=${store})`, () => {
    let dir: string;
    let keyed: RunningService;
    let open: RunningService;
    // Unique per run: the PostgreSQL database outlives the test.
    const run = randomUUID().slice(0, 8);
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "switchboard-tenant-"));
      const sqlite: Record<string, string> = store === "sqlite" ? { SESSION_DB_PATH: join(dir, "sessions.db") } : {};
      const env: Record<string, string> = store === "postgres" ? { ...storeEnv, DATABASE_URL: postgres.url } : storeEnv;
      keyed = await startService({ ...env, ...sqlite, API_KEYS: `${KEY_A},${KEY_B}` });
      // The same store, keys off; for memory a separate service (memory sessions are per process).
      open = await startService({ ...env, ...sqlite });
    });
    after(async () => {
      await keyed.close();
      await open.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const chat = (svc: RunningService, body: Record<string, unknown>, key?: string) =>
      postJson(`${svc.url}/api/v1/chat`, body, key ? auth(key) : {});
    const read = async (svc: RunningService, sid: string, user: string, key?: string) => {
      const res = await fetch(
        `${svc.url}/api/v1/sessions/${encodeURIComponent(sid)}?user_id=${encodeURIComponent(user)}`,
        { headers: key ? auth(key) : {} },
      );
      return { status: res.status, body: (await res.json()) as any };
    };

    test("one session id under two keys names two sessions", async () => {
      const sid = `both-keys-${run}`;
      assert.equal(
        (await chat(keyed, { message: "I was charged twice", user_id: "dave", session_id: sid }, KEY_B)).status,
        200,
      );
      const a = await chat(keyed, { message: "Where is my order?", user_id: "dave", session_id: sid }, KEY_A);
      assert.equal(a.status, 200, JSON.stringify(a.body));
      assert.deepEqual(
        (await read(keyed, sid, "dave", KEY_A)).body.turns.map((t: any) => t.user),
        ["Where is my order?"],
      );
      assert.deepEqual(
        (await read(keyed, sid, "dave", KEY_B)).body.turns.map((t: any) => t.user),
        ["I was charged twice"],
      );
    });

    test("a session made before the upgrade with keys off is still readable and continues", async () => {
      const sid = `legacy-open-${run}`;
      await writeLegacySession(open, sid, "carla", "Where is my order 77?");
      const before_ = await read(open, sid, "carla");
      assert.equal(before_.status, 200);
      assert.deepEqual(
        before_.body.turns.map((t: any) => t.user),
        ["Where is my order 77?"],
      );
      const next = await chat(open, { message: "and when will it arrive?", user_id: "carla", session_id: sid });
      assert.equal(next.status, 200);
      assert.equal(next.body.agent, "orders", "the stored context carries over");
      assert.equal((await read(open, sid, "carla")).body.turns.length, 2);
      assert.equal((await read(open, sid, "mallory")).status, 404);
    });

    test("a session made before the upgrade with a key stays its key's, and blocks no other key", async () => {
      const sid = `legacy-keyed-${run}`;
      await writeLegacySession(keyed, sid, `key:${idOf(KEY_A)}/gina`, "I was charged twice");
      assert.deepEqual(
        (await read(keyed, sid, "gina", KEY_A)).body.turns.map((t: any) => t.user),
        ["I was charged twice"],
      );
      assert.equal((await read(keyed, sid, "gina", KEY_B)).status, 404);
      const cont = await chat(keyed, { message: "ok, and now?", user_id: "gina", session_id: sid }, KEY_A);
      assert.equal(cont.body.agent, "billing");
      assert.equal((await read(keyed, sid, "gina", KEY_A)).body.turns.length, 2);
      const other = await chat(keyed, { message: "Where is my order?", user_id: "gina", session_id: sid }, KEY_B);
      assert.equal(other.status, 200, "key B gets a session of its own under the same id");
      assert.equal((await read(keyed, sid, "gina", KEY_B)).body.turns.length, 1);
      assert.equal((await read(keyed, sid, "gina", KEY_A)).body.turns.length, 2);
    });
  });
}

describe("the tenant is on every trace (finding 9)", () => {
  const started: TurnStart[] = [];
  const recording: Tracing = {
    startTurn(turn) {
      started.push(turn);
      return NOOP_TURN;
    },
    shutdown: async () => {},
  };
  const services: Service[] = [];
  const serve = async (env: Record<string, string>) => {
    const service = await createService(loadConfig({ ...TEST_ENV, ...env }), {
      logger: pino({ level: "silent" }),
      tracing: recording,
    });
    services.push(service);
    await service.app.listen({ port: 0, host: "127.0.0.1" });
    return `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`;
  };
  after(async () => {
    for (const s of services) await s.app.close();
  });

  test("the key's id (never the key) under keys, `none` without, on every endpoint", async () => {
    const keyedUrl = await serve({ API_KEYS: `${KEY_A},${KEY_B}` });
    const openUrl = await serve({});
    const body = { message: "Where is my order?", user_id: "same-user" };
    assert.equal((await postJson(`${keyedUrl}/api/v1/chat`, body, auth(KEY_A))).status, 200);
    assert.equal((await postJson(`${keyedUrl}/api/v1/chat`, body, auth(KEY_B))).status, 200);
    const stream = await fetch(`${keyedUrl}/api/v1/chat/stream`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth(KEY_B) },
      body: JSON.stringify(body),
    });
    await stream.text();
    const oai = await postJson(
      `${keyedUrl}/v1/chat/completions`,
      { model: "switchboard-router", user: "same-user", messages: [{ role: "user", content: "hi" }] },
      auth(KEY_A),
    );
    assert.equal(oai.status, 200);
    // A user id in any script is traced exactly as given.
    assert.equal((await postJson(`${openUrl}/api/v1/chat`, { ...body, user_id: "张三 😀" })).status, 200);

    assert.deepEqual(
      started.map((t) => [t.endpoint, t.userId, t.tenant]),
      [
        // With keys, traced ids carry the tenant (<key id>/<id>): Langfuse groups users by id alone.
        ["chat", `${idOf(KEY_A)}/same-user`, idOf(KEY_A)],
        ["chat", `${idOf(KEY_B)}/same-user`, idOf(KEY_B)],
        ["stream", `${idOf(KEY_B)}/same-user`, idOf(KEY_B)],
        ["openai", `${idOf(KEY_A)}/same-user`, idOf(KEY_A)],
        ["chat", "张三 😀", "none"],
      ],
    );
    assert.notEqual(idOf(KEY_A), idOf(KEY_B));
    const all = JSON.stringify(started);
    assert.ok(!all.includes(KEY_A) && !all.includes(KEY_B), "no key in what tracing receives");
    // The traced session id is the client-facing one, after the tenant when keys are on.
    assert.ok(
      started.every((t) => {
        const [prefix, session] = t.tenant === "none" ? ["", t.sessionId] : t.sessionId.split("/");
        return (t.tenant === "none" || prefix === t.tenant) && session !== undefined && !session.includes("/");
      }),
      JSON.stringify(started.map((t) => t.sessionId)),
    );
  });
});
