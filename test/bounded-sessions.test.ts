// A session's storage is bounded: whatever its length, it holds one LangGraph checkpoint (with
// the model's window of recent messages, not the whole history) plus one transcript row per
// turn; GET /api/v1/sessions/:id pages that transcript; a turn that fails or is abandoned writes
// nothing at all. On SQLite and on PostgreSQL, through the real service over HTTP.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { postJson, startService, type RunningService } from "./support/start-service.js";
import { startPostgres, type PostgresServer } from "./support/postgres-server.js";

/** What the database holds for one thread, table by table (rows and bytes). */
interface Footprint {
  checkpoints: number;
  writes: number;
  /** PostgreSQL's channel values; SQLite keeps them inside the checkpoint row. */
  blobs: number;
  /** Bytes of the thread's LangGraph rows (checkpoints, writes, blobs). */
  checkpointBytes: number;
  transcriptRows: number;
}

interface Backend {
  name: string;
  env(): Record<string, string>;
  footprint(threadId: string): Promise<Footprint>;
  close(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), "sb-bounded-"));
  const path = join(dir, "sessions.db");
  return {
    name: "sqlite",
    env: () => ({ SESSION_STORE: "sqlite", SESSION_DB_PATH: path }),
    async footprint(threadId) {
      const db = new Database(path, { readonly: true });
      try {
        const one = (sql: string) => (db.prepare(sql).get(threadId) as { n: number | null }).n ?? 0;
        const hasTranscript = db
          .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'switchboard_session_turns'")
          .get();
        return {
          checkpoints: one("SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = ?"),
          writes: one("SELECT COUNT(*) AS n FROM writes WHERE thread_id = ?"),
          blobs: 0,
          checkpointBytes:
            one("SELECT SUM(length(checkpoint) + length(metadata)) AS n FROM checkpoints WHERE thread_id = ?") +
            one("SELECT SUM(length(value)) AS n FROM writes WHERE thread_id = ?"),
          transcriptRows: hasTranscript
            ? one("SELECT COUNT(*) AS n FROM switchboard_session_turns WHERE thread_id = ?")
            : 0,
        };
      } finally {
        db.close();
      }
    },
    async close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBackend(server: () => PostgresServer): Backend {
  return {
    name: "postgres",
    env: () => ({ SESSION_STORE: "postgres", DATABASE_URL: server().url }),
    async footprint(threadId) {
      const client = new pg.Client({ connectionString: server().url });
      await client.connect();
      try {
        const one = async (sql: string) => Number((await client.query(sql, [threadId])).rows[0]?.n ?? 0);
        const hasTranscript = (await client.query("SELECT to_regclass('switchboard_session_turns') AS t")).rows[0]?.t;
        return {
          checkpoints: await one("SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = $1"),
          writes: await one("SELECT COUNT(*) AS n FROM checkpoint_writes WHERE thread_id = $1"),
          blobs: await one("SELECT COUNT(*) AS n FROM checkpoint_blobs WHERE thread_id = $1"),
          checkpointBytes:
            (await one("SELECT SUM(pg_column_size(c.*)) AS n FROM checkpoints c WHERE thread_id = $1")) +
            (await one("SELECT SUM(pg_column_size(b.*)) AS n FROM checkpoint_blobs b WHERE thread_id = $1")) +
            (await one("SELECT SUM(pg_column_size(w.*)) AS n FROM checkpoint_writes w WHERE thread_id = $1")),
          transcriptRows: hasTranscript
            ? await one("SELECT COUNT(*) AS n FROM switchboard_session_turns WHERE thread_id = $1")
            : 0,
        };
      } finally {
        await client.end();
      }
    },
    async close() {},
  };
}

let postgres: PostgresServer;
before(async () => {
  postgres = await startPostgres();
});
after(() => postgres?.stop());

const EMPTY: Footprint = { checkpoints: 0, writes: 0, blobs: 0, checkpointBytes: 0, transcriptRows: 0 };

for (const make of [sqliteBackend, () => postgresBackend(() => postgres)]) {
  const backend = make();
  describe(`bounded sessions (${backend.name})`, () => {
    let svc: RunningService;
    before(async () => {
      svc = await startService({ ...backend.env(), HISTORY_TURNS: "4" });
    });
    after(async () => {
      await svc?.close();
      await backend.close();
    });
    const chat = (body: Record<string, unknown>) => postJson(`${svc.url}/api/v1/chat`, body);
    const session = async (sid: string, query = "") => {
      const res = await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=bounded${query}`);
      return { status: res.status, body: (await res.json()) as any };
    };

    let sid: string;
    const TURNS = 30;
    const messages = Array.from({ length: TURNS }, (_, i) => `turn ${i + 1}: where is my order? ${"x".repeat(300)}`);

    test("30 turns: one checkpoint, no pending writes, and the checkpoint stops growing once the window is full", async () => {
      const sizes: number[] = [];
      for (const [i, message] of messages.entries()) {
        const res = await chat({ message, user_id: "bounded", session_id: sid });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        sid = res.body.session_id;
        const footprint = await backend.footprint(sid);
        assert.equal(footprint.checkpoints, 1, `after turn ${i + 1}: ${footprint.checkpoints} checkpoints kept`);
        assert.equal(footprint.writes, 0, `after turn ${i + 1}: pending writes kept`);
        sizes.push(footprint.checkpointBytes);
      }
      assert.equal((await backend.footprint(sid)).transcriptRows, TURNS, "one transcript row per turn");
      // The window is 4 turns: from turn 5 on, the checkpoint holds the same number of messages.
      const [at10, at30] = [sizes[9]!, sizes[29]!];
      assert.ok(at30 <= at10 * 1.1, `the checkpoint grew from ${at10} bytes at turn 10 to ${at30} at turn 30`);
      if (backend.name === "postgres") {
        const { blobs } = await backend.footprint(sid);
        assert.ok(blobs <= 16, `${blobs} channel blobs kept for one checkpoint`);
      }
    });

    test("GET /api/v1/sessions/:id pages the whole transcript, newest page first", async () => {
      const all = await session(sid);
      assert.equal(all.status, 200);
      assert.equal(all.body.turn_count, TURNS);
      assert.deepEqual(
        all.body.turns.map((t: any) => t.user),
        messages,
        "every turn is in the transcript, also those the model no longer sees",
      );
      assert.equal(all.body.next_before, null);
      assert.deepEqual(
        all.body.turns.map((t: any) => t.n),
        messages.map((_, i) => i + 1),
      );

      const last = await session(sid, "&limit=7");
      assert.deepEqual(
        last.body.turns.map((t: any) => t.n),
        [24, 25, 26, 27, 28, 29, 30],
      );
      assert.equal(last.body.next_before, 24);
      const older = await session(sid, `&limit=7&before=${last.body.next_before}`);
      assert.deepEqual(
        older.body.turns.map((t: any) => t.n),
        [17, 18, 19, 20, 21, 22, 23],
      );
      const first = await session(sid, "&limit=7&before=3");
      assert.deepEqual(
        first.body.turns.map((t: any) => t.user),
        messages.slice(0, 2),
      );
      assert.equal(first.body.next_before, null);
      assert.equal(first.body.turn_count, TURNS);
    });

    test("bad paging parameters are a 400 naming the parameter; nothing stored changes", async () => {
      for (const [query, field] of [
        ["&limit=0", "limit"],
        ["&limit=abc", "limit"],
        ["&limit=501", "limit"],
        ["&limit=1.5", "limit"],
        ["&limit=5&limit=6", "limit"],
        ["&before=0", "before"],
        ["&before=-3", "before"],
        ["&before=", "before"],
        ["&before=9999999999999999999999", "before"],
      ] as const) {
        const res = await session(sid, query);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.error.code, "invalid_request", query);
        assert.equal(res.body.error.field, field, query);
      }
      assert.equal((await session(sid)).body.turn_count, TURNS);
    });

    test("a turn that fails (the model times out) writes nothing, on a new session or a continued one", async () => {
      const slow = await startService({ ...backend.env(), SIM_TTFT_MS: "2000", TURN_TIMEOUT_MS: "150" });
      try {
        const fresh = await postJson(`${slow.url}/api/v1/chat`, {
          message: "this turn will time out",
          user_id: "bounded",
          session_id: "bounded-failed-new",
        });
        assert.equal(fresh.status, 503);
        assert.deepEqual(await backend.footprint("bounded-failed-new"), EMPTY, "a failed first turn left a session");
        const before = await backend.footprint(sid);
        const continued = await postJson(`${slow.url}/api/v1/chat`, {
          message: "so will this one",
          user_id: "bounded",
          session_id: sid,
        });
        assert.equal(continued.status, 503);
        assert.deepEqual(await backend.footprint(sid), before);
      } finally {
        await slow.close();
      }
      assert.equal((await session(sid)).body.turn_count, TURNS);
    });

    test("a streamed turn whose client leaves writes nothing", async () => {
      const slow = await startService({
        ...backend.env(),
        SIM_TTFT_MS: "0",
        SIM_TOKEN_MS: "40",
        SIM_REPLY_TOKENS: "400",
      });
      try {
        const controller = new AbortController();
        const res = await fetch(`${slow.url}/api/v1/chat/stream`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: "Where is my order?", user_id: "bounded", session_id: "bounded-left" }),
          signal: controller.signal,
        });
        const reader = res.body!.getReader();
        assert.match(new TextDecoder().decode((await reader.read()).value), /event: token/);
        controller.abort();
        for (let i = 0; i < 200 && slow.service.chat.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(slow.service.chat.inFlight, 0);
        assert.deepEqual(await backend.footprint("bounded-left"), EMPTY, "an abandoned first turn left a session");
      } finally {
        await slow.close();
      }
    });
  });
}
