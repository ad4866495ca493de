import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import type { BaseMessage } from "@langchain/core/messages";
import { withAdvisoryLock } from "../src/sessions/pg-advisory-lock.js";
import { postJson, startService } from "./support/start-service.js";
import { spawnService, type SpawnedService } from "./support/spawn-service.js";
import { startPostgres, type PostgresServer } from "./support/postgres-server.js";

// A real PostgreSQL server of our own for this file, thrown away after it.
let postgres: PostgresServer;
let DATABASE_URL: string;
before(async () => {
  postgres = await startPostgres();
  DATABASE_URL = postgres.url;
});
after(() => postgres?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("SESSION_STORE=postgres", () => {
  test("tables are created at start; a session survives a restart; /readyz checks the database", async () => {
    const env = { SESSION_STORE: "postgres", DATABASE_URL };
    const first = await startService(env);
    let sid: string;
    try {
      const a = await postJson(`${first.url}/api/v1/chat`, { message: "Where is my order?", user_id: "pg-alice" });
      assert.equal(a.status, 200);
      sid = a.body.session_id;
      assert.equal((await fetch(`${first.url}/readyz`)).status, 200);
    } finally {
      await first.close();
    }
    const second = await startService(env);
    try {
      const b = await postJson(`${second.url}/api/v1/chat`, {
        message: "I also want a refund",
        user_id: "pg-alice",
        session_id: sid,
      });
      assert.equal(b.status, 200);
      const session = (await (await fetch(`${second.url}/api/v1/sessions/${sid}?user_id=pg-alice`)).json()) as any;
      assert.deepEqual(
        session.turns.map((t: any) => t.user),
        ["Where is my order?", "I also want a refund"],
      );
      assert.equal((await fetch(`${second.url}/api/v1/sessions/${sid}?user_id=pg-mallory`)).status, 404);
    } finally {
      await second.close();
    }
  });

  test("the advisory lock excludes a second holder on another connection and is released on error", async () => {
    const a = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    const b = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    try {
      const order: string[] = [];
      const key = `lock-test-${Date.now()}`;
      let holding!: () => void;
      const held = new Promise<void>((r) => (holding = r));
      const first = withAdvisoryLock(a, key, async () => {
        order.push("a-start");
        holding();
        await sleep(150);
        order.push("a-end");
        throw new Error("turn failed");
      });
      // The second holder asks once the first holds the lock (connecting can take longer than any
      // fixed head start on a busy machine).
      await held;
      const second = withAdvisoryLock(b, key, async () => {
        order.push("b");
      });
      await assert.rejects(first, /turn failed/);
      await second;
      assert.deepEqual(order, ["a-start", "a-end", "b"]);
      // Nothing is left held: a fresh connection gets the lock at once.
      const { rows } = await a.query("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [key]);
      assert.equal(rows[0].ok, true);
      await a.query("SELECT pg_advisory_unlock_all()");
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });
});

test("two instances starting at once against an empty database both start (the schema setup is serialized)", async () => {
  const fresh = await startPostgres();
  try {
    const env = { SESSION_STORE: "postgres", DATABASE_URL: fresh.url };
    const started = await Promise.allSettled([startService(env), startService(env), startService(env)]);
    try {
      for (const s of started) assert.equal(s.status, "fulfilled", s.status === "rejected" ? String(s.reason) : "");
      for (const s of started)
        if (s.status === "fulfilled")
          assert.equal(
            (await postJson(`${s.value.url}/api/v1/chat`, { message: "Where is my order?", user_id: "pg-race" }))
              .status,
            200,
          );
    } finally {
      for (const s of started) if (s.status === "fulfilled") await s.value.close();
    }
  } finally {
    await fresh.stop();
  }
});

describe("two instances sharing one PostgreSQL", () => {
  let one: SpawnedService;
  let two: SpawnedService;
  before(async () => {
    // A model slow enough that concurrent turns on one session really overlap in time.
    const env = {
      SESSION_STORE: "postgres",
      DATABASE_URL,
      SIM_TTFT_MS: "40",
      SIM_TOKEN_MS: "2",
      SIM_REPLY_TOKENS: "20",
      LANGFUSE_ENABLED: "false",
      LANGFUSE_JOURNAL: "false",
    };
    const started = await Promise.allSettled([spawnService(env), spawnService(env)]);
    const failed = started.find((s) => s.status === "rejected");
    if (failed) {
      // The other one must not outlive the file (it would keep the test process running).
      await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
      throw failed.reason;
    }
    [one, two] = started.map((s) => (s as PromiseFulfilledResult<SpawnedService>).value) as [
      SpawnedService,
      SpawnedService,
    ];
  });
  after(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
  });

  const chat = (svc: SpawnedService, body: Record<string, unknown>) => postJson(`${svc.url}/api/v1/chat`, body);
  const read = async (svc: SpawnedService, sid: string, user: string) =>
    (await (await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=${user}`)).json()) as any;

  test("a session started on one instance continues on the other", async () => {
    assert.notEqual(one.url, two.url);
    const a = await chat(one, { message: "My order has not arrived", user_id: "bo" });
    const b = await chat(two, { message: "ok, what should I do next?", user_id: "bo", session_id: a.body.session_id });
    assert.equal(b.status, 200);
    assert.equal(b.body.agent, "orders", "instance two saw instance one's active agent");
    const viaOne = await read(one, a.body.session_id, "bo");
    assert.equal(viaOne.turns.length, 2);
    assert.equal((await fetch(`${two.url}/api/v1/sessions/${a.body.session_id}?user_id=eve`)).status, 404);
  });

  test("turns on one session sent to both instances at once: none lost, each answered in turn, none interleaved", async () => {
    const start = await chat(one, { message: "Hello there", user_id: "cy" });
    const sid = start.body.session_id as string;
    const N = 12;
    const messages = Array.from({ length: N }, (_, i) => `message ${i} about my order`);
    const results = await Promise.all(
      messages.map((message, i) => chat(i % 2 ? two : one, { message, user_id: "cy", session_id: sid })),
    );
    // Each caller got the answer to its own message (the simulated model quotes the message it answers).
    results.forEach((r, i) => {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.match(
        r.body.reply,
        new RegExp(`"message ${i} about my order"`),
        `reply to message ${i} answers another message`,
      );
    });
    const replyTo = new Map(messages.map((m, i) => [m, results[i]!.body.reply as string]));
    replyTo.set("Hello there", start.body.reply);

    // The session record: every turn once, each with the reply its caller got.
    const session = await read(two, sid, "cy");
    assert.equal(session.turns.length, N + 1, "a turn was lost (last writer won)");
    const users = session.turns.map((t: any) => t.user);
    assert.deepEqual([...users.slice(1)].sort(), [...messages].sort(), "every message is there exactly once");
    for (const t of session.turns)
      assert.equal(t.reply, replyTo.get(t.user), `the stored reply to "${t.user}" is not the one its caller got`);
    const times = session.turns.map((t: any) => Date.parse(t.at));
    for (let i = 1; i < times.length; i++) assert.ok(times[i] >= times[i - 1], "turn records out of order");

    // The conversation the model sees next: user message, its own reply, next user message, its
    // own reply... in the order the turns ran. A turn that started from a stale checkpoint (two
    // turns at once) would drop or reorder messages here even if the turn list looked right.
    const saver = PostgresSaver.fromConnString(DATABASE_URL);
    let history: BaseMessage[];
    try {
      const tuple = await saver.getTuple({ configurable: { thread_id: sid } });
      history = (tuple?.checkpoint.channel_values["messages"] ?? []) as BaseMessage[];
    } finally {
      await saver.end();
    }
    // The checkpoint keeps the model's window: the last HISTORY_TURNS (10) turns.
    const expected = session.turns.slice(-10).flatMap((t: any) => [
      ["human", t.user],
      ["ai", replyTo.get(t.user)],
    ]);
    assert.deepEqual(
      history.map((m) => [m.getType(), m.content]),
      expected,
      "the stored conversation is not each user message followed by its own reply",
    );
  });
});
