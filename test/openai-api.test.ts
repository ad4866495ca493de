import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { postJson, startService, type RunningService } from "./support/start-service.js";
import { basicAuthHeader } from "../src/receiver/basic-auth.js";
import type { Receiver } from "../src/receiver/receiver.js";

/** The service with tracing to its own embedded receiver (no keys), as a developer runs it. */
const LOCAL_TRACING = {
  LANGFUSE_ENABLED: "true",
  LANGFUSE_LOCAL_RECEIVER_PORT: "0",
  LANGFUSE_LOCAL_RECEIVER_DB: ":memory:",
  LANGFUSE_FLUSH_INTERVAL: "0.05",
  MAX_MESSAGE_CHARS: "200",
};

/** Polls the receiver until the trace arrived with every observation of a routed turn. */
/** Reads with the embedded receiver's own key pair (random: it keeps its store in memory). */
async function waitForTrace(receiver: Receiver, traceId: string): Promise<any> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const res = await fetch(`${receiver.url}/api/public/traces/${traceId}`, {
      headers: { authorization: basicAuthHeader(receiver.keys) },
    });
    if (res.ok) {
      const trace = (await res.json()) as any;
      if (trace.output !== null && trace.observations.length >= 5) return trace;
    }
    if (Date.now() > deadline) throw new Error(`trace ${traceId} did not arrive in 5 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("OpenAI-compatible API with the official openai client", () => {
  let svc: RunningService;
  let client: OpenAI;
  before(async () => {
    svc = await startService(LOCAL_TRACING);
    client = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 10_000 });
  });
  after(() => svc.close());

  test("GET /v1/models lists the router", async () => {
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((m) => m.id),
      ["switchboard-router"],
    );
    const one = await client.models.retrieve("switchboard-router");
    assert.equal(one.owned_by, "switchboard");
    await assert.rejects(client.models.retrieve("gpt-4o"), (err: unknown) => err instanceof OpenAI.NotFoundError);
  });

  test("a plain completion answers, reports usage and is traced with endpoint openai", async () => {
    const completion = await client.chat.completions.create({
      model: "switchboard-router",
      messages: [
        { role: "system", content: "ignored: agents have their own prompts" },
        { role: "user", content: "Where is my order 1234?" },
      ],
      user: "oai-alice",
    });
    assert.equal(completion.object, "chat.completion");
    assert.equal(completion.model, "switchboard-router");
    assert.equal(completion.choices[0]!.finish_reason, "stop");
    assert.match(completion.choices[0]!.message.content ?? "", /Orders desk/);
    const usage = completion.usage!;
    assert.ok(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    const sb = (completion as any).switchboard;
    assert.equal(sb.agent, "orders");
    assert.equal(sb.session_id, "openai:oai-alice", "without X-Session-Id the session comes from user");
    const receiverUrl = svc.traces.receiver!.url;
    assert.equal(sb.trace_url, `${receiverUrl}/ui/traces/${sb.trace_id}`);

    const trace = await waitForTrace(svc.traces.receiver!, sb.trace_id);
    assert.equal(trace.userId, "oai-alice");
    assert.equal(trace.sessionId, "openai:oai-alice");
    assert.deepEqual(trace.tags, ["endpoint:openai"]);
    const generations = trace.observations.filter((observation: any) => observation.type === "GENERATION");
    const traced = generations.reduce((n: number, g: any) => n + g.usage.total, 0);
    assert.equal(traced, usage.total_tokens, "the usage answered is the sum of the traced generations");
    assert.ok(
      svc.logs.some((l) => l["msg"] === "trace" && l["trace_url"] === sb.trace_url),
      "the trace link is logged",
    );
  });

  test("the user field continues one session; X-Session-Id wins over it", async () => {
    await client.chat.completions.create({
      model: "switchboard-router",
      messages: [{ role: "user", content: "My order has not arrived" }],
      user: "oai-bob",
    });
    const follow = await client.chat.completions.create({
      model: "switchboard-router",
      messages: [{ role: "user", content: "ok, what should I do next?" }],
      user: "oai-bob",
    });
    assert.equal((follow as any).switchboard.agent, "orders", "the follow-up stays with the session's agent");

    const own = await client.chat.completions.create(
      { model: "switchboard-router", messages: [{ role: "user", content: "I was charged twice" }], user: "oai-bob" },
      { headers: { "X-Session-Id": "bob-billing-1" } },
    );
    assert.equal((own as any).switchboard.session_id, "bob-billing-1");
    const session = await fetch(`${svc.url}/api/v1/sessions/bob-billing-1?user_id=oai-bob`).then(
      (r) => r.json() as Promise<any>,
    );
    assert.equal(session.turns.length, 1);
  });

  test("X-User-Id names the user; without user or headers each request is a new anonymous session", async () => {
    const a = await client.chat.completions.create(
      { model: "switchboard-router", messages: [{ role: "user", content: "hello" }] },
      { headers: { "X-User-Id": "hdr-user" } },
    );
    const sid = (a as any).switchboard.session_id;
    assert.match(sid, /^[0-9a-f-]{36}$/);
    assert.equal((await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=hdr-user`)).status, 200);
    const b = await client.chat.completions.create({
      model: "switchboard-router",
      messages: [{ role: "user", content: "hello" }],
    });
    assert.notEqual((b as any).switchboard.session_id, sid);
    assert.equal(
      (await fetch(`${svc.url}/api/v1/sessions/${(b as any).switchboard.session_id}?user_id=anonymous`)).status,
      200,
    );
  });

  test("a streamed completion: role chunk, content chunks, stop, usage chunk, [DONE]", async () => {
    const stream = await client.chat.completions.create({
      model: "switchboard-router",
      messages: [{ role: "user", content: "The app crashes when I log in" }],
      user: "oai-carol",
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    assert.ok(chunks.filter((c) => c.choices[0]?.delta.content).length > 3, "tokens arrive as separate chunks");
    const stop = chunks.find((c) => c.choices[0]?.finish_reason === "stop");
    assert.ok(stop);
    assert.equal((stop as any).switchboard.agent, "tech");
    const last = chunks[chunks.length - 1]!;
    assert.deepEqual(last.choices, []);
    assert.ok(
      last.usage &&
        last.usage.completion_tokens > 0 &&
        last.usage.total_tokens === last.usage.prompt_tokens + last.usage.completion_tokens,
    );
    assert.ok(
      chunks.slice(0, -1).every((c) => c.usage === null),
      "usage is null on every other chunk",
    );
    assert.ok(new Set(chunks.map((c) => c.id)).size === 1);
    const session = await fetch(`${svc.url}/api/v1/sessions/openai:oai-carol?user_id=oai-carol`).then(
      (r) => r.json() as Promise<any>,
    );
    assert.equal(session.turns.at(-1).reply, text, "the streamed text is the stored reply");
  });

  test("the raw stream ends with data: [DONE] and has no usage without include_usage", async () => {
    const res = await fetch(`${svc.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "switchboard-router",
        stream: true,
        messages: [{ role: "user", content: "thank you!" }],
      }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    assert.match(res.headers.get("x-session-id") ?? "", /^[0-9a-f-]{36}$/);
    const text = await res.text();
    assert.ok(text.endsWith("data: [DONE]\n\n"));
    assert.ok(!text.includes('"usage"'));
  });

  test("errors come in OpenAI's shape and raise the client's error classes", async () => {
    await assert.rejects(
      client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
      (err: any) => err instanceof OpenAI.NotFoundError && err.code === "model_not_found" && err.param === "model",
    );
    await assert.rejects(
      client.chat.completions.create({ model: "switchboard-router", messages: [{ role: "assistant", content: "hi" }] }),
      (err: any) =>
        err instanceof OpenAI.BadRequestError &&
        err.param === "messages[0].role" &&
        /must have role 'user'/.test(err.message),
    );
    await assert.rejects(
      client.chat.completions.create({
        model: "switchboard-router",
        messages: [{ role: "user", content: "x".repeat(201) }],
      }),
      (err: any) =>
        err instanceof OpenAI.BadRequestError && /at most 200/.test(err.message) && err.param === "messages[0].content",
    );
    // A session owned by someone else is not found, before any stream starts.
    await assert.rejects(
      client.chat.completions.create(
        { model: "switchboard-router", stream: true, messages: [{ role: "user", content: "hi" }], user: "mallory" },
        { headers: { "X-Session-Id": "bob-billing-1" } },
      ),
      (err: any) => err instanceof OpenAI.NotFoundError && err.code === "session_not_found",
    );
    const raw = await postJson(`${svc.url}/v1/chat/completions`, "{not json");
    assert.equal(raw.status, 400);
    assert.equal(raw.body.error.type, "invalid_request_error");
    assert.equal(raw.body.error.code, "invalid_json");
    const missing = await fetch(`${svc.url}/v1/embeddings`, { method: "POST" });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as any).error.type, "invalid_request_error");
    const badHeader = await postJson(
      `${svc.url}/v1/chat/completions`,
      { messages: [{ role: "user", content: "hi" }] },
      { "x-session-id": "bad id!" },
    );
    assert.equal(badHeader.status, 400);
    assert.equal(badHeader.body.error.param, "x-session-id");
  });

  test("array content parts are read as text", async () => {
    const completion = await client.chat.completions.create({
      model: "switchboard-router",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "I need a refund," },
            { type: "text", text: "I was charged twice" },
          ],
        },
      ],
    });
    assert.equal((completion as any).switchboard.agent, "billing");
  });
});
