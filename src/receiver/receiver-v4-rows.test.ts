// The receiver as a Langfuse v4 store: legacy traces rolled up from rows (latest values, root
// I/O, legacy trace I/O when sent), its identity route, and older database files migrated to rows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { startReceiver } from "./receiver.js";
import {
  DEV_AUTH,
  getJson,
  hexId,
  otlpJsonBody,
  postIngest,
  TEST_TIMEOUT_MS,
} from "../../test/support/receiver-http.js";

const opts = { timeout: TEST_TIMEOUT_MS };

test(
  "GET /_receiver/info names the receiver, its package version and ingestion version without auth, and whether the caller's key pair is accepted",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
      const info = await getJson(receiver, "/_receiver/info", null);
      assert.equal(info.status, 200);
      assert.deepEqual(info.body, {
        receiver: "switchboard",
        version: pkg.version,
        ingestionVersion: 4,
        authorized: false,
      });
      assert.equal((await getJson(receiver, "/_receiver/info")).body.authorized, true);
      const res = await fetch(`${receiver.url}/_receiver/info`, { method: "POST" });
      assert.equal(res.status, 405);
    } finally {
      await receiver.close();
    }
  },
);

test(
  "a legacy trace rolls up from its rows: latest values, name and I/O from the root, legacy trace I/O first",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const t0 = Date.parse("2025-04-01T08:00:00Z");
      const traceId = hexId(16);
      const root = hexId(8);
      const child = hexId(8);
      // The v4 exporter's shape: trace-wide attributes on every span, turn I/O on the root observation.
      const everySpan = {
        "user.id": "carol",
        "session.id": "openai:carol",
        "langfuse.trace.name": "chat",
        "langfuse.trace.tags": '["endpoint:openai"]',
        "langfuse.trace.metadata.tenant": "t1",
        "langfuse.release": "1.2.3",
      };
      await postIngest(
        receiver,
        otlpJsonBody([
          {
            traceId,
            spanId: child,
            parentSpanId: root,
            name: "route_node",
            startMs: t0 + 5,
            endMs: t0 + 40,
            attributes: everySpan,
          },
        ]),
      );
      await postIngest(
        receiver,
        otlpJsonBody([
          {
            traceId,
            spanId: root,
            name: "chat",
            startMs: t0,
            endMs: t0 + 50,
            attributes: {
              ...everySpan,
              "langfuse.observation.input": '"where is my order?"',
              "langfuse.observation.output": '"on its way"',
              "langfuse.trace.metadata.intent": "order_status",
            },
          },
        ]),
      );
      const { body: t } = await getJson(receiver, `/api/public/traces/${traceId}`);
      assert.equal(t.name, "chat");
      assert.equal(t.userId, "carol");
      assert.equal(t.sessionId, "openai:carol");
      assert.deepEqual(t.tags, ["endpoint:openai"]);
      assert.equal(t.release, "1.2.3");
      assert.deepEqual(t.metadata, { tenant: "t1", intent: "order_status" });
      assert.equal(t.input, "where is my order?", "v4: the turn's input is the root observation's");
      assert.equal(t.output, "on its way");
      assert.equal(t.timestamp, new Date(t0).toISOString());
      assert.equal(t.latency, 0.05);

      // A v3-style exporter's legacy trace I/O wins where a span sent it.
      const legacy = hexId(16);
      await postIngest(
        receiver,
        otlpJsonBody([
          {
            traceId: legacy,
            spanId: hexId(8),
            name: "request",
            attributes: { "langfuse.trace.input": '"q"', "langfuse.observation.input": '{"raw":true}' },
          },
        ]),
      );
      const { body: l } = await getJson(receiver, `/api/public/traces/${legacy}`);
      assert.equal(l.input, "q");
      assert.equal(l.name, "request", "no langfuse.trace.name: the root's name");

      // A later row's values win; a row without a value leaves the earlier one.
      const later = hexId(16);
      const lr = hexId(8);
      await postIngest(
        receiver,
        otlpJsonBody([
          { traceId: later, spanId: lr, name: "r", attributes: { "user.id": "u1", "langfuse.trace.tags": '["a"]' } },
        ]),
      );
      await postIngest(
        receiver,
        otlpJsonBody([
          { traceId: later, spanId: hexId(8), parentSpanId: lr, name: "c", attributes: { "user.id": "u2" } },
        ]),
      );
      const { body: lt } = await getJson(receiver, `/api/public/traces/${later}`);
      assert.equal(lt.userId, "u2");
      assert.deepEqual(lt.tags, ["a"]);
      // The legacy list filters on rows: a trace matches when one of its rows carries the value.
      const byUser = await getJson(receiver, "/api/public/traces?userId=u1");
      assert.deepEqual(
        byUser.body.data.map((x: any) => x.id),
        [later],
      );
    } finally {
      await receiver.close();
    }
  },
);

test("a database file from the upsert-era receiver is migrated to rows, nothing lost", opts, async () => {
  const dir = mkdtempSync(join(tmpdir(), "receiver-migrate-"));
  try {
    const dbPath = join(dir, "receiver.db");
    const old = new Database(dbPath);
    old.exec(`
      CREATE TABLE traces (id TEXT PRIMARY KEY, timestamp TEXT NOT NULL, has_root INTEGER NOT NULL, explicit_name TEXT, root_name TEXT,
        name TEXT GENERATED ALWAYS AS (COALESCE(explicit_name, root_name)) VIRTUAL, user_id TEXT, session_id TEXT, tags TEXT NOT NULL,
        explicit_input TEXT, explicit_output TEXT, root_input TEXT, root_output TEXT, metadata TEXT NOT NULL, release TEXT, version TEXT,
        environment TEXT, public INTEGER, updated_at TEXT NOT NULL);
      CREATE TABLE observations (id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, parent_observation_id TEXT, type TEXT NOT NULL, name TEXT NOT NULL,
        start_time TEXT NOT NULL, end_time TEXT NOT NULL, completion_start_time TEXT, model TEXT, model_parameters TEXT, usage_details TEXT,
        cost_details TEXT, input TEXT, output TEXT, metadata TEXT, level TEXT NOT NULL, status_message TEXT, version TEXT, environment TEXT NOT NULL,
        prompt_name TEXT, prompt_version INTEGER, attributes TEXT NOT NULL, resource_attributes TEXT NOT NULL, scope_name TEXT NOT NULL,
        span_name TEXT NOT NULL, span_kind INTEGER NOT NULL, resend_count INTEGER NOT NULL DEFAULT 0, received_at TEXT NOT NULL);
      INSERT INTO traces VALUES ('t1', '2025-01-01T00:00:00.000Z', 1, 'chat', 'request', 'dave', 's9', '["x"]', '"hi"', '"bye"', NULL, NULL, '{"k":"v"}', NULL, NULL, 'default', NULL, '2025-01-01T00:00:01.000Z');
      INSERT INTO observations (id, trace_id, parent_observation_id, type, name, start_time, end_time, level, environment, attributes, resource_attributes, scope_name, span_name, span_kind, received_at)
        VALUES ('r1', 't1', NULL, 'SPAN', 'request', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:01.000Z', 'DEFAULT', 'default', '{}', '{}', 's', 'request', 1, '2025-01-01T00:00:01.000Z'),
               ('c1', 't1', 'r1', 'GENERATION', 'llm', '2025-01-01T00:00:00.100Z', '2025-01-01T00:00:00.900Z', 'DEFAULT', 'default', '{}', '{}', 's', 'llm', 1, '2025-01-01T00:00:01.000Z');
    `);
    old.close();

    const receiver = await startReceiver({ port: 0, dbPath });
    try {
      assert.deepEqual(receiver.stats().store, {
        traces: 1,
        observations: 2,
        observationIds: 2,
        duplicateRows: 0,
        duplicatedIds: 0,
      });
      const { body: t } = await getJson(receiver, "/api/public/traces/t1");
      assert.deepEqual(
        [t.name, t.userId, t.sessionId, t.tags, t.input, t.output, t.metadata],
        ["chat", "dave", "s9", ["x"], "hi", "bye", { k: "v" }],
      );
      const v2 = await getJson(receiver, "/api/public/v2/observations?traceId=t1&fields=basic");
      assert.deepEqual(
        v2.body.data.map((observation: any) => [observation.id, observation.userId, observation.sessionId]),
        [
          ["c1", "dave", "s9"],
          ["r1", "dave", "s9"],
        ],
      );
    } finally {
      await receiver.close();
    }
    const reopened = new Database(dbPath, { readonly: true });
    try {
      const tables = reopened
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all();
      assert.deepEqual(tables, ["observation_rows", "prompts", "scores", "trace_index", "trace_names"]);
      assert.equal(reopened.pragma("user_version", { simple: true }), 4);
    } finally {
      reopened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  "a schema-version-3 file (before prompts and scores) opens with its rows, and links prompts from then on",
  opts,
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "receiver-v3-file-"));
    try {
      const dbPath = join(dir, "receiver.db");
      const traceId = hexId(16);
      const generation = (spanId: string) => ({
        traceId,
        spanId,
        name: "classifier",
        attributes: {
          "langfuse.observation.type": "generation",
          "langfuse.observation.prompt.name": "classifier",
          "langfuse.observation.prompt.version": 1,
        },
      });
      const first = await startReceiver({ port: 0, dbPath });
      await postIngest(first, otlpJsonBody([generation(hexId(8))]));
      await first.close();
      // Back to what version 3 wrote: no prompt id column, no prompts or scores tables.
      const old = new Database(dbPath);
      old.exec("ALTER TABLE observation_rows DROP COLUMN prompt_id; DROP TABLE prompts; DROP TABLE scores;");
      old.pragma("user_version = 3");
      old.close();

      const receiver = await startReceiver({ port: 0, dbPath });
      try {
        const prompt = await fetch(`${receiver.url}/api/public/v2/prompts`, {
          method: "POST",
          headers: { authorization: DEV_AUTH, "content-type": "application/json" },
          body: JSON.stringify({ name: "classifier", prompt: "Classify" }),
        }).then((r) => r.json() as Promise<{ id: string }>);
        await postIngest(receiver, otlpJsonBody([generation(hexId(8))]));
        const { body } = await getJson(receiver, `/api/public/v2/observations?traceId=${traceId}&fields=prompt`);
        assert.deepEqual(body.data.map((observation: any) => observation.promptId).sort(), ["", prompt.id].sort());
      } finally {
        await receiver.close();
      }
      const reopened = new Database(dbPath, { readonly: true });
      try {
        assert.equal(reopened.pragma("user_version", { simple: true }), 4);
      } finally {
        reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
