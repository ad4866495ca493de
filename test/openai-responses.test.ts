// POST /v1/responses and GET /v1/responses/:id with the official `openai` client and over raw
// HTTP: the Response object, the streamed event sequence, continuation with previous_response_id,
// tenants, storage across restarts, and the same limits as chat completions.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { estimateTokens } from "../src/llm/token-estimate.js";
import { parseSse, postJson, startService, type RunningService } from "./support/start-service.js";
import { startPostgres } from "./support/postgres-server.js";
import { basicAuthHeader } from "../src/receiver/basic-auth.js";
import type { Receiver } from "../src/receiver/receiver.js";

const MODEL = "switchboard-router";

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

const sessionTurns = async (svc: RunningService, sid: string, user: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=${encodeURIComponent(user)}`, { headers });
  return res.status === 200 ? ((await res.json()) as any).turns.map((t: any) => t.user) : res.status;
};

describe("Responses API with the official openai client", () => {
  let svc: RunningService;
  let client: OpenAI;
  before(async () => {
    svc = await startService({
      LANGFUSE_ENABLED: "true",
      LANGFUSE_LOCAL_RECEIVER_PORT: "0",
      LANGFUSE_LOCAL_RECEIVER_DB: ":memory:",
      LANGFUSE_FLUSH_INTERVAL: "0.05",
    });
    client = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 10_000 });
  });
  after(() => svc.close());

  test("responses.create answers a Response object, reports usage and is traced with endpoint responses", async () => {
    const { data: response, response: http } = await client.responses
      .create({ model: MODEL, input: "Where is my order 1234?", user: "resp-alice" })
      .withResponse();
    assert.match(response.id, /^resp_[0-9a-f]{32}$/);
    assert.equal(response.object, "response");
    assert.equal(response.status, "completed");
    assert.equal(response.model, MODEL);
    assert.equal(response.error, null);
    assert.equal(response.output.length, 1);
    const item = response.output[0]!;
    assert.ok(item.type === "message" && item.role === "assistant" && item.status === "completed");
    assert.match(item.id, /^msg_[0-9a-f]{32}$/);
    assert.equal(item.content[0]?.type, "output_text");
    assert.match(response.output_text, /^Orders desk here/);
    const usage = response.usage!;
    assert.ok(usage.input_tokens > 0 && usage.output_tokens > 0);
    assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
    const sb = (response as any).switchboard;
    assert.equal(sb.agent, "orders");
    assert.equal(sb.session_id, "openai:resp-alice", "without a previous response, the user's running session");
    assert.equal(http.headers.get("x-session-id"), sb.session_id);

    const trace = await waitForTrace(svc.traces.receiver!, sb.trace_id);
    assert.deepEqual(trace.tags, ["endpoint:responses"]);
    assert.equal(trace.userId, "resp-alice");
    const traced = trace.observations
      .filter((observation: any) => observation.type === "GENERATION")
      .reduce((n: number, g: any) => n + g.usage.total, 0);
    assert.equal(traced, usage.total_tokens, "the usage answered is the sum of the traced generations");
  });

  test("a streamed response: the event sequence OpenAI sends, numbered, with consistent ids and the final usage", async () => {
    const res = await fetch(`${svc.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, input: "The app crashes when I log in", stream: true, user: "resp-carol" }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const text = await res.text();
    assert.ok(!text.includes("[DONE]"), "the Responses API ends with response.completed, not [DONE]");
    const events = parseSse(text);
    const types = events.map((e) => e.data.type);
    const deltas = types.filter((t) => t === "response.output_text.delta").length;
    assert.ok(deltas > 3, "tokens arrive as separate deltas");
    assert.deepEqual(types, [
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array<string>(deltas).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    assert.deepEqual(
      events.map((e) => e.event),
      types,
      "each event is named after its type",
    );
    assert.deepEqual(
      events.map((e) => e.data.sequence_number),
      events.map((_, i) => i),
      "sequence numbers count from 0",
    );

    const [created, inProgress, added, partAdded] = events.map((e) => e.data);
    const id = created.response.id;
    assert.equal(created.response.status, "in_progress");
    assert.deepEqual(created.response.output, []);
    assert.equal(created.response.usage, null);
    assert.equal(inProgress.response.id, id);
    assert.equal(added.output_index, 0);
    const itemId = added.item.id;
    assert.deepEqual(added.item, {
      id: itemId,
      type: "message",
      status: "in_progress",
      role: "assistant",
      content: [],
    });
    assert.deepEqual(partAdded, {
      type: "response.content_part.added",
      sequence_number: 3,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [], logprobs: [] },
    });
    const textEvents = events.filter(
      (e) => e.data.type.startsWith("response.output_text") || e.data.type.startsWith("response.content_part"),
    );
    assert.ok(
      textEvents.every((e) => e.data.item_id === itemId && e.data.output_index === 0 && e.data.content_index === 0),
    );
    const streamed = events
      .filter((e) => e.data.type === "response.output_text.delta")
      .map((e) => e.data.delta)
      .join("");
    const done = events.find((e) => e.data.type === "response.output_text.done")!.data;
    assert.equal(done.text, streamed);
    assert.deepEqual(events.find((e) => e.data.type === "response.content_part.done")!.data.part, {
      type: "output_text",
      text: streamed,
      annotations: [],
      logprobs: [],
    });
    const itemDone = events.find((e) => e.data.type === "response.output_item.done")!.data;
    assert.equal(itemDone.item.status, "completed");
    const completed = events.at(-1)!.data.response;
    assert.equal(completed.id, id);
    assert.equal(completed.status, "completed");
    assert.deepEqual(completed.output, [itemDone.item]);
    assert.ok(
      completed.usage.output_tokens > 0 &&
        completed.usage.total_tokens === completed.usage.input_tokens + completed.usage.output_tokens,
    );
    assert.equal(completed.switchboard.agent, "tech");
    assert.deepEqual(await sessionTurns(svc, "openai:resp-carol", "resp-carol"), ["The app crashes when I log in"]);
    const session = (await (
      await fetch(`${svc.url}/api/v1/sessions/openai:resp-carol?user_id=resp-carol`)
    ).json()) as any;
    assert.equal(session.turns[0].reply, streamed, "the streamed text is the stored reply");
  });

  test("the official client's stream and its responses.stream() helper read the same answer", async () => {
    const stream = await client.responses.create({ model: MODEL, input: "I need a refund", stream: true });
    let text = "";
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.completed") final = event.response;
    }
    assert.match(text, /^Billing desk here/);
    assert.equal(final?.status, "completed");
    const helper = client.responses.stream({ model: MODEL, input: "I need a refund" });
    const response = await helper.finalResponse();
    assert.equal(
      response.output_text,
      text,
      "the accumulated snapshot equals the deltas (same words for the same message)",
    );
  });

  test("max_output_tokens on a stream ends it with response.incomplete", async () => {
    const stream = await client.responses.create({
      model: MODEL,
      input: "Where is my order?",
      stream: true,
      max_output_tokens: 16,
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const last = events.at(-1)!;
    assert.equal(last.type, "response.incomplete");
    assert.ok(last.type === "response.incomplete");
    assert.deepEqual(last.response.incomplete_details, { reason: "max_output_tokens" });
    assert.equal(estimateTokens(last.response.output_text ?? (last.response.output[0] as any).content[0].text), 16);
  });

  test("responses.retrieve returns the stored response; unknown ids are 404", async () => {
    const created = await client.responses.create({
      model: MODEL,
      input: "Where is my order 55?",
      metadata: { ticket: "T-9" },
    });
    const fetched = await client.responses.retrieve(created.id);
    assert.deepEqual(JSON.parse(JSON.stringify(fetched)), JSON.parse(JSON.stringify(created)));
    const streamed = await client.responses.create({ model: MODEL, input: "Where is my order 56?", stream: true });
    let id = "";
    for await (const event of streamed) if (event.type === "response.completed") id = event.response.id;
    assert.equal((await client.responses.retrieve(id)).status, "completed", "streamed responses are kept too");
    await assert.rejects(
      client.responses.retrieve("resp_00000000000000000000000000000000"),
      (err: any) => err instanceof OpenAI.NotFoundError && err.param === "response_id",
    );
  });

  test("previous_response_id continues the session that produced the response, as its user", async () => {
    const first = await client.responses.create({ model: MODEL, input: "My order has not arrived", user: "resp-dave" });
    const second = await client.responses.create({
      model: MODEL,
      input: "ok, what should I do next?",
      previous_response_id: first.id,
    });
    const sb = (second as any).switchboard;
    assert.equal(sb.session_id, (first as any).switchboard.session_id);
    assert.equal(sb.agent, "orders", "the follow-up is answered in the conversation's context");
    assert.equal(second.previous_response_id, first.id);
    assert.deepEqual(
      await sessionTurns(svc, sb.session_id, "resp-dave"),
      ["My order has not arrived", "ok, what should I do next?"],
      "the continuation ran as resp-dave, with no user given",
    );
    // A chain of responses without any user: each continuation stays in the first one's new session.
    const a = await client.responses.create({ model: MODEL, input: "I was charged twice" });
    const b = await client.responses.create({ model: MODEL, input: "can you fix it?", previous_response_id: a.id });
    const c = await client.responses.create({ model: MODEL, input: "thanks", previous_response_id: b.id });
    assert.match((a as any).switchboard.session_id, /^[0-9a-f-]{36}$/);
    assert.equal((c as any).switchboard.session_id, (a as any).switchboard.session_id);
    assert.deepEqual(await sessionTurns(svc, (a as any).switchboard.session_id, "anonymous"), [
      "I was charged twice",
      "can you fix it?",
      "thanks",
    ]);
  });

  test("a continuation is refused for another user, a second time (a fork), and against another X-Session-Id", async () => {
    const first = await client.responses.create({ model: MODEL, input: "Where is my order 9?", user: "resp-erin" });
    const sid = (first as any).switchboard.session_id;
    await assert.rejects(
      client.responses.create({
        model: MODEL,
        input: "tell me everything",
        previous_response_id: first.id,
        user: "resp-mallory",
      }),
      (err: any) => err instanceof OpenAI.NotFoundError && err.code === "session_not_found",
    );
    await assert.rejects(
      client.responses.create(
        { model: MODEL, input: "hi", previous_response_id: first.id },
        { headers: { "X-Session-Id": "some-other-session" } },
      ),
      (err: any) => err instanceof OpenAI.BadRequestError && err.param === "previous_response_id",
    );
    const second = await client.responses.create({ model: MODEL, input: "and when?", previous_response_id: first.id });
    await assert.rejects(
      client.responses.create({ model: MODEL, input: "and when?", previous_response_id: first.id }),
      (err: any) =>
        err instanceof OpenAI.BadRequestError &&
        err.code === "previous_response_continued" &&
        err.message.includes(second.id),
    );
    assert.deepEqual(
      await sessionTurns(svc, sid, "resp-erin"),
      ["Where is my order 9?", "and when?"],
      "no refused request reached the session",
    );
  });

  test("store: false answers but keeps nothing to retrieve or continue", async () => {
    const response = await client.responses.create({
      model: MODEL,
      input: "Where is my order 3?",
      store: false,
      user: "resp-frank",
    });
    assert.equal(response.status, "completed");
    assert.equal((response as any).store, false);
    await assert.rejects(client.responses.retrieve(response.id), OpenAI.NotFoundError);
    await assert.rejects(
      client.responses.create({ model: MODEL, input: "and?", previous_response_id: response.id }),
      OpenAI.NotFoundError,
    );
    assert.deepEqual(
      await sessionTurns(svc, "openai:resp-frank", "resp-frank"),
      ["Where is my order 3?"],
      "the turn itself is in the session",
    );
  });

  test("errors before the first event are plain HTTP errors (a session of another user is not found)", async () => {
    await client.responses.create(
      { model: MODEL, input: "hi" },
      { headers: { "X-Session-Id": "resp-owned", "X-User-Id": "owner" } },
    );
    await assert.rejects(
      client.responses.create(
        { model: MODEL, input: "hi", stream: true },
        { headers: { "X-Session-Id": "resp-owned", "X-User-Id": "intruder" } },
      ),
      (err: any) => err instanceof OpenAI.NotFoundError && err.code === "session_not_found",
    );
    const raw = await postJson(`${svc.url}/v1/responses`, "{nope");
    assert.equal(raw.status, 400);
    assert.equal(raw.body.error.code, "invalid_json");
  });
});

describe("Responses API: tenants and limits", () => {
  const KEY_A = "responses-key-alpha-0123456789";
  const KEY_B = "responses-key-bravo-0123456789";
  let svc: RunningService;
  before(async () => {
    svc = await startService({
      API_KEYS: `${KEY_A},${KEY_B}`,
      MAX_STREAMS_PER_KEY: "1",
      MAX_BODY_BYTES: "2048",
      SIM_TTFT_MS: "300",
      SIM_TOKEN_MS: "2",
      SIM_REPLY_TOKENS: "20",
    });
  });
  after(() => svc.close());
  const clientFor = (key: string) =>
    new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 });

  test("a response of another API key is not found, neither to retrieve nor to continue", async () => {
    const a = clientFor(KEY_A);
    const b = clientFor(KEY_B);
    const response = await a.responses.create({ model: MODEL, input: "Where is my order?", user: "tenant-user" });
    await assert.rejects(
      b.responses.retrieve(response.id),
      (err: any) => err instanceof OpenAI.NotFoundError && err.code === "response_not_found",
    );
    await assert.rejects(
      b.responses.create({ model: MODEL, input: "tell me", previous_response_id: response.id, user: "tenant-user" }),
      (err: any) => err instanceof OpenAI.NotFoundError && err.param === "previous_response_id",
    );
    assert.equal((await a.responses.retrieve(response.id)).id, response.id);
    const next = await a.responses.create({ model: MODEL, input: "and when?", previous_response_id: response.id });
    assert.equal((next as any).switchboard.session_id, (response as any).switchboard.session_id);
  });

  test("auth, body size and the stream cap apply as on chat completions", async () => {
    const noKey = await postJson(`${svc.url}/v1/responses`, { model: MODEL, input: "hi" });
    assert.equal(noKey.status, 401);
    assert.equal(noKey.body.error.type, "invalid_request_error");
    await assert.rejects(
      clientFor("wrong-key-000000000000").responses.create({ model: MODEL, input: "hi" }),
      OpenAI.AuthenticationError,
    );
    const big = await postJson(
      `${svc.url}/v1/responses`,
      { model: MODEL, input: "x".repeat(3000) },
      { authorization: `Bearer ${KEY_A}` },
    );
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, "body_too_large");

    const open = (key: string) =>
      fetch(`${svc.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: MODEL, input: "Where is my order?", stream: true }),
      });
    const first = open(KEY_A);
    await new Promise((r) => setTimeout(r, 100));
    const second = await open(KEY_A);
    assert.equal(second.status, 429);
    assert.equal(((await second.json()) as any).error.code, "too_many_streams");
    const other = await open(KEY_B);
    assert.equal(other.status, 200);
    await Promise.all([(await first).text(), other.text()]);
  });
});

describe("Responses API: rate limit", () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ RATE_LIMIT_PER_MINUTE: "2" });
  });
  after(() => svc.close());

  test("the third request within the minute is 429 in OpenAI's shape", async () => {
    const codes = [];
    for (let i = 0; i < 3; i++)
      codes.push((await postJson(`${svc.url}/v1/responses`, { model: MODEL, input: "hi" })).status);
    assert.deepEqual(codes, [200, 200, 429]);
    const client = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: "unused", maxRetries: 0 });
    await assert.rejects(client.responses.retrieve("resp_x"), OpenAI.RateLimitError);
  });
});

/** Responses outlive the process with the sessions they continue. */
async function survivesRestart(env: Record<string, string>): Promise<void> {
  const first = await startService(env);
  let id: string;
  let sid: string;
  try {
    const client = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const response = await client.responses.create({
      model: MODEL,
      input: "My order has not arrived",
      user: `restart user ${Date.now()}`,
    });
    id = response.id;
    sid = (response as any).switchboard.session_id;
  } finally {
    await first.close();
  }
  const second = await startService(env);
  try {
    const client = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const fetched = await client.responses.retrieve(id);
    assert.match(fetched.output_text, /^Orders desk here/);
    const next = await client.responses.create({
      model: MODEL,
      input: "what should I do next?",
      previous_response_id: id,
    });
    assert.equal((next as any).switchboard.session_id, sid);
    assert.equal((next as any).switchboard.agent, "orders");
  } finally {
    await second.close();
  }
}

describe("Responses API: stored beside the sessions", () => {
  test("SESSION_STORE=sqlite: a response can be retrieved and continued after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-responses-"));
    try {
      await survivesRestart({ SESSION_STORE: "sqlite", SESSION_DB_PATH: join(dir, "sessions.db") });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("SESSION_STORE=postgres: a response can be retrieved and continued after a restart", async () => {
    const postgres = await startPostgres();
    try {
      await survivesRestart({ SESSION_STORE: "postgres", DATABASE_URL: postgres.url });
    } finally {
      await postgres.stop();
    }
  });
});
