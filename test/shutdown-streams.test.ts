import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSse } from "./support/start-service.js";
import { spawnService, type SpawnedService } from "./support/spawn-service.js";

// Issue 22, finding 8: a stream still running when SHUTDOWN_TIMEOUT_MS ran out was cut without a
// word. Now its client gets an error (503 shutting_down) in the stream's own format first.

/** A slow simulated model: a stream lasts ~20 s, far past the shutdown timeout. */
const SLOW = {
  LANGFUSE_ENABLED: "false",
  SESSION_STORE: "memory",
  SIM_TTFT_MS: "0",
  SIM_TOKEN_MS: "200",
  SIM_REPLY_TOKENS: "100",
  SHUTDOWN_TIMEOUT_MS: "500",
};

/** Opens a stream and resolves once its first bytes arrived, with a promise of its whole text (wrapped: an async function would adopt it). */
async function openStream(svc: SpawnedService, path: string, body: unknown): Promise<{ rest: Promise<string> }> {
  const res = await fetch(`${svc.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value);
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return text;
      text += decoder.decode(value);
    }
  })();
  return { rest };
}

test(
  "streams still running at SHUTDOWN_TIMEOUT_MS end with an error event, on every streaming endpoint",
  { timeout: 60_000 },
  async () => {
    const svc = await spawnService(SLOW);
    const ask = "Where is my order?";
    const native = await openStream(svc, "/api/v1/chat/stream", { message: ask, user_id: "native" });
    const completion = await openStream(svc, "/v1/chat/completions", {
      model: "switchboard-router",
      stream: true,
      user: "oai",
      messages: [{ role: "user", content: ask }],
    });
    const response = await openStream(svc, "/v1/responses", {
      model: "switchboard-router",
      stream: true,
      user: "resp",
      input: ask,
    });
    const exit = svc.stop("SIGTERM");
    const [nativeText, completionText, responseText] = await Promise.all([native.rest, completion.rest, response.rest]);
    assert.equal(await exit, 0);

    const nativeEvents = parseSse(nativeText);
    const last = nativeEvents.at(-1)!;
    assert.equal(last.event, "error", nativeText.slice(-300));
    assert.equal(last.data.code, "shutting_down");
    assert.match(last.data.message, /retry/);
    assert.equal(nativeEvents[0]!.event, "route", "who answers, before the first token");
    assert.ok(nativeEvents.slice(1, -1).every((e) => e.event === "token"));

    const chunks = completionText
      .split("\n\n")
      .filter(Boolean)
      .map((b) => b.replace(/^data: /, ""));
    assert.notEqual(chunks.at(-1), "[DONE]");
    assert.equal(JSON.parse(chunks.at(-1)!).error.code, "shutting_down", completionText.slice(-300));

    const responseEvents = parseSse(responseText);
    const error = responseEvents.find((e) => e.event === "error");
    assert.equal(error?.data.code, "shutting_down", responseText.slice(-400));
    assert.equal(responseEvents.at(-1)!.event, "response.failed");

    assert.match(svc.output().stdout, /shutdown timeout reached with turns still running/);
  },
);
