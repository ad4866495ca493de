// A response can be continued once, also when the continuations arrive together: the check and
// the claim are one atomic step in the response store (memory, SQLite, PostgreSQL). The losers get
// the error OpenAI answers for a conversation another request is working on (400
// `conversation_locked`), in OpenAI's error shape; a continuation that fails releases its claim.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postJson, startService, type RunningService } from "./support/start-service.js";
import { startPostgres, type PostgresServer } from "./support/postgres-server.js";

const MODEL = "switchboard-router";
const PARALLEL = 5;

let postgres: PostgresServer;
const dir = mkdtempSync(join(tmpdir(), "sb-continuation-race-"));
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const stores: [string, () => Record<string, string>][] = [
  ["memory", () => ({ SESSION_STORE: "memory" })],
  ["sqlite", () => ({ SESSION_STORE: "sqlite", SESSION_DB_PATH: join(dir, "sessions.db") })],
  ["postgres", () => ({ SESSION_STORE: "postgres", DATABASE_URL: postgres.url })],
];

const respond = (svc: RunningService, body: Record<string, unknown>) =>
  postJson(`${svc.url}/v1/responses`, { model: MODEL, ...body });

async function sessionUsers(svc: RunningService, sid: string, user: string): Promise<string[]> {
  const res = await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=${user}`);
  return ((await res.json()) as any).turns.map((t: any) => t.user);
}

for (const [kind, env] of stores) {
  describe(`continuing one response ${PARALLEL} times at once (${kind})`, () => {
    let svc: RunningService;
    before(async () => {
      // Slow enough that the continuations overlap the winner's turn.
      svc = await startService({ ...env(), SIM_TTFT_MS: "150", SIM_TOKEN_MS: "0" });
    });
    after(() => svc?.close());

    test("exactly one succeeds; the others get OpenAI's conversation_locked; the session gets one turn", async () => {
      const user = `race-${kind}`;
      const first = await respond(svc, { input: "Where is my order 12?", user });
      assert.equal(first.status, 200);
      const sid = first.body.switchboard.session_id;
      const results = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) =>
          respond(svc, { input: `continuation ${i}`, previous_response_id: first.body.id }),
        ),
      );
      const ok = results.filter((r) => r.status === 200);
      assert.equal(ok.length, 1, `statuses: ${results.map((r) => r.status).join(", ")}`);
      for (const lost of results.filter((r) => r.status !== 200)) {
        assert.equal(lost.status, 400);
        assert.deepEqual(Object.keys(lost.body.error).sort(), ["code", "message", "param", "type"]);
        assert.equal(lost.body.error.type, "invalid_request_error");
        assert.equal(lost.body.error.param, "previous_response_id");
        assert.equal(lost.body.error.code, "conversation_locked");
        assert.match(lost.body.error.message, /retry/i);
      }
      const winner = ok[0]!.body;
      assert.deepEqual(await sessionUsers(svc, sid, user), [
        "Where is my order 12?",
        `continuation ${results.indexOf(ok[0]!)}`,
      ]);

      // Once the winner has finished, continuing the same response again is the linear-session refusal.
      const late = await respond(svc, { input: "one more", previous_response_id: first.body.id });
      assert.equal(late.status, 400);
      assert.equal(late.body.error.code, "previous_response_continued");
      assert.match(late.body.error.message, new RegExp(winner.id));
      // The winner's own response continues normally.
      const next = await respond(svc, { input: "and now?", previous_response_id: winner.id });
      assert.equal(next.status, 200);
      assert.equal((await sessionUsers(svc, sid, user)).length, 3);
    });

    test("a streamed continuation loses the same way, before its stream opens", async () => {
      const first = await respond(svc, { input: "Where is my order 13?", user: `race-stream-${kind}` });
      const [plain, streamed] = await Promise.all([
        respond(svc, { input: "plain", previous_response_id: first.body.id }),
        (async () => {
          await new Promise((r) => setTimeout(r, 30));
          return respond(svc, { input: "streamed", previous_response_id: first.body.id, stream: true });
        })(),
      ]);
      assert.equal(plain.status, 200);
      assert.equal(streamed.status, 400);
      assert.equal(streamed.body.error.code, "conversation_locked");
    });
  });
}

test("a continuation whose turn fails releases the response: it can be continued afterwards (sqlite)", async () => {
  const store = { SESSION_STORE: "sqlite", SESSION_DB_PATH: join(dir, "release.db") };
  const fast = await startService(store);
  const slow = await startService({ ...store, SIM_TTFT_MS: "2000", TURN_TIMEOUT_MS: "150" });
  try {
    const first = await respond(fast, { input: "Where is my order 14?", user: "release" });
    const failed = await respond(slow, { input: "this one times out", previous_response_id: first.body.id });
    assert.equal(failed.status, 503);
    const retried = await respond(fast, { input: "and when will it come?", previous_response_id: first.body.id });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.deepEqual(await sessionUsers(fast, first.body.switchboard.session_id, "release"), [
      "Where is my order 14?",
      "and when will it come?",
    ]);
  } finally {
    await slow.close();
    await fast.close();
  }
});
