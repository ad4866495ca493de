// The durable journal on a real SQLite file: what it holds survives a reopen (text and bytes
// alike), a damaged entry is caught by its checksum, and a spool written by the previous
// version (payloads in batches.spans) is taken over with nothing lost.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import Database from "better-sqlite3";
import { SqliteJournal } from "./sqlite-journal.js";

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "journal-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("text and byte payloads read back as they were after a reopen; totals are recounted", () => {
  withDir((dir) => {
    const first = SqliteJournal.open(dir).journal;
    const bytes = Buffer.from([0x12, 0x03, 0xff, 0x00, 0x7f]);
    const [a, b] = first.append([
      { payload: '{"spanId":"1"}', count: 1 },
      { payload: bytes, count: 2 },
    ]);
    first.setMaybeStored(b!.id, true);
    first.close();
    const again = SqliteJournal.open(dir).journal;
    assert.equal(again.entries, 2);
    assert.equal(again.spans, 3);
    assert.equal(again.bytes, 14 + 5);
    assert.deepEqual(again.read(a!.id), { ok: true, payload: '{"spanId":"1"}' });
    const read = again.read(b!.id);
    assert.ok(read.ok && Buffer.isBuffer(read.payload) && read.payload.equals(bytes));
    assert.deepEqual(
      again.scan(0, 10).map((e) => e.maybeStored),
      [false, true],
    );
    again.remove(a!.id);
    assert.deepEqual(again.read(a!.id), { ok: false, reason: "missing" });
    assert.equal(again.spans, 2);
    again.close();
  });
});

test("a payload damaged on disk fails its checksum and reads as corrupt", () => {
  withDir((dir) => {
    const journal = SqliteJournal.open(dir).journal;
    const [entry] = journal.append([{ payload: Buffer.from("abcdef"), count: 1 }]);
    journal.close();
    const raw = new Database(join(dir, "spool.db"));
    raw.prepare("UPDATE payloads SET data = ? WHERE id = ?").run(Buffer.from("abcdeX"), entry!.id);
    raw.close();
    const reopened = SqliteJournal.open(dir).journal;
    assert.deepEqual(reopened.read(entry!.id), { ok: false, reason: "corrupt" });
    reopened.close();
  });
});

test("a spool written by the previous version (payloads in batches.spans, no maybe_stored) is taken over", () => {
  withDir((dir) => {
    const old = new Database(join(dir, "spool.db"));
    old.pragma("journal_mode = WAL");
    old.exec(
      `CREATE TABLE batches (id INTEGER PRIMARY KEY AUTOINCREMENT, created_ms INTEGER NOT NULL, count INTEGER NOT NULL, bytes INTEGER NOT NULL, crc INTEGER NOT NULL, spans TEXT NOT NULL)`,
    );
    const spans = '{"traceId":"a","spanId":"b"},{"traceId":"a","spanId":"c"}';
    old
      .prepare("INSERT INTO batches (created_ms, count, bytes, crc, spans) VALUES (?, ?, ?, ?, ?)")
      .run(Date.now(), 2, Buffer.byteLength(spans), crc32(spans), spans);
    old.close();
    const journal = SqliteJournal.open(dir).journal;
    assert.equal(journal.entries, 1);
    assert.equal(journal.spans, 2);
    const [entry] = journal.scan(0, 10);
    assert.equal(entry!.maybeStored, false);
    assert.deepEqual(journal.read(entry!.id), { ok: true, payload: spans });
    const [next] = journal.append([{ payload: "x", count: 1 }]);
    assert.ok(next!.id > entry!.id, "ids keep growing after the migration");
    journal.close();
  });
});
