import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { postJson, startService } from "./support/start-service.js";
import { startReceiver, tracedEnv, type Receiver } from "./support/tracing-helpers.js";

// Issue 22, finding 8: a reply's trace_url showed every client (every tenant) the Langfuse host
// and project id. Replies link the local viewer; a Langfuse link only when the operator asks.

describe("trace_url in replies", () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(() => receiver.close());

  const turn = async (env: Record<string, string>) => {
    const svc = await startService(env);
    try {
      const native = await postJson(`${svc.url}/api/v1/chat`, { message: "Where is my order?", user_id: "u" });
      const oai = await postJson(`${svc.url}/v1/chat/completions`, {
        model: "switchboard-router",
        messages: [{ role: "user", content: "Where is my order?" }],
      });
      assert.equal(native.status, 200);
      assert.equal(oai.status, 200);
      return { native: native.body, oai: oai.body.switchboard };
    } finally {
      await svc.close();
    }
  };

  test("with Langfuse keys and a project id: no link unless LANGFUSE_TRACE_URL_IN_REPLIES=true; the trace id always", async () => {
    const quiet = await turn({ ...tracedEnv(receiver), LANGFUSE_PROJECT_ID: "proj-secret-id" });
    for (const reply of [quiet.native, quiet.oai]) {
      assert.equal(reply.trace_url, null);
      assert.match(reply.trace_id, /^[0-9a-f]{32}$/);
      assert.ok(!JSON.stringify(reply).includes("proj-secret-id"));
    }
    const linked = await turn({
      ...tracedEnv(receiver),
      LANGFUSE_PROJECT_ID: "proj-secret-id",
      LANGFUSE_TRACE_URL_IN_REPLIES: "true",
    });
    for (const reply of [linked.native, linked.oai])
      assert.equal(reply.trace_url, `${receiver.url}/project/proj-secret-id/traces/${reply.trace_id}`);
  });

  test("with the local receiver (no Langfuse keys): the local viewer's link", async () => {
    const local = await turn({
      LANGFUSE_ENABLED: "true",
      LANGFUSE_LOCAL_RECEIVER_PORT: "0",
      LANGFUSE_LOCAL_RECEIVER_DB: ":memory:",
      LANGFUSE_FLUSH_INTERVAL: "0.05",
    });
    for (const reply of [local.native, local.oai]) {
      assert.match(reply.trace_url, /^http:\/\/127\.0\.0\.1:\d+\//);
      assert.ok(reply.trace_url.includes(reply.trace_id), reply.trace_url);
    }
  });
});
