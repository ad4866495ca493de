// The durable journal on a real SQLite file: what it holds survives a reopen (text and bytes
// alike, bytes in parts), a damaged entry is caught by its checksum, and spools written by
// earlier versions (payloads in batches.spans, bytes in one row) are taken over with nothing lost.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import Database from "better-sqlite3";
import type { JournalRead } from "./batch-journal.js";
import { SqliteJournal } from "./sqlite-journal.js";

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "journal-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when `read` is the bytes `expected`. */
function readsBytes(read: JournalRead, expected: Buffer): boolean {
  return read.ok && Buffer.isBuffer(read.payload) && read.payload.equals(expected);
}

/** The rows of `table` in the journal file of `dir`, read from the file itself. */
function rowsIn(dir: string, table: "payloads" | "payload_parts"): number {
  const db = new Database(join(dir, "spool.db"), { readonly: true });
  try {
    return db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
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
    assert.ok(readsBytes(again.read(b!.id), bytes));
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

test("a payload damaged on disk fails its checksum and reads as corrupt; one with a part gone too", () => {
  withDir((dir) => {
    const journal = SqliteJournal.open(dir).journal;
    const [small, large, text] = journal.append([
      { payload: Buffer.from("abcdef"), count: 1 },
      { payload: Buffer.alloc(300 * 1024, 0x61), count: 1 },
      { payload: '{"spanId":"1"}', count: 1 },
    ]);
    journal.close();
    const raw = new Database(join(dir, "spool.db"));
    raw.prepare("UPDATE payload_parts SET data = ? WHERE data = ?").run(Buffer.from("abcdeX"), Buffer.from("abcdef"));
    // The large batch loses its last part; the text batch's row is edited.
    raw.prepare("DELETE FROM payload_parts WHERE key = (SELECT MAX(key) FROM payload_parts)").run();
    raw.prepare("UPDATE payloads SET data = ? WHERE id = ?").run('{"spanId":"2"}', text!.id);
    raw.close();
    const reopened = SqliteJournal.open(dir).journal;
    assert.deepEqual(reopened.read(small!.id), { ok: false, reason: "corrupt" });
    assert.deepEqual(reopened.read(large!.id), { ok: false, reason: "corrupt" });
    assert.deepEqual(reopened.read(text!.id), { ok: false, reason: "corrupt" });
    reopened.close();
  });
});

test("a batch larger than a part is written in parts and reads back whole; removed, no part is left", () => {
  withDir((dir) => {
    const journal = SqliteJournal.open(dir).journal;
    // Distinct bytes everywhere, so a part out of order or missing cannot read back equal.
    const payload = Buffer.alloc(1_000_003);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 8)) & 0xff;
    const [entry, other] = journal.append([
      { payload, count: 1000 },
      { payload: Buffer.from("next"), count: 1 },
    ]);
    journal.close();
    const raw = new Database(join(dir, "spool.db"), { readonly: true });
    // SQLite allocates several times a row's size to write it: parts stay far below glibc's
    // 512 KiB mmap threshold.
    const largest = raw.prepare("SELECT MAX(length(data)) FROM payload_parts").pluck().get() as number;
    assert.ok(largest <= 64 * 1024, `a part of ${largest} bytes`);
    raw.close();
    const reopened = SqliteJournal.open(dir).journal;
    assert.ok(readsBytes(reopened.read(entry!.id), payload));
    reopened.remove(entry!.id);
    assert.deepEqual(reopened.read(entry!.id), { ok: false, reason: "missing" });
    assert.deepEqual(reopened.read(other!.id), { ok: true, payload: Buffer.from("next") });
    reopened.close();
    assert.equal(rowsIn(dir, "payload_parts"), 1);
  });
});

test("byte payloads an earlier version wrote in one row read back and are removed", () => {
  withDir((dir) => {
    const journal = SqliteJournal.open(dir).journal;
    const [entry] = journal.append([{ payload: Buffer.from("placeholder"), count: 3 }]);
    journal.close();
    // As the previous version wrote it: the bytes in `payloads`, no parts.
    const bytes = Buffer.from([0x0a, 0x02, 0x08, 0x01, 0xff]);
    const raw = new Database(join(dir, "spool.db"));
    raw.prepare("DELETE FROM payload_parts").run();
    raw.prepare("INSERT INTO payloads (id, data) VALUES (?, ?)").run(entry!.id, bytes);
    raw.prepare("UPDATE batches SET crc = ?, bytes = ? WHERE id = ?").run(crc32(bytes), bytes.length, entry!.id);
    raw.close();
    const reopened = SqliteJournal.open(dir).journal;
    assert.ok(readsBytes(reopened.read(entry!.id), bytes));
    reopened.remove(entry!.id);
    assert.equal(reopened.entries, 0);
    reopened.close();
    assert.equal(rowsIn(dir, "payloads"), 0);
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
    // Its batches named no destination: the first start after the upgrade took them as its own.
    const elsewhere = SqliteJournal.open(dir, { url: "https://elsewhere.example/otel", publicKey: "pk-other" });
    assert.equal(elsewhere.journal.entries, 0);
    assert.deepEqual(
      elsewhere.heldForOthers.map((h) => [h.url, h.publicKey, h.batches, h.spans]),
      [["", "", 2, 3]],
    );
    elsewhere.journal.close();
  });
});

const A = { url: "https://cloud.langfuse.com/api/public/otel/v1/traces", publicKey: "pk-lf-project-a" };
const B = { url: "https://us.cloud.langfuse.com/api/public/otel/v1/traces", publicKey: "pk-lf-project-b" };

test("batches belong to the destination they were made for: another destination neither sees nor counts them", () => {
  withDir((dir) => {
    const forA = SqliteJournal.open(dir, A);
    assert.deepEqual(forA.heldForOthers, []);
    const [a1] = forA.journal.append([{ payload: "for A, first", count: 2 }]);
    forA.journal.append([{ payload: "for A, second", count: 3 }]);
    forA.journal.close();

    for (const other of [B, { ...A, publicKey: "pk-lf-project-b" }, { ...B, publicKey: A.publicKey }]) {
      const opened = SqliteJournal.open(dir, other);
      assert.deepEqual(
        [opened.journal.entries, opened.journal.spans, opened.journal.bytes, opened.journal.scan(0, 10)],
        [0, 0, 0, []],
        `${other.url} ${other.publicKey} saw A's batches`,
      );
      assert.deepEqual(opened.heldForOthers, [{ ...A, batches: 2, spans: 5, bytes: 25 }]);
      const [mine] = opened.journal.append([{ payload: "for the other", count: 1 }]);
      assert.deepEqual(
        opened.journal.scan(0, 10).map((e) => e.id),
        [mine!.id],
      );
      opened.journal.remove(mine!.id);
      opened.journal.close();
    }

    const again = SqliteJournal.open(dir, A);
    assert.equal(again.journal.entries, 2);
    assert.equal(again.journal.spans, 5);
    assert.equal(again.journal.scan(0, 10)[0]!.id, a1!.id);
    assert.deepEqual(again.journal.read(a1!.id), { ok: true, payload: "for A, first" });
    assert.deepEqual(
      again.heldForOthers.map((h) => h.batches),
      [],
    );
    again.journal.close();
  });
});

test("the folder is 0700 and the files 0600, also a folder and a file an earlier version made open", () => {
  withDir((base) => {
    const dir = join(base, "spool");
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const first = SqliteJournal.open(join(base, "fresh", "spool"));
    first.journal.append([{ payload: "x", count: 1 }]);
    const second = SqliteJournal.open(dir);
    second.journal.append([{ payload: "y", count: 1 }]);
    for (const folder of [join(base, "fresh", "spool"), dir]) {
      assert.equal(statSync(folder).mode & 0o777, 0o700, folder);
      for (const file of ["spool.db", "spool.db-wal", "spool.db-shm"])
        assert.equal(statSync(join(folder, file)).mode & 0o777, 0o600, `${folder}/${file}`);
    }
    first.journal.close();
    second.journal.close();
  });
});

/** True when the marker is anywhere in the journal's files (database and write-ahead log). */
function onDisk(dir: string, marker: string): boolean {
  return ["spool.db", "spool.db-wal"].some(
    (f) => existsSync(join(dir, f)) && readFileSync(join(dir, f)).includes(marker),
  );
}

test("a delivered batch does not stay readable in the files: at once when the journal empties, within 4 MB of removals otherwise", async () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-"));
  try {
    const { journal } = SqliteJournal.open(dir);
    const [delivered] = journal.append([{ payload: `spans of a delivered turn ${"secret-a".repeat(2000)}`, count: 5 }]);
    assert.ok(onDisk(dir, "secret-a"));
    journal.remove(delivered!.id);
    assert.equal(onDisk(dir, "secret-a"), false, "the journal is empty, yet the batch is still in its files");

    const [held] = journal.append([{ payload: "a batch still waiting for Langfuse", count: 1 }]);
    const [second] = journal.append([{ payload: `spans of another turn ${"secret-b".repeat(2000)}`, count: 5 }]);
    journal.remove(second!.id);
    // Traffic goes on: batches appended and delivered, while one waits.
    const filler = "f".repeat(256 * 1024);
    for (let i = 0; i < 20; i++) {
      const [e] = journal.append([{ payload: filler, count: 1 }]);
      journal.remove(e!.id);
    }
    // The log is cut once the task that made those removals is done.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(onDisk(dir, "secret-b"), false, "4 MB of removals later the batch is still in the files");
    assert.deepEqual(journal.read(held!.id), { ok: true, payload: "a batch still waiting for Langfuse" });
    journal.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a seal past LANGFUSE_JOURNAL_MAX_BYTES: once the oldest batches are evicted, spool.db holds the bound and the B-trees' slack, not the seal as well", async () => {
  const dir = mkdtempSync(join(tmpdir(), "journal-"));
  try {
    const { journal } = SqliteJournal.open(dir);
    // As BatchDelivery does with Langfuse down: a seal's batches appended in one write, then, in
    // the same task, the oldest removed until the journal is back under its bound.
    const bound = 1024 * 1024;
    const batch = Buffer.alloc(55 * 1024, 0x5a);
    let maxDb = 0;
    for (let seal = 0; seal < 30; seal++) {
      journal.append(Array.from({ length: 25 }, () => ({ payload: batch, count: 10 })));
      while (journal.bytes > bound && journal.entries > 1) journal.remove(journal.scan(0, 1)[0]!.id);
      await new Promise((resolve) => setImmediate(resolve));
      maxDb = Math.max(maxDb, statSync(join(dir, "spool.db")).size);
    }
    assert.ok(journal.bytes <= bound);
    journal.close();
    // 25 batches of 55 KB a seal: the file would hold the bound plus the seal, 2.5 times the bound.
    assert.ok(maxDb <= 1.2 * bound, `spool.db reached ${maxDb} bytes, ${(maxDb / bound).toFixed(2)} times the bound`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
