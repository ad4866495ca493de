// Retention of the local receiver: traces whose first observation started longer ago than the
// time-to-live are deleted whole by a background sweep (and on demand); newer traces, and every
// trace when the TTL is 0, stay; the counters follow; nothing deleted stays readable in the file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startReceiver } from "./receiver.js";
import { getJson, hexId, otlpJsonBody, postIngest, TEST_TIMEOUT_MS } from "../../test/support/receiver-http.js";

const HOUR = 3_600_000;
const opts = { timeout: TEST_TIMEOUT_MS };

function trace(startMs: number, marker: string) {
  const traceId = hexId(16);
  const root = hexId(8);
  return {
    traceId,
    body: otlpJsonBody([
      {
        traceId,
        spanId: hexId(8),
        parentSpanId: root,
        name: "child",
        startMs: startMs + 5,
        endMs: startMs + 10,
        attributes: { "langfuse.observation.input": JSON.stringify(marker) },
      },
      { traceId, spanId: root, name: "chat", startMs, endMs: startMs + 20 },
    ]),
  };
}

test("the background sweep deletes whole traces older than the TTL and keeps the rest", opts, async () => {
  const dir = mkdtempSync(join(tmpdir(), "receiver-ttl-"));
  const dbPath = join(dir, "receiver.db");
  const receiver = await startReceiver({ port: 0, dbPath, traceTtlMs: 2 * HOUR, sweepIntervalMs: 50 });
  try {
    const old = trace(Date.now() - 3 * HOUR, "old-turn-marker-4f1c");
    const recent = trace(Date.now() - HOUR, "recent-turn-marker-9a2d");
    assert.equal((await postIngest(receiver, old.body)).status, 200);
    assert.equal((await postIngest(receiver, recent.body)).status, 200);
    // The sweep runs by itself, a few times a second here.
    const deadline = Date.now() + 5000;
    while ((await getJson(receiver, `/api/public/traces/${old.traceId}`)).status !== 404) {
      assert.ok(Date.now() < deadline, "the old trace was not swept");
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal((await getJson(receiver, `/api/public/traces/${recent.traceId}`)).status, 200);
    assert.deepEqual(receiver.stats().store, {
      traces: 1,
      observations: 2,
      observationIds: 2,
      duplicateRows: 0,
      duplicatedIds: 0,
    });
    const list = await getJson(receiver, "/_receiver/viewer/traces");
    assert.deepEqual(
      list.body.data.map((t: any) => t.id),
      [recent.traceId],
    );
  } finally {
    await receiver.close();
  }
  // Deleted, not just unlisted: the old turn's text is not left in the file's free pages.
  const bytes = Buffer.concat([readFileSync(dbPath), readFileSync(`${dbPath}-wal`, { flag: "a+" })]);
  assert.equal(bytes.includes("old-turn-marker-4f1c"), false);
  assert.equal(bytes.includes("recent-turn-marker-9a2d"), true);
  rmSync(dir, { recursive: true, force: true });
});

test("a sweep on demand deletes what expired; a TTL of 0 keeps everything", opts, async () => {
  const receiver = await startReceiver({ port: 0, traceTtlMs: HOUR, sweepIntervalMs: 60 * 60_000 });
  try {
    const expired = Array.from({ length: 3 }, (_, i) => trace(Date.now() - 2 * HOUR - i * 1000, `x${i}`));
    const fresh = trace(Date.now(), "fresh");
    for (const t of [...expired, fresh]) assert.equal((await postIngest(receiver, t.body)).status, 200);
    assert.equal(await receiver.sweep(), 3);
    assert.equal(await receiver.sweep(), 0, "nothing left to delete");
    assert.equal(receiver.stats().store.traces, 1);
  } finally {
    await receiver.close();
  }
  const keeper = await startReceiver({ port: 0, traceTtlMs: 0 });
  try {
    assert.equal((await postIngest(keeper, trace(Date.now() - 1000 * HOUR, "ancient").body)).status, 200);
    assert.equal(await keeper.sweep(), 0);
    assert.equal(keeper.stats().store.traces, 1);
  } finally {
    await keeper.close();
  }
});
