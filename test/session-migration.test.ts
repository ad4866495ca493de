// A session database written by the version before bounded sessions (every checkpoint kept, the
// whole history in each: `messages` and `turns`; threads left by failed turns) is migrated when
// the service starts: one checkpoint per session holding the model's window, every turn in the
// transcript, orphan threads gone, and the sessions continue. On SQLite and PostgreSQL.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import {
  Annotation,
  END,
  START,
  StateGraph,
  messagesStateReducer,
  type BaseCheckpointSaver,
} from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import Database from "better-sqlite3";
import pg from "pg";
import { postJson, startService } from "./support/start-service.js";
import { startPostgres, type PostgresServer } from "./support/postgres-server.js";

/** The session state as the previous version declared it: the whole history in two channels. */
const LegacyState = Annotation.Root({
  messages: Annotation<BaseMessage[]>({ reducer: messagesStateReducer, default: () => [] }),
  turns: Annotation<Record<string, unknown>[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  current_intent: Annotation<string | null>({ reducer: (_a, b) => b, default: () => null }),
  current_agent: Annotation<string | null>({ reducer: (_a, b) => b, default: () => null }),
  owner: Annotation<string | null>({ reducer: (a, b) => a ?? b, default: () => null }),
  input: Annotation<string>({ reducer: (_a, b) => b, default: () => "" }),
  route: Annotation<unknown>({ reducer: (_a, b) => b, default: () => null }),
});

/** Writes sessions as the previous version did: one run per turn, `durability: "exit"`, every checkpoint kept. */
function legacyWriter(saver: BaseCheckpointSaver) {
  let fail = false;
  const graph = new StateGraph(LegacyState)
    .addNode("agent_orders", async (state) => {
      if (fail) throw new Error("model down");
      const reply = `Orders desk here. About "${state.input}".`;
      return {
        messages: [new HumanMessage(state.input), new AIMessage(reply)],
        turns: [
          {
            user: state.input,
            reply,
            intent: "order_status",
            agent: "orders",
            clarification: false,
            at: new Date().toISOString(),
          },
        ],
        current_intent: "order_status",
        current_agent: "orders",
        route: null,
      };
    })
    .addEdge(START, "agent_orders")
    .addEdge("agent_orders", END)
    .compile({ checkpointer: saver });
  return {
    turn: (threadId: string, owner: string, input: string) =>
      graph.invoke({ input, owner }, { configurable: { thread_id: threadId }, durability: "exit" }),
    /** A turn that fails: the previous version still wrote a checkpoint holding its input. */
    failedTurn: async (threadId: string, owner: string, input: string) => {
      fail = true;
      try {
        await graph.invoke({ input, owner }, { configurable: { thread_id: threadId }, durability: "exit" });
      } catch {}
      fail = false;
    },
  };
}

const TURNS = 14;
const WINDOW = 4;
const messages = Array.from({ length: TURNS }, (_, i) => `legacy turn ${i + 1}: where is my order? ${"z".repeat(400)}`);

interface Place {
  env: Record<string, string>;
  legacySaver(): Promise<{ saver: BaseCheckpointSaver; close(): Promise<void> }>;
  count(sql: string, threadId: string): Promise<number>;
}

async function checkMigration(place: Place) {
  const { saver, close } = await place.legacySaver();
  try {
    const writer = legacyWriter(saver);
    for (const m of messages) await writer.turn("legacy-long", "migrant", m);
    await writer.turn("legacy-short", "migrant", "Where is my order 5?");
    await writer.failedTurn("legacy-orphan", "migrant", "a message of a turn that never happened");
  } finally {
    await close();
  }
  assert.equal(await place.count("SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = $1", "legacy-long"), TURNS);
  assert.equal(await place.count("SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = $1", "legacy-orphan"), 1);

  const svc = await startService({ ...place.env, HISTORY_TURNS: String(WINDOW) });
  try {
    for (const thread of ["legacy-long", "legacy-short"])
      assert.equal(await place.count("SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = $1", thread), 1, thread);
    assert.equal(
      await place.count("SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = $1", "legacy-orphan"),
      0,
      "the thread of a failed turn is gone",
    );
    const read = async (sid: string) =>
      (await (await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=migrant`)).json()) as any;
    const long = await read("legacy-long");
    assert.equal(long.turn_count, TURNS);
    assert.deepEqual(
      long.turns.map((t: any) => [t.n, t.user]),
      messages.map((m, i) => [i + 1, m]),
    );
    assert.equal((await fetch(`${svc.url}/api/v1/sessions/legacy-orphan?user_id=migrant`)).status, 404);

    // The checkpoint keeps the window only; the session continues from it.
    const tuple = await svc.service.store.checkpointer.getTuple({ configurable: { thread_id: "legacy-long" } });
    const window = tuple?.checkpoint.channel_values["messages"] as BaseMessage[];
    assert.deepEqual(
      window.map((m) => m.content),
      messages.slice(-WINDOW).flatMap((m) => [m, `Orders desk here. About "${m}".`]),
    );
    assert.ok(!("turns" in (tuple?.checkpoint.channel_values ?? {})), "the history left the checkpoint");
    const next = await postJson(`${svc.url}/api/v1/chat`, {
      message: "and when will it arrive?",
      user_id: "migrant",
      session_id: "legacy-long",
    });
    assert.equal(next.status, 200);
    assert.equal(next.body.agent, "orders", "the session's agent carried over");
    const after = await read("legacy-long");
    assert.equal(after.turn_count, TURNS + 1);
    assert.equal(after.turns.at(-1).user, "and when will it arrive?");
    assert.equal((await fetch(`${svc.url}/api/v1/sessions/legacy-long?user_id=mallory`)).status, 404);
  } finally {
    await svc.close();
  }
  // A second start finds nothing more to do and loses nothing.
  const again = await startService({ ...place.env, HISTORY_TURNS: String(WINDOW) });
  try {
    const res = (await (await fetch(`${again.url}/api/v1/sessions/legacy-short?user_id=migrant`)).json()) as any;
    assert.deepEqual(
      res.turns.map((t: any) => t.user),
      ["Where is my order 5?"],
    );
  } finally {
    await again.close();
  }
}

describe("migrating a database of the previous version", () => {
  let postgres: PostgresServer;
  before(async () => {
    postgres = await startPostgres();
  });
  after(() => postgres?.stop());

  test("SQLite: migrated at start, and the file gives the old history's space back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-migrate-"));
    const path = join(dir, "sessions.db");
    try {
      let legacyBytes = 0;
      await checkMigration({
        env: { SESSION_STORE: "sqlite", SESSION_DB_PATH: path },
        async legacySaver() {
          const saver = SqliteSaver.fromConnString(path);
          return {
            saver,
            async close() {
              saver.db.pragma("wal_checkpoint(TRUNCATE)");
              saver.db.close();
              legacyBytes = statSync(path).size;
            },
          };
        },
        async count(sql, threadId) {
          const db = new Database(path, { readonly: true });
          try {
            return (db.prepare(sql.replace("$1", "?")).get(threadId) as { n: number }).n;
          } finally {
            db.close();
          }
        },
      });
      assert.ok(legacyBytes > 0);
      assert.ok(
        statSync(path).size < legacyBytes / 2,
        `the file is ${statSync(path).size} bytes after the migration, ${legacyBytes} before`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("PostgreSQL: migrated at start; older checkpoints, their channel values and the history's blobs are gone", async () => {
    await checkMigration({
      env: { SESSION_STORE: "postgres", DATABASE_URL: postgres.url },
      async legacySaver() {
        const saver = PostgresSaver.fromConnString(postgres.url);
        await saver.setup();
        return { saver, close: () => saver.end() };
      },
      async count(sql, threadId) {
        const client = new pg.Client({ connectionString: postgres.url });
        await client.connect();
        try {
          return Number((await client.query(sql, [threadId])).rows[0].n);
        } finally {
          await client.end();
        }
      },
    });
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT channel, COUNT(*) AS n FROM checkpoint_blobs WHERE thread_id = 'legacy-long' GROUP BY channel",
      );
      const perChannel = Object.fromEntries(rows.map((r) => [r.channel, Number(r.n)]));
      assert.equal(perChannel["turns"], undefined, "the legacy transcript blob is gone");
      assert.equal(perChannel["messages"], 1, "one version of the window is kept");
    } finally {
      await client.end();
    }
  });
});
