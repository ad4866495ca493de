// The exporter's rules one at a time, in virtual time, against a scripted backend: batching by
// count and bytes, what each answer does to a batch, down and auth states, the journal's bound
// and failures, shutdown and restart. The model-based test covers their combinations.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  FORMATS,
  fakeSpan,
  RecordingLogger,
  ScriptedTransport,
  settle,
  testMetrics,
  VirtualScheduler,
} from "../../../test/support/export-fakes.js";
import { decodeOtlpProtobuf } from "../../receiver/otlp-protobuf-decoder.js";
import type { BatchJournal } from "./batch-journal.js";
import { AUTH_PROBE_MS, PROBE_MIN_MS } from "./delivery-policy.js";
import { MemoryJournal } from "./memory-journal.js";
import { SpanExporter } from "./span-exporter.js";
import { SqliteJournal } from "./sqlite-journal.js";
import { resolveTracingOptions, type TracingSettings } from "../tracing-options.js";

/** The settings these tests run with: the defaults, small batches and quick retries. */
const SETTINGS: Partial<TracingSettings> = {
  flushAt: 10,
  maxBatchBytes: 64 * 1024,
  maxRetries: 2,
  retryDelayMs: 100,
  maxQueueBytes: 16 * 1024 * 1024,
  maxJournalBytes: 64 * 1024 * 1024,
};

function harness({ journal, ...overrides }: Partial<TracingSettings> & { journal?: BatchJournal } = {}) {
  const scheduler = new VirtualScheduler();
  const transport = new ScriptedTransport();
  const logger = new RecordingLogger();
  const { metrics, faults, count } = testMetrics(logger);
  journal ??= SqliteJournal.inMemory();
  const exporter = new SpanExporter({
    settings: resolveTracingOptions({ ...SETTINGS, ...overrides }),
    transport,
    journal,
    formats: FORMATS,
    metrics,
    faults,
    logger,
    scheduler,
  });
  const push = (from: number, to: number, pad = 0) => {
    for (let i = from; i <= to; i++) exporter.push(fakeSpan(i, pad));
  };
  const step = async (ms = 0) => {
    scheduler.advance(ms);
    await settle();
  };
  const answerAll = async (outcome: Parameters<ScriptedTransport["parked"][number]["answer"]>[0]) => {
    for (const r of [...transport.parked]) r.answer(outcome);
    await settle();
    scheduler.runDeferred();
    await settle();
  };
  return { scheduler, transport, logger, metrics, count, journal, exporter, push, step, answerAll };
}

const STORED = { kind: "stored", status: 200 } as const;
const id = (n: number) => n.toString(16).padStart(16, "0");

describe("batching", () => {
  test("a full batch is sealed and sent at once; a partial one after the flush interval", async () => {
    const h = harness();
    h.push(1, 10);
    await h.step();
    assert.equal(h.transport.sent.length, 1, "the full batch went without waiting");
    assert.deepEqual(
      h.transport.sent[0]!.spanIds,
      Array.from({ length: 10 }, (_, i) => id(i + 1)),
    );
    h.push(11, 13);
    await h.step(499);
    assert.equal(h.transport.sent.length, 1, "a partial batch waits for the interval");
    await h.step(1);
    assert.equal(h.transport.sent.length, 2);
    assert.deepEqual(h.transport.sent[1]!.spanIds, [id(11), id(12), id(13)]);
  });

  test("no request body passes maxBatchBytes, in bytes, also for non-ASCII text", async () => {
    const h = harness({ maxBatchBytes: 20_000, flushAt: 1000 });
    h.transport.autoAnswer = () => STORED;
    for (let i = 1; i <= 60; i++) h.exporter.push(fakeSpan(i, 400, "汉"));
    await h.step(500);
    assert.ok(h.transport.sent.length > 3, `${h.transport.sent.length} requests`);
    for (const r of h.transport.sent) assert.ok(r.body.length <= 20_000, `a body of ${r.body.length} bytes`);
    assert.equal(h.transport.sent.flatMap((r) => r.spanIds).length, 60, "every span sent once");
    assert.equal(await h.count("spans_exported_total"), 60);
  });

  test("the body is the envelope around the spans: one valid OTLP/protobuf request", async () => {
    const h = harness();
    h.push(1, 3);
    await h.step(500);
    const spans = decodeOtlpProtobuf(h.transport.sent[0]!.body as Uint8Array);
    assert.deepEqual(
      spans.map((s) => s.spanId),
      [id(1), id(2), id(3)],
    );
    assert.equal(spans[0]!.origin.scopeName, "langfuse-sdk/switchboard");
  });
});

describe("what each answer does", () => {
  test("2xx: removed from the journal, counted exported", async () => {
    const h = harness();
    h.push(1, 10);
    await h.step();
    assert.equal(h.journal.entries, 1, "journaled before it is sent");
    await h.answerAll(STORED);
    assert.equal(h.journal.entries, 0);
    assert.equal(await h.count("spans_exported_total"), 10);
    assert.equal(h.exporter.heldSpans, 0);
  });

  test("not stored (503): retried after its backoff, never counted as a re-send", async () => {
    const h = harness();
    h.push(1, 10);
    await h.step();
    await h.answerAll({ kind: "not_stored", reason: "http_5xx", status: 503, message: "503" });
    assert.equal(h.transport.sent.length, 1, "waits its backoff");
    await h.step(300);
    assert.equal(h.transport.sent.length, 2, "then sends again");
    await h.answerAll(STORED);
    assert.equal(await h.count("spans_exported_total"), 10);
    assert.equal(await h.count("spans_resent_total"), 0, "it cannot have been stored: not a re-send");
    assert.equal(await h.count("export_failures_total", { reason: "http_5xx" }), 1);
  });

  test("Retry-After sets the wait of a 429", async () => {
    const h = harness();
    h.push(1, 10);
    await h.step();
    await h.answerAll({ kind: "not_stored", reason: "http_429", status: 429, retryAfterMs: 2000, message: "429" });
    await h.step(1999);
    assert.equal(h.transport.sent.length, 1);
    await h.step(1);
    assert.equal(h.transport.sent.length, 2);
  });

  test("unknown outcome: sent again, the re-send counted, the mark kept in the journal across a restart", async () => {
    const h = harness();
    h.push(1, 10);
    await h.step();
    await h.answerAll({ kind: "unknown", reason: "timeout", message: "no answer" });
    assert.equal(h.journal.scan(0, 10)[0]!.maybeStored, true, "the journal knows it may be stored");
    await h.step(300);
    assert.equal(h.transport.sent.length, 2);
    assert.equal(await h.count("spans_resent_total"), 10);
    assert.equal(await h.count("export_failures_total", { reason: "unknown_timeout" }), 1);
  });

  test("413: the batch is split in two; a single span still too large is dropped as too_large", async () => {
    const h = harness();
    h.push(1, 4);
    await h.step(500);
    await h.answerAll({ kind: "too_large", status: 413, message: "413" });
    await h.step();
    assert.deepEqual(
      h.transport.parked.map((r) => r.spanIds),
      [
        [id(1), id(2)],
        [id(3), id(4)],
      ],
    );
    await h.answerAll({ kind: "too_large", status: 413, message: "413" });
    await h.step();
    assert.equal(h.transport.parked.length, 2);
    await h.answerAll({ kind: "too_large", status: 413, message: "413" });
    await h.answerAll(STORED);
    assert.equal(await h.count("spans_dropped_total", { reason: "too_large" }), 2);
    assert.equal(h.journal.entries, 0);
  });

  test("another 4xx: dropped at once and counted by status", async () => {
    const h = harness();
    h.push(1, 10);
    await h.step();
    await h.answerAll({ kind: "rejected", status: 422, message: "422" });
    await h.step(60_000);
    assert.equal(h.transport.sent.length, 1, "never retried");
    assert.equal(await h.count("spans_dropped_total", { reason: "rejected" }), 10);
    assert.equal(await h.count("spans_rejected_total", { status: "422" }), 10);
    assert.equal(h.journal.entries, 0);
  });
});

describe("backend states", () => {
  test("down after two failures in a row: new batches wait in the journal, one probe at a time; recovery delivers all, oldest first", async () => {
    const h = harness({ replayRatePerSec: 1_000_000 });
    h.push(1, 20);
    await h.step();
    await h.answerAll({ kind: "not_stored", reason: "network", message: "ECONNREFUSED" });
    assert.equal(h.exporter.backendState, "down");
    h.push(21, 50);
    await h.step();
    assert.equal(h.transport.parked.length, 0, "no live sends while down");
    await h.step(PROBE_MIN_MS);
    assert.equal(h.transport.parked.length, 1, "one probe");
    assert.deepEqual(h.transport.parked[0]!.spanIds[0], id(1), "the probe carries the oldest batch");
    await h.answerAll({ kind: "not_stored", reason: "network", message: "ECONNREFUSED" });
    await h.step(PROBE_MIN_MS);
    assert.equal(h.transport.parked.length, 0, "the next probe waits longer");
    await h.step(PROBE_MIN_MS);
    assert.equal(h.transport.parked.length, 1);
    h.transport.autoAnswer = () => STORED;
    await h.answerAll(STORED);
    for (let i = 0; i < 20; i++) await h.step(10);
    assert.equal(h.exporter.backendState, "up");
    assert.equal(await h.count("spans_exported_total"), 50);
    const order = h.transport.sent.filter((r) => r.spanIds.length).flatMap((r) => r.spanIds);
    assert.deepEqual([...new Set(order)].slice(0, 5), [id(1), id(2), id(3), id(4), id(5)]);
    assert.equal(h.journal.entries, 0);
  });

  test("401: one clear error naming the keys and the URL, spans held (not dropped), no request until the probe", async () => {
    const h = harness();
    h.push(1, 10);
    await h.step();
    await h.answerAll({ kind: "auth_failed", status: 401, message: "401" });
    h.push(11, 30);
    await h.step(60_000);
    assert.equal(h.transport.sent.length, 1, "nothing sent while the keys are refused");
    const errors = h.logger.lines.filter((l) => l.level === "error");
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.msg, /LANGFUSE_PUBLIC_KEY.*LANGFUSE_SECRET_KEY.*LANGFUSE_BASE_URL/);
    assert.equal(h.exporter.heldSpans, 30, "held");
    assert.equal(await h.count("spans_dropped_total"), 0);
    assert.equal(await h.count("backend_state"), 2);
    await h.step(AUTH_PROBE_MS);
    assert.equal(h.transport.sent.length, 2, "one probe after a long while");
  });

  test("a restart with working keys delivers what was held", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exporter-auth-"));
    try {
      const first = harness({ journal: SqliteJournal.open(dir).journal });
      first.push(1, 10);
      await first.step();
      await first.answerAll({ kind: "auth_failed", status: 403, message: "403" });
      first.push(11, 15);
      await first.exporter.shutdown(0);
      const second = harness({ journal: SqliteJournal.open(dir).journal });
      second.transport.autoAnswer = () => STORED;
      for (let i = 0; i < 10; i++) await second.step(100);
      assert.equal(await second.count("spans_exported_total"), 15);
      assert.equal(await second.count("spans_resent_total"), 0, "403 means not stored: no re-send");
      await second.exporter.shutdown(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bounds and failures", () => {
  test("the journal's bound: the oldest batches go, counted as journal_evicted; never one in flight", async () => {
    const h = harness({ maxJournalBytes: 6000, flushAt: 2 });
    h.push(1, 2, 1000);
    await h.step();
    assert.equal(h.transport.parked.length, 1);
    await h.answerAll({ kind: "not_stored", reason: "network", message: "down" });
    await h.answerAll({ kind: "not_stored", reason: "network", message: "down" });
    // Down now; keep pushing well past the bound.
    for (let i = 3; i <= 20; i += 2) {
      h.push(i, i + 1, 1000);
      await h.step();
    }
    assert.ok(h.journal.bytes <= 6000 + 3000, `journal ${h.journal.bytes} bytes`);
    const evicted = await h.count("spans_dropped_total", { reason: "journal_evicted" });
    assert.ok(evicted > 0);
    assert.equal(evicted + h.exporter.heldSpans, 20, "every span is held or counted");
  });

  test("memory only: the oldest batches past LANGFUSE_MAX_QUEUE_BYTES go, counted queue_full; shutdown counts the rest", async () => {
    const h = harness({ journal: new MemoryJournal(), maxQueueBytes: 6000, maxJournalBytes: 6000, flushAt: 2 });
    h.push(1, 2, 1000);
    await h.step();
    await h.answerAll({ kind: "not_stored", reason: "network", message: "down" });
    await h.answerAll({ kind: "not_stored", reason: "network", message: "down" });
    for (let i = 3; i <= 20; i += 2) {
      h.push(i, i + 1, 1000);
      await h.step();
    }
    const full = await h.count("spans_dropped_total", { reason: "queue_full" });
    assert.ok(full > 0 && h.exporter.memoryBytes <= 6000);
    await h.exporter.shutdown(0);
    assert.equal(await h.count("spans_dropped_total"), 20, "everything undelivered is counted");
  });

  test("a journal that fails to write (disk full): one warning, tracing goes on in memory and delivers", async () => {
    const journal = SqliteJournal.inMemory();
    const h = harness({ journal });
    journal.append = () => {
      throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    };
    h.transport.autoAnswer = () => STORED;
    h.push(1, 10);
    await h.step();
    h.push(11, 20);
    await h.step();
    assert.equal(await h.count("spans_exported_total"), 20);
    assert.equal(h.logger.lines.filter((l) => l.level === "warn" && /journal write failed/.test(l.msg)).length, 1);
    assert.equal(await h.count("journal_available"), 0);
  });

  test("pushing never throws, even after shutdown (counted shutdown)", async () => {
    const h = harness();
    await h.exporter.shutdown(0);
    assert.doesNotThrow(() => h.push(1, 3));
    assert.equal(await h.count("spans_dropped_total", { reason: "shutdown" }), 3);
  });
});

describe("shutdown and restart", () => {
  test("graceful shutdown: what is in flight is cut and kept; the next start sends it again, counted as a re-send, and the rest once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exporter-restart-"));
    try {
      const first = harness({ journal: SqliteJournal.open(dir).journal });
      first.push(1, 10);
      await first.step();
      first.push(11, 13);
      await first.exporter.shutdown(0);
      assert.equal(first.transport.closed, true);
      const second = harness({ journal: SqliteJournal.open(dir).journal });
      second.transport.autoAnswer = () => STORED;
      for (let i = 0; i < 10; i++) await second.step(100);
      const sent = second.transport.sent.flatMap((r) => r.spanIds);
      assert.deepEqual(
        sent.sort(),
        Array.from({ length: 13 }, (_, i) => id(i + 1)).sort(),
        "each span once after the restart",
      );
      assert.equal(await second.count("spans_resent_total"), 10, "the 10 cut in flight");
      await second.exporter.shutdown(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("shutdown with time sends the backlog too while Langfuse answers: a journal in a container's scratch folder may not see a next start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exporter-drain-"));
    try {
      // Memory for about two batches: the rest of a burst waits in the journal's backlog.
      const first = harness({ journal: SqliteJournal.open(dir).journal, maxQueueBytes: 30 * 1024 });
      for (let i = 1; i <= 100; i += 10) {
        first.push(i, i + 9, 1000);
        await first.step();
      }
      assert.ok(first.journal.entries >= 8, `${first.journal.entries} batches journaled`);
      first.transport.autoAnswer = () => STORED;
      for (const r of [...first.transport.parked]) r.answer(STORED);
      await first.exporter.shutdown(60_000);
      assert.equal(await first.count("spans_exported_total"), 100, "all of it before the process ends");
      const second = harness({ journal: SqliteJournal.open(dir).journal });
      second.transport.autoAnswer = () => STORED;
      await second.step(5000);
      assert.equal(second.transport.sent.length, 0, "nothing left for a next start");
      await second.exporter.shutdown(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a batch that succeeds before the shutdown deadline is never replayed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exporter-late-"));
    try {
      const first = harness({ journal: SqliteJournal.open(dir).journal });
      first.push(1, 10);
      await first.step();
      const done = first.exporter.shutdown(60_000);
      await settle();
      first.transport.parked[0]!.answer(STORED);
      await done;
      const second = harness({ journal: SqliteJournal.open(dir).journal });
      second.transport.autoAnswer = () => STORED;
      await second.step(1000);
      assert.equal(second.transport.sent.length, 0, "nothing to replay");
      await second.exporter.shutdown(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
