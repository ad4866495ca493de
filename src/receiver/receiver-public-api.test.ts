// The legacy public API read side: filters, paging, ordering, 404s, and traces rolled up from
// rows that arrive in separate requests in any order.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startReceiver, type Receiver } from "./receiver.js";
import { getJson, hexId, otlpJsonBody, postIngest, TEST_TIMEOUT_MS } from "../../test/support/receiver-http.js";

const opts = { timeout: TEST_TIMEOUT_MS };

async function ingestTrace(receiver: Receiver, attrs: Record<string, string>, startMs: number): Promise<string> {
  const traceId = hexId(16);
  const res = await postIngest(
    receiver,
    otlpJsonBody([{ traceId, spanId: hexId(8), name: "turn", attributes: attrs, startMs, endMs: startMs + 10 }]),
  );
  assert.equal(res.status, 200);
  return traceId;
}

test("trace list filters by userId, sessionId, name and tags, newest first, with paging meta", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const t0 = Date.parse("2025-01-01T00:00:00Z");
    const a1 = await ingestTrace(
      receiver,
      { "user.id": "alice", "session.id": "s1", "langfuse.trace.name": "chat", "langfuse.trace.tags": '["x"]' },
      t0,
    );
    const a2 = await ingestTrace(
      receiver,
      { "user.id": "alice", "session.id": "s2", "langfuse.trace.name": "chat" },
      t0 + 1000,
    );
    const b1 = await ingestTrace(
      receiver,
      { "user.id": "bob", "session.id": "s1", "langfuse.trace.name": "other" },
      t0 + 2000,
    );

    const alice = await getJson(receiver, "/api/public/traces?userId=alice");
    assert.deepEqual(
      alice.body.data.map((t: any) => t.id),
      [a2, a1],
    );
    assert.deepEqual(alice.body.meta, { page: 1, limit: 50, totalItems: 2, totalPages: 1 });

    const s1 = await getJson(receiver, "/api/public/traces?sessionId=s1");
    assert.deepEqual(
      s1.body.data.map((t: any) => t.id),
      [b1, a1],
    );

    const both = await getJson(receiver, "/api/public/traces?userId=alice&sessionId=s1");
    assert.deepEqual(
      both.body.data.map((t: any) => t.id),
      [a1],
    );

    const named = await getJson(receiver, "/api/public/traces?name=other");
    assert.deepEqual(
      named.body.data.map((t: any) => t.id),
      [b1],
    );

    const tagged = await getJson(receiver, "/api/public/traces?tags=x");
    assert.deepEqual(
      tagged.body.data.map((t: any) => t.id),
      [a1],
    );

    const nobody = await getJson(receiver, "/api/public/traces?userId=carol");
    assert.deepEqual(nobody.body, { data: [], meta: { page: 1, limit: 50, totalItems: 0, totalPages: 0 } });

    const page2 = await getJson(receiver, "/api/public/traces?limit=2&page=2");
    assert.deepEqual(
      page2.body.data.map((t: any) => t.id),
      [a1],
    );
    assert.deepEqual(page2.body.meta, { page: 2, limit: 2, totalItems: 3, totalPages: 2 });
    assert.equal(page2.body.data[0].observations.length, 1);

    const bad = await getJson(receiver, "/api/public/traces?limit=0");
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /limit/);
  } finally {
    await receiver.close();
  }
});

test("unknown trace or observation ids get 404; unknown paths get 404", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const trace = await getJson(receiver, `/api/public/traces/${hexId(16)}`);
    assert.equal(trace.status, 404);
    assert.match(trace.body.message, /not found/);
    assert.equal((await getJson(receiver, `/api/public/observations/${hexId(8)}`)).status, 404);
    assert.equal((await getJson(receiver, "/api/public/nothing")).status, 404);
    assert.equal((await getJson(receiver, "/api/public/health", null)).body.status, "OK");
  } finally {
    await receiver.close();
  }
});

test("a trace rolls up from rows in separate requests, children before the root", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const traceId = hexId(16);
    const rootId = hexId(8);
    const childId = hexId(8);
    const t0 = Date.parse("2025-02-01T10:00:00Z");
    // The child ends first and is exported first; it carries propagated trace attributes.
    await postIngest(
      receiver,
      otlpJsonBody([
        {
          traceId,
          spanId: childId,
          parentSpanId: rootId,
          name: "classifier",
          startMs: t0 + 5,
          endMs: t0 + 50,
          attributes: {
            "user.id": "u9",
            "session.id": "s9",
            "langfuse.trace.tags": '["late"]',
            "gen_ai.request.model": "gpt-x",
            "gen_ai.usage.input_tokens": 7,
            "gen_ai.usage.output_tokens": 2,
            "langfuse.trace.metadata.region": "eu",
          },
        },
      ]),
    );
    const early = await getJson(receiver, `/api/public/traces/${traceId}`);
    assert.equal(early.body.name, null, "no name before the root or an explicit name arrives");
    assert.equal(early.body.userId, "u9");

    await postIngest(
      receiver,
      otlpJsonBody([
        {
          traceId,
          spanId: rootId,
          name: "request",
          startMs: t0,
          endMs: t0 + 100,
          attributes: {
            "langfuse.observation.input": '{"message":"hello"}',
            "langfuse.observation.output": "bye",
            "langfuse.trace.tags": '["early"]',
          },
        },
      ]),
    );
    const { body: t } = await getJson(receiver, `/api/public/traces/${traceId}`);
    assert.equal(t.name, "request");
    assert.equal(t.timestamp, new Date(t0).toISOString());
    assert.equal(t.userId, "u9");
    assert.equal(t.sessionId, "s9");
    assert.deepEqual(t.tags, ["early"], "the latest row's tags, as Langfuse v4 rolls traces up (no union)");
    assert.deepEqual(t.input, { message: "hello" }, "root observation input is the trace input");
    assert.equal(t.output, "bye");
    assert.deepEqual(t.metadata, { region: "eu" });
    assert.equal(t.latency, 0.1);
    assert.deepEqual(
      t.observations.map((row: any) => row.id),
      [rootId, childId],
    );
    const child = t.observations[1];
    assert.equal(child.type, "GENERATION", "a gen_ai model attribute makes a generation");
    assert.equal(child.model, "gpt-x");
    assert.deepEqual(child.usageDetails, { input: 7, output: 2, total: 9 });

    const observation = await getJson(receiver, `/api/public/observations/${childId}`);
    assert.equal(observation.body.parentObservationId, rootId);
    const list = await getJson(receiver, `/api/public/observations?traceId=${traceId}`);
    assert.deepEqual(
      list.body.data.map((row: any) => row.id),
      [childId, rootId],
      "newest first",
    );
    assert.equal(list.body.meta.totalItems, 2);
  } finally {
    await receiver.close();
  }
});

test("a file-backed store keeps traces across restarts", opts, async () => {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "receiver-"));
  try {
    const dbPath = join(dir, "nested", "receiver.db");
    const first = await startReceiver({ port: 0, dbPath });
    const traceId = await ingestTrace(first, { "user.id": "persisted" }, Date.now());
    await first.close();
    const second = await startReceiver({ port: 0, dbPath });
    try {
      const t = await getJson(second, `/api/public/traces/${traceId}`);
      assert.equal(t.body.userId, "persisted");
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
