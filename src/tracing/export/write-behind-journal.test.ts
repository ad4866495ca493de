// The journal written behind: what Langfuse acknowledges within the delay never reaches the
// file; what waits longer, passes the memory bound or is held at shutdown does, under the id it
// was given; a failing disk hands the held batches to memory, delivered once.
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
import { SpanExporter } from "./span-exporter.js";
import { SqliteJournal } from "./sqlite-journal.js";
import { WriteBehindJournal } from "./write-behind-journal.js";
import { resolveTracingOptions, type TracingSettings } from "../tracing-options.js";

const DELAY_MS = 1000;
const STORED = { kind: "stored", status: 200 } as const;
const id = (n: number) => n.toString(16).padStart(16, "0");
const bytes = (text: string) => new TextEncoder().encode(text);

function withDir(run: (dir: string) => Promise<void> | void) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "write-behind-"));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** What the file itself holds, read through another connection (as a next start, or after a crash, would). */
function fileEntries(dir: string) {
  const { journal } = SqliteJournal.open(dir);
  try {
    return journal.scan(0, 1000).map((e) => ({ ...e, payload: journal.read(e.id) }));
  } finally {
    journal.close();
  }
}

describe("the journal", () => {
  test(
    "a batch removed within the delay never reaches the file; one due is written under its id, marks kept",
    withDir((dir) => {
      let now = 0;
      const file = SqliteJournal.open(dir).journal;
      const journal = new WriteBehindJournal(file, { delayMs: DELAY_MS, maxHeldBytes: 1 << 20, now: () => now });
      const [a, b] = journal.append([
        { payload: bytes("first"), count: 2 },
        { payload: bytes("second"), count: 3 },
      ]);
      assert.deepEqual([journal.entries, journal.spans, journal.bytes], [2, 5, 11]);
      journal.setMaybeStored(b!.id, true);
      journal.remove(a!.id);
      assert.deepEqual(journal.persistDue(DELAY_MS - 1), { written: 0, nextAt: DELAY_MS });
      assert.equal(fileEntries(dir).length, 0, "nothing on disk before the delay");
      now = DELAY_MS;
      assert.deepEqual(journal.persistDue(now), { written: 1, nextAt: Infinity });
      const onDisk = fileEntries(dir);
      assert.deepEqual(
        onDisk.map((e) => [e.id, e.count, e.maybeStored]),
        [[b!.id, 3, true]],
      );
      assert.equal(Buffer.from((onDisk[0]!.payload as { payload: Uint8Array }).payload).toString(), "second");
      // Read and removed the same way once written.
      assert.equal(journal.read(b!.id).ok, true);
      assert.deepEqual(
        journal.scan(0, 10).map((e) => e.id),
        [b!.id],
      );
      journal.remove(b!.id);
      assert.equal(journal.entries, 0);
      assert.equal(fileEntries(dir).length, 0);
      journal.close();
    }),
  );

  test(
    "ids continue above every id in the file, also after a restart; scan sees held and written in id order",
    withDir((dir) => {
      const first = new WriteBehindJournal(SqliteJournal.open(dir).journal, {
        delayMs: DELAY_MS,
        maxHeldBytes: 1 << 20,
        now: () => 0,
      });
      const ids = first.append([1, 2, 3].map((n) => ({ payload: bytes(`b${n}`), count: 1 }))).map((e) => e.id);
      first.remove(ids[2]!);
      first.close(); // writes what is held: b1, b2
      const second = new WriteBehindJournal(SqliteJournal.open(dir).journal, {
        delayMs: DELAY_MS,
        maxHeldBytes: 1 << 20,
        now: () => 0,
      });
      const [next] = second.append([{ payload: bytes("b4"), count: 1 }]);
      assert.ok(next!.id > ids[1]!, `${next!.id} is above the written ${ids[1]}`);
      assert.deepEqual(
        second.scan(0, 10).map((e) => e.id),
        [ids[0], ids[1], next!.id],
      );
      assert.deepEqual(
        second.scan(ids[0]!, 1).map((e) => e.id),
        [ids[1]],
      );
      second.close();
    }),
  );

  test(
    "past the memory bound the oldest held batches are written at once",
    withDir((dir) => {
      const journal = new WriteBehindJournal(SqliteJournal.open(dir).journal, {
        delayMs: DELAY_MS,
        maxHeldBytes: 10,
        now: () => 0,
      });
      journal.append([1, 2, 3].map((n) => ({ payload: bytes(`batch${n}`), count: 1 })));
      assert.equal(journal.memoryBytes, 18);
      assert.equal(journal.persistDue(0).written, 2);
      assert.equal(journal.memoryBytes, 6);
      assert.deepEqual(
        fileEntries(dir).map((e) => e.bytes),
        [6, 6],
      );
      journal.close();
    }),
  );

  test(
    "a held batch is copied: the sealed batch's buffer may be reused before it is written",
    withDir((dir) => {
      const journal = new WriteBehindJournal(SqliteJournal.open(dir).journal, {
        delayMs: DELAY_MS,
        maxHeldBytes: 1 << 20,
        now: () => 0,
      });
      // Both kinds of bytes a batch may be in: the pool's Buffers (whose slice() is a view) and plain arrays.
      const pooled = Buffer.from("pooled");
      const plain = bytes("plain");
      journal.append([
        { payload: pooled, count: 1 },
        { payload: plain, count: 1 },
      ]);
      pooled.fill(0);
      plain.fill(0);
      journal.close();
      assert.deepEqual(
        fileEntries(dir).map((e) => Buffer.from((e.payload as { payload: Uint8Array }).payload).toString()),
        ["pooled", "plain"],
      );
    }),
  );

  test(
    "a batch handed over with its buffer's release is held in that buffer, let go once written or removed",
    withDir((dir) => {
      const journal = new WriteBehindJournal(SqliteJournal.open(dir).journal, {
        delayMs: DELAY_MS,
        maxHeldBytes: 1 << 20,
        now: () => 0,
      });
      const released: string[] = [];
      const [kept, delivered] = journal.append(
        ["kept", "delivered"].map((name) => ({
          payload: Buffer.from(name),
          count: 1,
          release: () => released.push(name),
        })),
      );
      journal.remove(delivered!.id);
      assert.deepEqual(released, ["delivered"]);
      journal.persistDue(DELAY_MS);
      assert.deepEqual(released, ["delivered", "kept"], "written, its buffer is let go");
      journal.remove(kept!.id);
      assert.deepEqual(released, ["delivered", "kept"], "once");
      journal.close();
    }),
  );

  test(
    "a split batch: held, its halves stay held; written, it is split in the file above every held id",
    withDir((dir) => {
      const journal = new WriteBehindJournal(SqliteJournal.open(dir).journal, {
        delayMs: DELAY_MS,
        maxHeldBytes: 1 << 20,
        now: () => 0,
      });
      const [held] = journal.append([{ payload: bytes("whole"), count: 2 }]);
      const halves = journal.replace(held!.id, [
        { payload: bytes("wh"), count: 1 },
        { payload: bytes("ole"), count: 1 },
      ]);
      assert.equal(fileEntries(dir).length, 0);
      assert.deepEqual([journal.entries, journal.spans], [2, 2]);
      journal.persistDue(Infinity);
      const [later] = journal.append([{ payload: bytes("later"), count: 1 }]);
      const quarters = journal.replace(halves[0]!.id, [
        { payload: bytes("w"), count: 1 },
        { payload: bytes("h"), count: 1 },
      ]);
      assert.ok(
        quarters.every((q) => q.id > later!.id),
        "the file's ids stay above the held one",
      );
      const [after] = journal.append([{ payload: bytes("after"), count: 1 }]);
      assert.ok(after!.id > quarters[1]!.id);
      assert.deepEqual(
        fileEntries(dir).map((e) => e.id),
        [halves[1]!.id, later!.id, ...quarters.map((q) => q.id)],
      );
      journal.close();
    }),
  );
});

function harness(
  dir: string,
  journalOf: (scheduler: VirtualScheduler) => WriteBehindJournal | SqliteJournal,
  settings: Partial<TracingSettings> = {},
) {
  const scheduler = new VirtualScheduler();
  const transport = new ScriptedTransport();
  const logger = new RecordingLogger();
  const { metrics, faults, count } = testMetrics(logger);
  const exporter = new SpanExporter({
    settings: resolveTracingOptions({ flushAt: 10, maxRetries: 0, journalDelayMs: DELAY_MS, ...settings }),
    transport,
    journal: journalOf(scheduler),
    formats: FORMATS,
    metrics,
    faults,
    logger,
    scheduler,
  });
  const step = async (ms = 0) => {
    scheduler.advance(ms);
    await settle();
  };
  return { exporter, transport, logger, count, step, dir };
}

const behind = (dir: string) => (scheduler: VirtualScheduler) =>
  new WriteBehindJournal(SqliteJournal.open(dir).journal, {
    delayMs: DELAY_MS,
    maxHeldBytes: 1 << 20,
    now: () => scheduler.now(),
  });

describe("in the exporter", () => {
  test(
    "acknowledged within the delay: delivered, never written; unanswered past it: written, and a restart sends it once more",
    withDir(async (dir) => {
      const h = harness(dir, behind(dir));
      for (let i = 1; i <= 10; i++) h.exporter.push(fakeSpan(i));
      await h.step();
      h.transport.parked[0]!.answer(STORED);
      await h.step();
      await h.step(DELAY_MS * 2);
      assert.equal(await h.count("spans_exported_total"), 10);
      assert.equal(await h.count("journal_batches_written_total"), 0, "the delivered batch never touched the disk");
      assert.equal(fileEntries(dir).length, 0);

      for (let i = 11; i <= 20; i++) h.exporter.push(fakeSpan(i));
      await h.step();
      assert.equal(h.transport.parked.length, 1, "sent, not answered");
      await h.step(DELAY_MS);
      assert.equal(await h.count("journal_batches_written_total"), 1);
      assert.deepEqual(
        fileEntries(dir).map((e) => [e.count, e.maybeStored]),
        [[10, true]],
        "on disk, marked as maybe stored (a send is in flight)",
      );
      // A crash now: the next start finds it and sends it again (counted as a re-send).
      const next = harness(dir, () => SqliteJournal.open(dir).journal);
      next.transport.autoAnswer = () => STORED;
      await next.step(1000);
      assert.deepEqual(
        next.transport.sent.flatMap((r) => r.spanIds),
        Array.from({ length: 10 }, (_, i) => id(i + 11)),
      );
      assert.equal(await next.count("spans_resent_total"), 10);
      await next.exporter.shutdown(0);
      await h.exporter.shutdown(0);
    }),
  );

  test(
    "graceful shutdown writes what is held and unanswered; the next start delivers it",
    withDir(async (dir) => {
      const h = harness(dir, behind(dir));
      for (let i = 1; i <= 13; i++) h.exporter.push(fakeSpan(i));
      await h.step();
      await h.exporter.shutdown(0);
      assert.deepEqual(
        fileEntries(dir)
          .map((e) => e.count)
          .sort(),
        [10, 3],
      );
      const next = harness(dir, behind(dir));
      next.transport.autoAnswer = () => STORED;
      for (let i = 0; i < 10; i++) await next.step(500);
      assert.deepEqual(
        next.transport.sent.flatMap((r) => r.spanIds).sort(),
        Array.from({ length: 13 }, (_, i) => id(i + 1)).sort(),
      );
      await next.exporter.shutdown(0);
      assert.equal(fileEntries(dir).length, 0);
    }),
  );

  test(
    "the disk fails when held batches fall due: one warning; the one in flight settles, the others move to memory; each delivered once",
    withDir(async (dir) => {
      let file: SqliteJournal | undefined;
      const h = harness(
        dir,
        (scheduler) => {
          file = SqliteJournal.open(dir).journal;
          return new WriteBehindJournal(file, { delayMs: DELAY_MS, maxHeldBytes: 1 << 20, now: () => scheduler.now() });
        },
        { concurrency: 1 },
      );
      file!.appendAs = () => {
        throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
      };
      for (let i = 1; i <= 20; i++) h.exporter.push(fakeSpan(i));
      await h.step();
      assert.equal(h.transport.parked.length, 1, "one batch in flight, the other waits its turn");
      await h.step(DELAY_MS);
      assert.equal(h.logger.lines.filter((l) => l.level === "warn" && /journal write failed/.test(l.msg)).length, 1);
      assert.equal(await h.count("journal_available"), 0);
      h.transport.autoAnswer = () => STORED;
      for (const request of [...h.transport.parked]) request.answer(STORED);
      for (let i = 0; i < 20; i++) await h.step(500);
      assert.deepEqual(
        h.transport.sent.flatMap((r) => r.spanIds).sort(),
        Array.from({ length: 20 }, (_, i) => id(i + 1)).sort(),
        "each span sent once",
      );
      assert.equal(await h.count("spans_exported_total"), 20);
      assert.equal(await h.count("spans_dropped_total"), 0);
      await h.exporter.shutdown(0);
    }),
  );
});
