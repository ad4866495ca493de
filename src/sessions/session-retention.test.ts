// The retention sweep of each session store (memory, SQLite, PostgreSQL): sessions idle since
// before the cutoff are deleted whole, oldest first, within the sweep's budget; newer sessions
// and sessions with a turn running are left alone.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { ChatMetrics } from "../chat/chat-metrics.js";
import { ChatService } from "../chat/chat-service.js";
import { NOOP_TRACING } from "../tracing/index.js";
import { createSessionStore } from "./create-session-store.js";
import type { SessionStore, SessionStoreOptions } from "./session-store.js";
import { instantRouterGraph } from "../../test/support/instant-router-graph.js";
import { startPostgres, type PostgresServer } from "../../test/support/postgres-server.js";

const dir = mkdtempSync(join(tmpdir(), "sb-retention-"));
let postgres: PostgresServer;
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const kinds: [string, () => SessionStoreOptions][] = [
  ["memory", () => ({ kind: "memory", path: "", windowTurns: 10 })],
  ["sqlite", () => ({ kind: "sqlite", path: join(dir, `sessions-${Math.random()}.db`), windowTurns: 10 })],
  ["postgres", () => ({ kind: "postgres", path: "", databaseUrl: postgres.url, windowTurns: 10 })],
];

for (const [kind, options] of kinds) {
  describe(`${kind} session store: the retention sweep`, () => {
    let store: SessionStore;
    let chat: ChatService;
    before(async () => {
      store = createSessionStore(options());
      await store.init();
      const graph = instantRouterGraph({ checkpointer: store.checkpointer });
      chat = new ChatService({
        graph,
        tracing: NOOP_TRACING,
        metrics: new ChatMetrics(new Registry()),
        turnTimeoutMs: 10_000,
        sessionLock: store.withSessionLock,
      });
    });
    after(() => store?.close());

    const session = async (sid: string, turns: number) => {
      for (let i = 0; i < turns; i++)
        await chat.runTurn({ userId: "keeper", sessionId: sid, message: `Where is my order ${i}?`, endpoint: "chat" });
    };
    const exists = (sid: string) =>
      chat.getSession(sid, "keeper").then(
        () => true,
        (err: { code?: string }) => (err.code === "session_not_found" ? false : Promise.reject(err)),
      );

    it("deletes sessions idle since the cutoff, oldest first, within the budget; never a newer or a busy one", async () => {
      const run = `${kind}-${Date.now()}`;
      await session(`old-a-${run}`, 3);
      await sleep(10);
      await session(`old-b-${run}`, 3);
      await sleep(10);
      await session(`old-busy-${run}`, 1);
      await sleep(20);
      const cutoff = Date.now();
      await sleep(20);
      await session(`new-${run}`, 2);

      // A turn is running on old-busy: the sweep leaves it.
      const busy = store.checkpointer.beginTurn(`old-busy-${run}`);
      // Budget 4 turns: old-a (3) fits, old-b would pass it.
      assert.deepEqual(await store.sweep(cutoff, 4), { sessions: 1, turns: 3 });
      assert.equal(await exists(`old-a-${run}`), false);
      assert.equal(await exists(`old-b-${run}`), true);
      assert.deepEqual(await store.sweep(cutoff, 4), { sessions: 1, turns: 3 });
      assert.equal(await exists(`old-b-${run}`), false);
      assert.equal(await exists(`old-busy-${run}`), true, "the session with a turn running was swept");
      store.checkpointer.abandon(busy);
      assert.deepEqual(await store.sweep(cutoff, 4), { sessions: 1, turns: 1 });
      assert.equal(await exists(`old-busy-${run}`), false);
      assert.deepEqual(await store.sweep(cutoff, 4), { sessions: 0, turns: 0 });
      assert.equal(await exists(`new-${run}`), true);
      // Nothing of a swept session is left to read: its checkpoint is gone too.
      const tuple = await store.checkpointer.getTuple({ configurable: { thread_id: `old-a-${run}` } });
      assert.equal(tuple, undefined);
      // An id whose session was swept starts afresh.
      await session(`old-a-${run}`, 1);
      const fresh = await chat.getSession(`old-a-${run}`, "keeper");
      assert.deepEqual([fresh.turn_count, fresh.turns[0]?.n], [1, 1]);
    });
  });
}
