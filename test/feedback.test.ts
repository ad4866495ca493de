// Feedback as scores, through the real service and a receiver on loopback: POST /api/v1/feedback
// turns thumbs, ratings and categories into one Langfuse score per trace, name and user, read
// back through the receiver's public scores API as Langfuse serves it; only the turn's own tenant
// and user may give it (anyone else, and an unknown trace, gets one and the same 404); bad bodies
// are a 400 naming the field and store nothing; feedback given while Langfuse refuses or cannot
// be reached is accepted and arrives once after; a Responses API response id reaches its trace;
// /metrics counts it all.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import OpenAI from "openai";
import { postJson, startService, type RunningService } from "./support/start-service.js";
import {
  AUTH,
  CALL_TIMEOUT_MS,
  getTrace,
  metricValue,
  startReceiver,
  tracedEnv,
  waitFor,
  type Receiver,
} from "./support/tracing-helpers.js";

const KEY_A = "sk-sb-feedback-tenant-alpha-0123456789";
const KEY_B = "sk-sb-feedback-tenant-bravo-0123456789";
const METRICS_KEY = "sk-sb-feedback-metrics-0123456789";
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
/** Outages and their end take a few probes of the delivery (1 s, then 2 s): more than the usual deadline. */
const OUTAGE_DEADLINE_MS = 15_000;
const opts = { timeout: 30_000 };

interface Score {
  id: string;
  traceId: string;
  name: string;
  value: number;
  stringValue: string | null;
  dataType: string;
  comment: string | null;
  source: string;
}

describe("feedback as scores (POST /api/v1/feedback)", () => {
  let dir: string;
  let receiver: Receiver;
  let svc: RunningService;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "feedback-"));
    receiver = await startReceiver({ port: 0, dbPath: join(dir, "receiver.db") });
    svc = await startService(
      tracedEnv(receiver, {
        API_KEYS: `${KEY_A},${KEY_B}`,
        METRICS_API_KEY: METRICS_KEY,
        LANGFUSE_JOURNAL: "true",
        LANGFUSE_JOURNAL_DIR: join(dir, "spool"),
        LANGFUSE_RETRY_DELAY: "0.2",
      }),
    );
  });

  after(async () => {
    await svc?.close();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One chat turn of `user` under `key`; its trace id. */
  async function turn(key: string, user: string, message = "Where is my order 1234?"): Promise<string> {
    const res = await postJson(`${svc.url}/api/v1/chat`, { message, user_id: user }, bearer(key));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.body.trace_id, /^[0-9a-f]{32}$/);
    return res.body.trace_id as string;
  }

  const feedback = (key: string, body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${svc.url}/api/v1/feedback`, body, { ...bearer(key), ...headers });

  /** The trace's scores, as Langfuse's v2 scores API lists them. */
  async function scoresOf(traceId: string): Promise<Score[]> {
    const res = await fetch(`${receiver.url}/api/public/v2/scores?traceId=${traceId}&limit=100`, {
      headers: { authorization: AUTH },
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { data: Score[] }).data;
  }

  /** Waits until the trace's scores satisfy `done`, and returns them. */
  const scoresWhen = (traceId: string, what: string, done: (scores: Score[]) => boolean, timeoutMs?: number) =>
    waitFor(
      `${what} on trace ${traceId}`,
      async () => {
        const scores = await scoresOf(traceId);
        return done(scores) ? scores : undefined;
      },
      timeoutMs,
    );

  async function metrics(): Promise<string> {
    const res = await fetch(`${svc.url}/metrics`, {
      headers: bearer(METRICS_KEY),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    assert.equal(res.status, 200);
    return res.text();
  }
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    metricValue(await metrics(), name, labels);

  test("thumbs, a rating and a category each land as one typed score on the answer's trace", opts, async () => {
    const delivered = await metric("switchboard_scores_delivered_total");
    const traceId = await turn(KEY_A, "alice");
    const other = await turn(KEY_A, "alice", "I was charged twice");

    const up = await feedback(KEY_A, { trace_id: traceId, user_id: "alice", value: true, comment: "spot on" });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    assert.deepEqual(Object.keys(up.body).sort(), ["name", "score_id", "trace_id"]);
    assert.equal(up.body.name, "user_feedback", "the default name");
    assert.equal(up.body.trace_id, traceId);
    const rating = await feedback(KEY_A, { trace_id: traceId, user_id: "alice", name: "rating", value: 4.5 });
    const topic = await feedback(KEY_A, {
      trace_id: traceId,
      user_id: "alice",
      name: "topic",
      value: "wrong_agent",
      comment: "it was about billing",
    });
    const down = await feedback(KEY_A, { trace_id: other, user_id: "alice", value: false });
    for (const res of [rating, topic, down]) assert.equal(res.status, 202, JSON.stringify(res.body));

    const scores = await scoresWhen(traceId, "three scores", (s) => s.length >= 3);
    const byName = new Map(scores.map((s) => [s.name, s]));
    assert.equal(scores.length, 3);
    assert.deepEqual(
      pick(byName.get("user_feedback")!),
      { id: up.body.score_id, value: 1, stringValue: "True", dataType: "BOOLEAN", comment: "spot on" },
      "true is a BOOLEAN 1",
    );
    assert.deepEqual(pick(byName.get("rating")!), {
      id: rating.body.score_id,
      value: 4.5,
      stringValue: null,
      dataType: "NUMERIC",
      comment: null,
    });
    assert.deepEqual(pick(byName.get("topic")!), {
      id: topic.body.score_id,
      value: 0,
      stringValue: "wrong_agent",
      dataType: "CATEGORICAL",
      comment: "it was about billing",
    });
    for (const s of scores) assert.equal(s.source, "API");
    const [thumbsDown] = await scoresWhen(other, "one score", (s) => s.length === 1);
    assert.deepEqual(pick(thumbsDown!), {
      id: down.body.score_id,
      value: 0,
      stringValue: "False",
      dataType: "BOOLEAN",
      comment: null,
    });

    // The score is on the very trace the turn produced: the receiver has that trace, of that user.
    const trace = await waitFor("the turn's trace", () => getTrace(receiver, traceId));
    assert.match(trace.userId ?? "", /alice$/);
    // And Langfuse's v1 endpoint serves it by id too.
    const one = await fetch(`${receiver.url}/api/public/scores/${up.body.score_id}`, {
      headers: { authorization: AUTH },
    });
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as Score).traceId, traceId);

    assert.equal(await metric("switchboard_scores_delivered_total"), delivered + 4, "/metrics counts each delivery");
    assert.equal(await metric("switchboard_scores_pending"), 0);
  });

  test(
    "a changed mind replaces the user's score: one score per trace, name and user, with the latest value",
    opts,
    async () => {
      const traceId = await turn(KEY_A, "alice");
      const first = await feedback(KEY_A, { trace_id: traceId, user_id: "alice", value: true });
      assert.equal(first.status, 202);
      await scoresWhen(traceId, "the thumbs up", (s) => s.length === 1 && s[0]!.value === 1);
      const second = await feedback(KEY_A, {
        trace_id: traceId,
        user_id: "alice",
        value: false,
        comment: "on second thought, no",
      });
      assert.equal(second.status, 202);
      assert.equal(second.body.score_id, first.body.score_id, "the same score id");
      const scores = await scoresWhen(traceId, "the thumbs down", (s) => s.some((x) => x.value === 0));
      assert.equal(scores.length, 1);
      assert.deepEqual(pick(scores[0]!), {
        id: first.body.score_id,
        value: 0,
        stringValue: "False",
        dataType: "BOOLEAN",
        comment: "on second thought, no",
      });
    },
  );

  test("a changed mind wins even when the first feedback's delivery had to be retried", opts, async () => {
    const traceId = await turn(KEY_A, "alice");
    const failures = await metric("switchboard_score_export_failures_total");
    // Langfuse refuses the first feedback's delivery once and asks for a retry in 2 s...
    receiver.faults.set({ endpoints: ["scores"], failRatio: 1, failStatus: 503, retryAfterSeconds: 2 });
    try {
      assert.equal((await feedback(KEY_A, { trace_id: traceId, user_id: "alice", value: true })).status, 202);
      await waitFor("the first delivery refused", async () =>
        (await metric("switchboard_score_export_failures_total")) > failures ? true : undefined,
      );
    } finally {
      receiver.faults.reset();
    }
    // ...meanwhile the user changes their mind, and that arrives at once.
    assert.equal((await feedback(KEY_A, { trace_id: traceId, user_id: "alice", value: false })).status, 202);
    await scoresWhen(traceId, "the thumbs down", (s) => s.length === 1 && s[0]!.value === 0);
    // The first feedback's retry comes after: it must not bring the old value back.
    await waitFor(
      "the scores journal empty",
      async () => ((await metric("switchboard_scores_pending")) === 0 ? true : undefined),
      OUTAGE_DEADLINE_MS,
    );
    const scores = await scoresOf(traceId);
    assert.equal(scores.length, 1);
    assert.equal(scores[0]!.value, 0, "the latest value stays");
  });

  test("another tenant's trace, another user's trace and an unknown trace are one and the same 404", opts, async () => {
    const traceId = await turn(KEY_A, "alice");
    const attempts = [
      // Another tenant, with the same user id.
      await feedback(KEY_B, { trace_id: traceId, user_id: "alice", value: false }),
      // Another user of the same tenant.
      await feedback(KEY_A, { trace_id: traceId, user_id: "mallory", value: false }),
      // A trace that does not exist.
      await feedback(KEY_A, { trace_id: "0123456789abcdef0123456789abcdef", user_id: "alice", value: false }),
    ];
    for (const res of attempts) assert.equal(res.status, 404, JSON.stringify(res.body));
    assert.equal(attempts[0]!.body.error.code, "trace_not_found");
    assert.equal(attempts[0]!.body.error.field, "trace_id");
    for (const res of attempts.slice(1))
      assert.deepEqual(res.body, attempts[0]!.body, "nothing tells a foreign trace from a missing one");
    // The owner's feedback is taken, and it is the only score on the trace.
    assert.equal((await feedback(KEY_A, { trace_id: traceId, user_id: "alice", value: true })).status, 202);
    const scores = await scoresWhen(traceId, "the owner's score", (s) => s.length === 1);
    assert.equal(scores[0]!.value, 1);
  });

  test("bad bodies are a 400 naming the field, and store nothing", opts, async () => {
    const traceId = await turn(KEY_A, "alice");
    const good = { trace_id: traceId, user_id: "alice", value: true };
    const cases: [unknown, string, RegExp][] = [
      [{ ...good, value: { up: true } }, "value", /value must be a boolean or a number or a string, not an object/],
      [{ ...good, value: [1] }, "value", /value must be a boolean or a number or a string, not an array/],
      [{ ...good, value: null }, "value", /value must be a boolean or a number or a string, not null/],
      [{ trace_id: traceId, user_id: "alice" }, "value", /value is required/],
      [{ ...good, value: "" }, "value", /value must not be empty/],
      [{ ...good, value: "x".repeat(501) }, "value", /value is too long: at most 500 characters/],
      [{ ...good, name: "" }, "name", /name must be 1-100 characters/],
      [{ ...good, name: "n".repeat(101) }, "name", /name must be 1-100 characters/],
      [{ ...good, name: "user feedback" }, "name", /name must be 1-100 characters of A-Z a-z 0-9 _ \. -/],
      [{ ...good, comment: "c".repeat(2001) }, "comment", /comment is too long: at most 2000 characters/],
      [{ user_id: "alice", value: true }, "trace_id", /trace_id/],
      [{ ...good, trace_id: "not-a-trace" }, "trace_id", /trace_id must be a trace id: 32 lowercase hex/],
      [{ ...good, trace_id: traceId.toUpperCase() }, "trace_id", /trace_id must be a trace id/],
      [{ ...good, trace_id: 42 }, "trace_id", /trace_id must be a string, not a number/],
      [{ ...good, user_id: undefined }, "user_id", /user_id is required/],
      [{ ...good, score: 1 }, "body", /body has keys that are not allowed: score/],
    ];
    for (const [body, field, message] of cases) {
      const res = await feedback(KEY_A, body);
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.field, field, JSON.stringify(res.body));
      assert.match(res.body.error.message, message);
    }
    for (const raw of ["[]", "null", '"thumbs up"']) {
      const res = await feedback(KEY_A, raw);
      assert.equal(res.status, 400, raw);
      assert.equal(res.body.error.code, "invalid_body");
    }
    // A valid one after them: scores are sent one at a time in order, so once it is there,
    // anything the bad ones had recorded would be there too.
    const ok = await feedback(KEY_A, { ...good, name: "barrier" });
    assert.equal(ok.status, 202);
    const scores = await scoresWhen(traceId, "the valid score", (s) => s.length >= 1);
    assert.deepEqual(
      scores.map((s) => s.name),
      ["barrier"],
    );
    assert.equal(await metric("switchboard_scores_pending"), 0);
  });

  test("Langfuse refusing scores: feedback is accepted, held, and arrives once after", opts, async () => {
    const traceId = await turn(KEY_A, "alice");
    const before = receiver.stats().scores;
    const failures = await metric("switchboard_score_export_failures_total");
    receiver.faults.set({ endpoints: ["scores"], failRatio: 1, failStatus: 503 });
    let scoreId: string;
    try {
      const res = await feedback(KEY_A, { trace_id: traceId, user_id: "alice", value: 2, name: "rating" });
      assert.equal(res.status, 202, "accepted while Langfuse refuses");
      scoreId = res.body.score_id;
      await waitFor("two refused deliveries (Langfuse counts as down)", async () =>
        (await metric("switchboard_score_export_failures_total")) >= failures + 2 ? true : undefined,
      );
      assert.equal(await metric("switchboard_scores_pending"), 1, "held in the scores journal");
      assert.deepEqual(await scoresOf(traceId), []);
    } finally {
      receiver.faults.reset();
    }
    const [score] = await scoresWhen(traceId, "the held score", (s) => s.length === 1, OUTAGE_DEADLINE_MS);
    assert.equal(score!.id, scoreId);
    assert.equal(score!.value, 2);
    await waitFor("the journal empty", async () =>
      (await metric("switchboard_scores_pending")) === 0 ? true : undefined,
    );
    const afterOutage = receiver.stats().scores;
    assert.equal(afterOutage.created - before.created, 1, "stored once");
    assert.equal(afterOutage.updated - before.updated, 0, "never sent again after it was stored");
    assert.equal(await metric("switchboard_scores_resent_total"), 0);
    assert.equal(await metric("switchboard_scores_dropped_total"), 0);
  });

  test("Langfuse unreachable: feedback is accepted, kept, and arrives once when it is back", opts, async () => {
    const traceId = await turn(KEY_A, "alice");
    const port = receiver.port;
    const failures = await metric("switchboard_score_export_failures_total", { reason: "network" });
    await receiver.close();
    const res = await feedback(KEY_A, { trace_id: traceId, user_id: "alice", value: "billing", name: "topic" });
    assert.equal(res.status, 202, "accepted while Langfuse cannot be reached");
    await waitFor("refused connections", async () =>
      (await metric("switchboard_score_export_failures_total", { reason: "network" })) >= failures + 2
        ? true
        : undefined,
    );
    assert.equal(await metric("switchboard_scores_pending"), 1);
    // Back on the same port, with the same data folder.
    receiver = await startReceiver({ port, dbPath: join(dir, "receiver.db") });
    const [score] = await scoresWhen(traceId, "the kept score", (s) => s.length === 1, OUTAGE_DEADLINE_MS);
    assert.equal(score!.id, res.body.score_id);
    assert.equal(score!.stringValue, "billing");
    await waitFor("the journal empty", async () =>
      (await metric("switchboard_scores_pending")) === 0 ? true : undefined,
    );
    assert.deepEqual(
      { created: receiver.stats().scores.created, updated: receiver.stats().scores.updated },
      { created: 1, updated: 0 },
      "delivered exactly once",
    );
  });

  test(
    "the OpenAI surface: feedback by response id reaches the response's trace; another user's or tenant's is a 404",
    opts,
    async () => {
      const client = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: KEY_A, maxRetries: 0 });
      const response = await client.responses.create({
        model: "switchboard-router",
        input: "I was charged twice for my order",
        user: "carol",
      });
      const traceId = (response as unknown as { switchboard: { trace_id: string } }).switchboard.trace_id;
      assert.match(traceId, /^[0-9a-f]{32}$/);

      const res = await feedback(KEY_A, { response_id: response.id, value: false, comment: "not refunded" });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.trace_id, traceId);
      const [score] = await scoresWhen(traceId, "the response's score", (s) => s.length === 1);
      assert.deepEqual(pick(score!), {
        id: res.body.score_id,
        value: 0,
        stringValue: "False",
        dataType: "BOOLEAN",
        comment: "not refunded",
      });
      // Naming its own user changes nothing: the same score.
      const again = await feedback(KEY_A, { response_id: response.id, user_id: "carol", value: true });
      assert.equal(again.status, 202);
      assert.equal(again.body.score_id, res.body.score_id);

      const refused = [
        await feedback(KEY_A, { response_id: response.id, user_id: "dave", value: true }),
        // The OpenAI endpoints' user header, as a deployment's proxy sets it, names the caller too.
        await feedback(KEY_A, { response_id: response.id, value: true }, { "x-user-id": "dave" }),
        await feedback(KEY_B, { response_id: response.id, value: true }),
        await feedback(KEY_A, { response_id: "resp_0123456789abcdef0123456789abcdef", value: true }),
      ];
      for (const r of refused) assert.equal(r.status, 404, JSON.stringify(r.body));
      for (const r of refused) assert.deepEqual(r.body, refused[3]!.body, "the same 404 for all");
      assert.equal(refused[3]!.body.error.field, "response_id");
      const scores = await scoresWhen(traceId, "carol's change of mind", (s) => s.length === 1 && s[0]!.value === 1);
      assert.equal(scores.length, 1, "nobody else's feedback was stored");
      assert.equal(
        (await feedback(KEY_A, { response_id: response.id, trace_id: traceId, value: true })).body.error.field,
        "response_id",
        "a trace id and a response id at once are refused",
      );
    },
  );

  test("docs/openai-clients.md's feedback example runs as shown: an openai client call, then fetch", opts, async () => {
    const source = readFileSync("docs/examples/openai-feedback.mjs", "utf8");
    const page = readFileSync("docs/openai-clients.md", "utf8");
    assert.ok(
      page.includes(source.trim()),
      "docs/openai-clients.md must contain docs/examples/openai-feedback.mjs verbatim",
    );
    const { stdout } = await promisify(execFile)(process.execPath, ["docs/examples/openai-feedback.mjs"], {
      env: { ...process.env, SWITCHBOARD_URL: `${svc.url}/v1`, SWITCHBOARD_API_KEY: KEY_A },
      timeout: 20_000,
    });
    const printed = /^feedback recorded: score (\S+) on trace ([0-9a-f]{32})$/m.exec(stdout);
    assert.ok(printed, stdout);
    const [score] = await scoresWhen(printed[2]!, "the example's score", (s) => s.length === 1);
    assert.equal(score!.id, printed[1]);
    assert.equal(score!.value, 0);
    assert.equal(score!.comment, "the refund never arrived");
  });
});

function pick(score: Score) {
  return {
    id: score.id,
    value: score.value,
    stringValue: score.stringValue,
    dataType: score.dataType,
    comment: score.comment,
  };
}
