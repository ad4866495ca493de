// Langfuse's scores API on the receiver, over real HTTP: POST upserts by id (an id is made when
// none is sent), values checked per data type as Langfuse checks them, the v1/v2/v3 reads with
// their filters and shapes, scores on legacy traces, Bearer public keys, faults that lose the
// answer after the score was stored, persistence, retention, and the official SDK's API client.
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LangfuseAPIClient } from "@langfuse/core";
import { startReceiver, type Receiver } from "./receiver.js";
import { DEV_KEY_PAIR } from "./basic-auth.js";
import {
  DEV_AUTH,
  getJson,
  hexId,
  otlpJsonBody,
  postIngest,
  TEST_TIMEOUT_MS,
} from "../../test/support/receiver-http.js";

const opts = { timeout: TEST_TIMEOUT_MS };
const HOUR = 3_600_000;

async function postScore(
  receiver: Receiver,
  body: unknown,
  auth: string | null = DEV_AUTH,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${receiver.url}/api/public/scores`, {
    method: "POST",
    headers: { ...(auth === null ? {} : { authorization: auth }), "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, body: await res.json() };
}

/** A stored trace: a root with its user, session, tags and environment, and one generation. */
async function ingestTrace(
  receiver: Receiver,
  context: { userId: string; sessionId?: string; tags?: string[]; environment?: string },
  startMs = Date.now(),
): Promise<{ traceId: string; generationId: string }> {
  const traceId = hexId(16);
  const root = hexId(8);
  const generationId = hexId(8);
  const attributes: Record<string, string> = { "user.id": context.userId };
  if (context.sessionId) attributes["session.id"] = context.sessionId;
  if (context.tags) attributes["langfuse.trace.tags"] = JSON.stringify(context.tags);
  if (context.environment) attributes["langfuse.environment"] = context.environment;
  const res = await postIngest(
    receiver,
    otlpJsonBody([
      {
        traceId,
        spanId: generationId,
        parentSpanId: root,
        name: "agent_reply",
        startMs: startMs + 1,
        endMs: startMs + 5,
        attributes: { ...attributes, "langfuse.observation.type": "generation" },
      },
      { traceId, spanId: root, name: "chat", startMs, endMs: startMs + 10, attributes },
    ]),
  );
  assert.equal(res.status, 200);
  return { traceId, generationId };
}

test("POST makes an id when none is sent; the same id again replaces the score, never adds one", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const { traceId } = await ingestTrace(receiver, { userId: "alice" });
    const made = await postScore(receiver, { traceId, name: "user_feedback", value: 1, dataType: "BOOLEAN" });
    assert.equal(made.status, 200);
    assert.match(made.body.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(Object.keys(made.body), ["id"]);
    // An empty id counts as none, as `body.id || randomUUID()` in Langfuse's route.
    assert.match((await postScore(receiver, { id: "", traceId, name: "n", value: 1 })).body.id, /^[0-9a-f-]{36}$/);

    const id = `${traceId}-feedback`;
    const body = { id, traceId, name: "user_feedback", value: 0, dataType: "BOOLEAN", comment: "wrong desk" };
    assert.deepEqual(await postScore(receiver, body), { status: 200, body: { id } });
    // A retry of the same score, then a change of mind: still one score under that id.
    assert.deepEqual(await postScore(receiver, body), { status: 200, body: { id } });
    await postScore(receiver, { ...body, value: 1, comment: "fixed now" });
    const mine = await getJson(receiver, `/api/public/v2/scores?traceId=${traceId}&name=user_feedback`);
    const byId = mine.body.data.filter((s: any) => s.id === id);
    assert.equal(byId.length, 1);
    assert.deepEqual([byId[0].value, byId[0].stringValue, byId[0].comment], [1, "True", "fixed now"]);
    assert.equal(mine.body.meta.totalItems, 2, "the generated-id score and this one");
    const v3 = await getJson(receiver, `/api/public/v3/scores?traceId=${traceId}&id=${encodeURIComponent(id)}`);
    assert.equal(v3.body.data.length, 1);
    assert.deepEqual(receiver.stats().scores, { created: 3, updated: 2, dropped: 0, stored: 3 });
  } finally {
    await receiver.close();
  }
});

test(
  "values by data type, as Langfuse's worker stores them, and the data type inferred when none is sent",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const { traceId, generationId } = await ingestTrace(receiver, { userId: "bob", sessionId: "s-bob" });
      const post = async (id: string, body: Record<string, unknown>) => {
        const res = await postScore(receiver, { id, traceId, ...body });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      };
      await post("bool", { name: "thumbs", value: 1, dataType: "BOOLEAN" });
      await post("num", { name: "rating", value: 4.5, dataType: "NUMERIC", observationId: generationId });
      await post("cat", { name: "topic", value: "billing", dataType: "CATEGORICAL" });
      await post("inferred-num", { name: "latency_ok", value: 0.25 });
      await post("inferred-cat", { name: "tone", value: "friendly" });
      await post("text", { name: "note", value: "free text", dataType: "TEXT" });
      await post("correction", { name: "anything", value: "the right answer", dataType: "CORRECTION" });
      const session = await postScore(receiver, { id: "session", sessionId: "s-bob", name: "csat", value: 5 });
      assert.equal(session.status, 200);

      const { body } = await getJson(receiver, "/api/public/v2/scores?fields=score&limit=100");
      const byId = Object.fromEntries(body.data.map((s: any) => [s.id, s]));
      const shape = (id: string) => {
        const s = byId[id];
        return [s.name, s.dataType, "value" in s ? s.value : "(none)", s.stringValue];
      };
      assert.deepEqual(shape("bool"), ["thumbs", "BOOLEAN", 1, "True"]);
      assert.deepEqual(shape("num"), ["rating", "NUMERIC", 4.5, null]);
      assert.deepEqual(shape("cat"), ["topic", "CATEGORICAL", 0, "billing"]);
      assert.deepEqual(shape("inferred-num"), ["latency_ok", "NUMERIC", 0.25, null]);
      assert.deepEqual(shape("inferred-cat"), ["tone", "CATEGORICAL", 0, "friendly"]);
      assert.deepEqual(shape("text"), ["note", "TEXT", "(none)", "free text"]);
      assert.deepEqual(shape("correction"), ["output", "CORRECTION", 0, "the right answer"]);
      assert.deepEqual([byId["num"].observationId, byId["num"].traceId], [generationId, traceId]);
      assert.deepEqual([byId["session"].sessionId, byId["session"].traceId], ["s-bob", null]);
      assert.deepEqual(Object.keys(byId["bool"]).sort(), [
        "authorUserId",
        "comment",
        "configId",
        "createdAt",
        "dataType",
        "datasetRunId",
        "environment",
        "executionTraceId",
        "id",
        "metadata",
        "name",
        "observationId",
        "projectId",
        "queueId",
        "sessionId",
        "source",
        "stringValue",
        "timestamp",
        "trace",
        "traceId",
        "updatedAt",
        "value",
      ]);
      assert.deepEqual(
        [byId["bool"].source, byId["bool"].projectId, byId["bool"].environment],
        ["API", "local", "default"],
      );

      // v3: one polymorphic value.
      const v3 = await getJson(receiver, "/api/public/v3/scores?limit=100&fields=core,subject");
      const v3ById = Object.fromEntries(v3.body.data.map((s: any) => [s.id, s]));
      assert.deepEqual(
        ["bool", "num", "cat", "text", "correction"].map((id) => v3ById[id].value),
        [true, 4.5, "billing", "free text", "the right answer"],
      );
      assert.deepEqual(v3ById["num"].subject, { kind: "observation", id: generationId, traceId });
      assert.deepEqual(v3ById["session"].subject, { kind: "session", id: "s-bob" });
      assert.deepEqual(v3ById["bool"].subject, { kind: "trace", id: traceId });
    } finally {
      await receiver.close();
    }
  },
);

test("what Langfuse refuses is refused the same way, naming the field, and nothing is stored", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const issues = async (body: unknown) => {
      const res = await postScore(receiver, body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.message, "Invalid request data");
      return JSON.stringify(res.body.error);
    };
    assert.match(
      await issues({ traceId: "t", name: "thumbs", value: 2, dataType: "BOOLEAN" }),
      /Value must be a number equal to either 0 or 1 for data type BOOLEAN/,
    );
    assert.match(await issues({ traceId: "t", name: "n", value: "high", dataType: "NUMERIC" }), /"value"/);
    assert.match(await issues({ traceId: "t", name: "n", value: 3, dataType: "CATEGORICAL" }), /"value"/);
    assert.match(await issues({ traceId: "t", name: "n", value: "x".repeat(501), dataType: "TEXT" }), /"value"/);
    assert.match(await issues({ traceId: "t", name: "", value: 1 }), /"name"/);
    assert.match(await issues({ traceId: "t", name: "n" }), /"value"/);
    assert.match(
      await issues({ name: "n", value: 1 }),
      /Provide exactly one of the following: traceId \(with optional observationId\), sessionId or datasetRunId/,
    );
    assert.match(
      await issues({ sessionId: "s", observationId: "o", name: "n", value: 1 }),
      /ObservationId requires traceId/,
    );
    // A trace score that also names the trace's session is refused: Langfuse shows a trace's
    // scores on its session by itself, and takes one reference only.
    assert.match(
      await issues({ traceId: "t", sessionId: "s", name: "user_feedback", value: 1, dataType: "BOOLEAN" }),
      /Provide exactly one of the following/,
    );
    assert.match(
      await issues({ traceId: "t", name: "n", value: 1, source: "ANNOTATION" }),
      /configId is required when source is ANNOTATION/,
    );
    assert.match(await issues({ traceId: "t", name: "n", value: 1, source: "EVAL" }), /"source"/);
    // The ingestion event's id rule comes after the body's: its message only.
    const crlf = await postScore(receiver, { id: "a\rb", traceId: "t", name: "n", value: 1 });
    assert.equal(crlf.status, 400);
    assert.match(crlf.body.message, /ID cannot contain carriage return characters/);
    assert.deepEqual(Object.keys(crlf.body), ["message"]);
    assert.deepEqual(await postScore(receiver, "{oops"), {
      status: 400,
      body: { message: "Invalid JSON", error: "InvalidRequestError" },
    });
    assert.equal(receiver.stats().scores.stored, 0);
  } finally {
    await receiver.close();
  }
});

test(
  "environments are normalized, a configId the receiver has no config for is answered and dropped",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const post = (id: string, environment: string) =>
        postScore(receiver, { id, traceId: "t", name: "n", value: 1, environment });
      await post("e1", "Production");
      await post("e2", "langfuse-staging");
      await post("e3", "not valid!");
      const { body } = await getJson(receiver, "/api/public/v3/scores");
      assert.deepEqual(Object.fromEntries(body.data.map((s: any) => [s.id, s.environment])), {
        e1: "production",
        e2: "staging",
        e3: "default",
      });
      // Langfuse's worker drops it: "The configId you provided does not match a valid config in this project".
      const configured = await postScore(receiver, { id: "cfg", traceId: "t", name: "n", value: 1, configId: "c-1" });
      assert.deepEqual(configured, { status: 200, body: { id: "cfg" } });
      assert.equal((await getJson(receiver, "/api/public/v2/scores/cfg")).status, 404);
      assert.deepEqual(receiver.stats().scores, { created: 3, updated: 0, dropped: 1, stored: 3 });
    } finally {
      await receiver.close();
    }
  },
);

test("the v2 list: filters on the score and on its trace, the trace joined in, pages", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const alice = await ingestTrace(receiver, { userId: "alice", sessionId: "s-a", tags: ["endpoint:chat"] });
    const bob = await ingestTrace(receiver, { userId: "bob", tags: ["endpoint:openai"], environment: "staging" });
    const post = async (body: Record<string, unknown>) =>
      assert.equal((await postScore(receiver, { name: "user_feedback", ...body })).status, 200);
    await post({ id: "a-up", traceId: alice.traceId, value: 1, dataType: "BOOLEAN" });
    await post({ id: "a-obs", traceId: alice.traceId, observationId: alice.generationId, value: 3, name: "rating" });
    await post({ id: "b-down", traceId: bob.traceId, value: 0, dataType: "BOOLEAN", environment: "staging" });
    await post({ id: "lost", traceId: hexId(16), value: 1, dataType: "BOOLEAN" });
    await post({ id: "sess", sessionId: "s-a", value: 5, name: "csat" });

    const ids = async (query: string) =>
      (await getJson(receiver, `/api/public/v2/scores?${query}`)).body.data.map((s: any) => s.id).sort();
    // With the trace in the answer (the default), a score whose trace is not stored is left out, as Langfuse's join leaves it out.
    assert.deepEqual(await ids(""), ["a-obs", "a-up", "b-down", "sess"]);
    assert.deepEqual(await ids("fields=score"), ["a-obs", "a-up", "b-down", "lost", "sess"]);
    assert.deepEqual(await ids(`traceId=${alice.traceId}`), ["a-obs", "a-up"]);
    assert.deepEqual(await ids("userId=bob"), ["b-down"]);
    assert.deepEqual(await ids("traceTags=endpoint:chat"), ["a-obs", "a-up"]);
    assert.deepEqual(await ids("name=rating"), ["a-obs"]);
    assert.deepEqual(await ids("dataType=BOOLEAN&fields=score"), ["a-up", "b-down", "lost"]);
    assert.deepEqual(await ids(`observationId=${alice.generationId},other`), ["a-obs"]);
    assert.deepEqual(await ids("sessionId=s-a"), ["sess"]);
    assert.deepEqual(await ids("value=2&operator=>"), ["a-obs", "sess"]);
    assert.deepEqual(await ids("value=2"), ["a-obs", "a-up", "b-down", "sess"], "without an operator, no value filter");
    assert.deepEqual(await ids("environment=staging"), ["b-down"]);
    assert.deepEqual(await ids("scoreIds=a-up,sess"), ["a-up", "sess"]);
    assert.deepEqual(await ids(`fromTimestamp=${encodeURIComponent(new Date(Date.now() + HOUR).toISOString())}`), []);

    const full = await getJson(receiver, `/api/public/v2/scores?traceId=${alice.traceId}&name=user_feedback`);
    assert.deepEqual(full.body.data[0].trace, {
      userId: "alice",
      tags: ["endpoint:chat"],
      environment: "default",
      sessionId: "s-a",
    });
    assert.equal((await getJson(receiver, "/api/public/v2/scores?sessionId=s-a")).body.data[0].trace, null);
    const page = await getJson(receiver, "/api/public/v2/scores?limit=3&page=2");
    assert.deepEqual(page.body.meta, { page: 2, limit: 3, totalItems: 4, totalPages: 2 });
    assert.equal(page.body.data.length, 1);

    const refused = async (query: string, message: RegExp) => {
      const res = await getJson(receiver, `/api/public/v2/scores?${query}`);
      assert.equal(res.status, 400, query);
      assert.match(JSON.stringify(res.body), message);
    };
    await refused("fields=trace", /Scores needs to be selected always/);
    await refused("fields=score&userId=alice", /Cannot filter by trace properties/);
    await refused("limit=101", /"limit"/);
    await refused("dataType=GOOD", /"dataType"/);
    await refused(`filter=${encodeURIComponent("[]")}`, /does not implement the structured `filter`/);
  } finally {
    await receiver.close();
  }
});

test("one score by id (v1, v2), the v1 list of trace scores, delete, and the legacy trace's scores", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const { traceId } = await ingestTrace(receiver, { userId: "carol" });
    await postScore(receiver, { id: "t-score", traceId, name: "user_feedback", value: 1, dataType: "BOOLEAN" });
    await postScore(receiver, { id: "s-score", sessionId: "s", name: "csat", value: 4 });
    await postScore(receiver, { id: "fix", traceId, name: "x", value: "better", dataType: "CORRECTION" });

    const v2 = await getJson(receiver, "/api/public/v2/scores/s-score");
    assert.deepEqual([v2.status, v2.body.sessionId, "trace" in v2.body], [200, "s", false]);
    const v1 = await getJson(receiver, "/api/public/scores/t-score");
    assert.equal(v1.status, 200);
    assert.equal("sessionId" in v1.body, false, "v1 scores have no session or run reference");
    // v1 reads trace scores of the listable types only.
    assert.deepEqual(await getJson(receiver, "/api/public/scores/s-score"), {
      status: 404,
      body: { message: "Score not found", error: "LangfuseNotFoundError" },
    });
    assert.equal((await getJson(receiver, "/api/public/scores/fix")).status, 404);
    const list = await getJson(receiver, "/api/public/scores");
    assert.deepEqual(
      list.body.data.map((s: any) => [s.id, s.trace]),
      [["t-score", { userId: "carol", tags: [], environment: "default" }]],
    );

    const legacy = await getJson(receiver, `/api/public/traces/${traceId}`);
    assert.deepEqual(
      legacy.body.scores.map((s: any) => [s.id, s.name, s.value, s.stringValue]),
      [["t-score", "user_feedback", 1, "True"]],
    );
    const traces = await getJson(receiver, "/api/public/traces");
    assert.deepEqual(traces.body.data[0].scores, ["t-score"]);

    const deleted = await fetch(`${receiver.url}/api/public/scores/t-score`, {
      method: "DELETE",
      headers: { authorization: DEV_AUTH },
    });
    assert.deepEqual([deleted.status, await deleted.json()], [202, { message: "Score deletion queued successfully" }]);
    assert.equal((await getJson(receiver, "/api/public/v2/scores/t-score")).status, 404);
  } finally {
    await receiver.close();
  }
});

test("the v3 list: cursor pages newest first, field groups, and the parameters it refuses", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const { traceId, generationId } = await ingestTrace(receiver, { userId: "dan" });
    for (let i = 0; i < 5; i++) {
      await postScore(receiver, {
        id: `s${i}`,
        traceId,
        name: "rating",
        value: i,
        comment: `c${i}`,
        metadata: { n: i },
      });
      await new Promise((r) => setTimeout(r, 3));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await getJson(receiver, `/api/public/v3/scores?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      assert.equal(res.status, 200);
      seen.push(...res.body.data.map((s: any) => s.id));
      cursor = res.body.meta.cursor;
      assert.equal(res.body.meta.limit, 2);
    } while (cursor);
    assert.deepEqual(seen, ["s4", "s3", "s2", "s1", "s0"]);

    const core = (await getJson(receiver, "/api/public/v3/scores?id=s1")).body.data[0];
    assert.deepEqual(Object.keys(core).sort(), [
      "createdAt",
      "dataType",
      "environment",
      "id",
      "name",
      "projectId",
      "source",
      "timestamp",
      "updatedAt",
      "value",
    ]);
    const details = (await getJson(receiver, "/api/public/v3/scores?id=s1&fields=core,details,annotation")).body
      .data[0];
    assert.deepEqual(
      [details.comment, details.metadata, details.configId, details.authorUserId],
      ["c1", { n: 1 }, null, null],
    );
    assert.deepEqual(
      (await getJson(receiver, "/api/public/v3/scores?dataType=numeric&valueMin=2&valueMax=3")).body.data.map(
        (s: any) => s.id,
      ),
      ["s3", "s2"],
    );
    assert.deepEqual(
      (await getJson(receiver, "/api/public/v3/scores?dataType=NUMERIC&value=0,4")).body.data.map((s: any) => s.id),
      ["s4", "s0"],
    );

    const refused = async (query: string, message: RegExp) => {
      const res = await getJson(receiver, `/api/public/v3/scores?${query}`);
      assert.equal(res.status, 400, query);
      assert.match(JSON.stringify(res.body), message);
    };
    await refused("page=2", /unrecognized_keys/);
    await refused("userId=dan", /userId filter requires a trace JOIN and is not supported in v3/);
    await refused(`observationId=${generationId}`, /observationId filter requires traceId/);
    await refused(`traceId=${traceId}&sessionId=s`, /At most one of traceId, sessionId, experimentId/);
    await refused("valueMin=1", /valueMin and valueMax require dataType=NUMERIC/);
    await refused("fields=everything", /"fields"/);
    const badCursor = await getJson(receiver, "/api/public/v3/scores?cursor=%%%");
    assert.deepEqual(badCursor, {
      status: 400,
      body: { message: "Invalid cursor format", error: "InvalidRequestError" },
    });
  } finally {
    await receiver.close();
  }
});

test("a public key alone (Bearer) may create scores and nothing else; no key at all is a 401", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const bearer = `Bearer ${DEV_KEY_PAIR.publicKey}`;
    const created = await postScore(receiver, { id: "from-browser", traceId: "t", name: "thumbs", value: 1 }, bearer);
    assert.deepEqual(created, { status: 200, body: { id: "from-browser" } });
    const read = await getJson(receiver, "/api/public/v2/scores", bearer);
    assert.deepEqual(read, {
      status: 403,
      body: { message: "Access denied - insufficient permissions for this endpoint" },
    });
    assert.equal(
      (await postScore(receiver, { traceId: "t", name: "n", value: 1 }, "Bearer pk-someone-else")).status,
      401,
    );
    assert.deepEqual(await postScore(receiver, { traceId: "t", name: "n", value: 1 }, null), {
      status: 401,
      body: { message: "No authorization header" },
    });
    assert.equal(receiver.stats().scores.stored, 1);
  } finally {
    await receiver.close();
  }
});

/** A POST with no client timeout: resolves with the answer, or with how the connection ended. */
function rawPostScore(receiver: Receiver, body: unknown): Promise<{ status: number } | { cut: string }> {
  return new Promise((resolve) => {
    const req = request(`${receiver.url}/api/public/scores`, {
      method: "POST",
      headers: { authorization: DEV_AUTH, "content-type": "application/json" },
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on("error", (err) => resolve({ cut: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(JSON.stringify(body));
  });
}

test(
  "a score stored whose answer was lost, then sent again under its id, is one score; an injected outage stores nothing",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const score = { id: "feedback-turn-7", traceId: "t7", name: "user_feedback", value: 0, dataType: "BOOLEAN" };
      receiver.faults.set({ endpoints: ["scores"], afterStore: "reset" });
      const lost = await rawPostScore(receiver, score);
      assert.ok("cut" in lost, `the client saw its connection cut: ${JSON.stringify(lost)}`);
      receiver.faults.reset();
      assert.deepEqual(await postScore(receiver, score), { status: 200, body: { id: "feedback-turn-7" } });
      const { body } = await getJson(receiver, "/api/public/v3/scores?traceId=t7");
      assert.deepEqual(
        body.data.map((s: any) => s.id),
        ["feedback-turn-7"],
      );
      assert.deepEqual(receiver.stats().scores, { created: 1, updated: 1, dropped: 0, stored: 1 });

      receiver.faults.set({ endpoints: ["scores"], failRatio: 1, failStatus: 503 });
      assert.deepEqual(await postScore(receiver, { ...score, id: "during-outage" }), {
        status: 503,
        body: { message: "injected failure (receiver fault)", error: "Service Unavailable" },
      });
      const spans = otlpJsonBody([{ traceId: hexId(16), spanId: hexId(8), name: "chat" }]);
      assert.equal((await postIngest(receiver, spans)).status, 200, "spans still arrive");
      assert.equal((await getJson(receiver, "/api/public/v2/scores/during-outage")).status, 404);
    } finally {
      await receiver.close();
    }
  },
);

test("scores are kept in the receiver's file across restarts and swept with their trace", opts, async () => {
  const dir = mkdtempSync(join(tmpdir(), "receiver-scores-"));
  const dbPath = join(dir, "receiver.db");
  try {
    const first = await startReceiver({ port: 0, dbPath });
    try {
      const old = await ingestTrace(first, { userId: "eve" }, Date.now() - 3 * HOUR);
      const recent = await ingestTrace(first, { userId: "eve" }, Date.now() - HOUR);
      await postScore(first, { id: "on-old", traceId: old.traceId, name: "n", value: 1 });
      await postScore(first, { id: "on-recent", traceId: recent.traceId, name: "n", value: 1 });
      await postScore(first, { id: "orphan", traceId: hexId(16), name: "n", value: 1 });
      await postScore(first, { id: "session", sessionId: "s", name: "n", value: 1 });
    } finally {
      await first.close();
    }
    const second = await startReceiver({ port: 0, dbPath, traceTtlMs: 2 * HOUR, sweepIntervalMs: 60 * 60_000 });
    try {
      assert.equal(second.stats().scores.stored, 4, "all four survived the restart");
      assert.equal(await second.sweep(), 1);
      const left = await getJson(second, "/api/public/v3/scores");
      // The old trace's score went with it; the others are younger than the TTL.
      assert.deepEqual(left.body.data.map((s: any) => s.id).sort(), ["on-recent", "orphan", "session"]);
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  "scores past the TTL that belong to no stored trace are swept too; a trace's scores stay while it does",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0, traceTtlMs: 50, sweepIntervalMs: 60 * 60_000 });
    try {
      await postScore(receiver, { id: "orphan", traceId: hexId(16), name: "n", value: 1 });
      await postScore(receiver, { id: "session", sessionId: "s", name: "n", value: 1 });
      // A trace that started in the future (a skewed clock) is not swept; neither is its score.
      const future = await ingestTrace(receiver, { userId: "f" }, Date.now() + HOUR);
      await postScore(receiver, { id: "kept", traceId: future.traceId, name: "n", value: 1 });
      await new Promise((r) => setTimeout(r, 80));
      await receiver.sweep();
      const left = await getJson(receiver, "/api/public/v3/scores");
      assert.deepEqual(
        left.body.data.map((s: any) => s.id),
        ["kept"],
      );
    } finally {
      await receiver.close();
    }
  },
);

test("the official SDK's API client creates and reads scores on the receiver (v2 and v3)", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const { traceId } = await ingestTrace(receiver, { userId: "sdk-user" });
    const api = new LangfuseAPIClient({
      environment: receiver.url,
      username: DEV_KEY_PAIR.publicKey,
      password: DEV_KEY_PAIR.secretKey,
    });
    const created = await api.scores.create({
      id: "sdk-score",
      traceId,
      name: "user_feedback",
      value: 1,
      dataType: "BOOLEAN",
      comment: "from the SDK",
    });
    assert.equal(created.id, "sdk-score");
    const many = await api.scores.getMany({ traceId });
    assert.deepEqual(
      many.data.map((s: any) => [s.id, s.value, s.comment, s.trace?.userId]),
      [["sdk-score", 1, "from the SDK", "sdk-user"]],
    );
    const one = await api.scores.getById("sdk-score");
    assert.equal(one.name, "user_feedback");
    const v3 = await api.scoresV3.getManyV3({ traceId, fields: "core,details" });
    assert.deepEqual(
      v3.data.map((s: any) => [s.id, s.value, s.comment]),
      [["sdk-score", true, "from the SDK"]],
    );
  } finally {
    await receiver.close();
  }
});
