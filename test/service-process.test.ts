import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postJson } from "./support/start-service.js";
import { runServiceExpectingFailure, spawnService } from "./support/spawn-service.js";

const BASE = { SIM_TTFT_MS: "0", SIM_TOKEN_MS: "0", LANGFUSE_ENABLED: "false" };

test("sessions survive a restart of the service (SQLite store)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-restart-"));
  const env = { ...BASE, SESSION_STORE: "sqlite", SESSION_DB_PATH: join(dir, "sessions.db") };
  try {
    const first = await spawnService(env);
    const turn = await postJson(`${first.url}/api/v1/chat`, { message: "I was charged twice", user_id: "persist" });
    assert.equal(turn.status, 200);
    assert.equal(await first.stop("SIGTERM"), 0);

    const second = await spawnService(env);
    try {
      const session = await fetch(`${second.url}/api/v1/sessions/${turn.body.session_id}?user_id=persist`).then(
        (r) => r.json() as Promise<any>,
      );
      assert.equal(session.turns.length, 1);
      assert.equal(session.current_agent, "billing");
      const next = await postJson(`${second.url}/api/v1/chat`, {
        message: "ok, what now?",
        user_id: "persist",
        session_id: turn.body.session_id,
      });
      assert.equal(next.body.agent, "billing", "the restarted service continues with the stored context");
    } finally {
      assert.equal(await second.stop("SIGINT"), 0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SIGTERM lets an in-flight turn finish, then exits 0", async () => {
  const svc = await spawnService({ ...BASE, SESSION_STORE: "memory", SIM_TTFT_MS: "400", SHUTDOWN_TIMEOUT_MS: "5000" });
  const pending = postJson(`${svc.url}/api/v1/chat`, { message: "Where is my order?", user_id: "graceful" });
  await new Promise((r) => setTimeout(r, 150));
  const exit = svc.stop("SIGTERM");
  const res = await pending;
  assert.equal(res.status, 200);
  assert.equal(res.body.agent, "orders");
  assert.equal(await exit, 0);
  assert.match(svc.output().stdout, /"msg":"stopped"/);
});

test("a bad configuration stops start-up with a message naming the variable", async () => {
  const { code, stderr } = await runServiceExpectingFailure({ PORT: "not-a-port", LANGFUSE_FLUSH_AT: "0" });
  assert.equal(code, 1);
  assert.match(stderr, /PORT="not-a-port" is invalid/);
  assert.match(stderr, /LANGFUSE_FLUSH_AT="0" is invalid/);
  assert.ok(!/at .*\.js:\d+/.test(stderr), "no stack trace for a configuration mistake");
});

test("an invalid agent catalog stops start-up naming the file", async () => {
  const { code, stderr } = await runServiceExpectingFailure({ AGENTS_FILE: "no/such/agents.json" });
  assert.equal(code, 1);
  assert.match(stderr, /cannot read agent catalog no\/such\/agents\.json/);
});
