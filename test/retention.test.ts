// Retention end to end on the real service (SQLite): with short time-to-lives, an idle session
// and a stored response are deleted by the background sweep (404 afterwards, counted on
// /metrics), and nothing of what they said can be read from the database files any more.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postJson, startService } from "./support/start-service.js";

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("expired sessions and responses are swept, and the files no longer hold what they said", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-retention-e2e-"));
  const path = join(dir, "sessions.db");
  const svc = await startService({
    SESSION_STORE: "sqlite",
    SESSION_DB_PATH: path,
    // About 1 s.
    SESSION_TTL_HOURS: "0.0003",
    RESPONSE_TTL_HOURS: "0.0003",
    RETENTION_SWEEP_INTERVAL_MS: "100",
  });
  try {
    const sessionMarker = `session-marker-${randomBytes(8).toString("hex")}`;
    const responseMarker = `response-marker-${randomBytes(8).toString("hex")}`;
    const chat = await postJson(`${svc.url}/api/v1/chat`, {
      message: `Where is my order? ${sessionMarker}`,
      user_id: "ephemeral",
    });
    assert.equal(chat.status, 200);
    const response = await postJson(`${svc.url}/v1/responses`, {
      model: "switchboard-router",
      input: `Where is my parcel? ${responseMarker}`,
      user: "ephemeral-openai",
    });
    assert.equal(response.status, 200);
    const sid = chat.body.session_id;
    assert.equal((await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=ephemeral`)).status, 200);

    await until("the session expiring", async () => {
      return (await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=ephemeral`)).status === 404;
    });
    await until("the response expiring", async () => {
      return (await fetch(`${svc.url}/v1/responses/${response.body.id}`)).status === 404;
    });
    // The running session of the OpenAI user goes too. It was written after the response was
    // stored, so it can expire one sweep after the response does.
    await until("the OpenAI user's running session expiring", async () => {
      const url = `${svc.url}/api/v1/sessions/openai:ephemeral-openai?user_id=ephemeral-openai`;
      return (await fetch(url)).status === 404;
    });
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.match(metrics, /switchboard_retention_deleted_total\{kind="sessions"\} [1-9]/);
    assert.match(metrics, /switchboard_retention_deleted_total\{kind="responses"\} [1-9]/);
  } finally {
    await svc.close();
  }
  try {
    for (const file of [path, `${path}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file);
      assert.equal(bytes.indexOf("session-marker-"), -1, `${file} still holds the expired session's message`);
      assert.equal(bytes.indexOf("response-marker-"), -1, `${file} still holds the expired response's input`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
