import type { Encoded } from "../encoding/span-format.js";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import Database from "better-sqlite3";
import type { BatchJournal, JournalEntry, JournalRead } from "./batch-journal.js";

export interface SqliteJournalOpenResult {
  journal: SqliteJournal;
  /** Set when an unreadable database file was moved aside and a fresh one started. */
  recoveredFrom?: string;
}

/** Write-ahead log size at which SQLite checkpoints it, and to which it is cut back after. */
const WAL_CHECKPOINT_BYTES = 4 * 1024 * 1024;

interface Row {
  id: number;
  count: number;
  bytes: number;
  maybe_stored: number;
}

/**
 * The durable journal: a SQLite database in WAL mode (a store proven against crashes, rather
 * than a file format of our own). Each row carries a CRC32 of its payload, so an entry damaged
 * on disk is detected on read and skipped instead of being sent.
 */
export class SqliteJournal implements BatchJournal {
  readonly durable = true;
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #insertPayload: Database.Statement;
  readonly #read: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #deletePayload: Database.Statement;
  readonly #removeOne: (id: number) => { bytes: number; count: number } | undefined;
  readonly #setMaybeStored: Database.Statement;
  readonly #scan: Database.Statement;
  readonly #appendAll: (batches: readonly { payload: Encoded; count: number }[]) => JournalEntry[];
  readonly #replace: (
    id: number,
    batches: readonly { payload: Encoded; count: number }[],
  ) => { removed: { bytes: number; count: number } | undefined; entries: JournalEntry[] };
  #bytes = 0;
  #entries = 0;
  #spans = 0;

  private constructor(db: Database.Database) {
    this.#db = db;
    // 16 KB pages: a 1 MB batch is 64 pages to write and free, not 256 (measured: 1.0 ms per MB
    // appended, marked and removed, against 2.1 ms with 4 KB pages; 64 KB pages are no faster
    // and make every small update of the bookkeeping a 64 KB write). Only takes effect on a new file.
    db.pragma("page_size = 16384");
    db.pragma("journal_mode = WAL");
    // The write-ahead log is checkpointed every 4 MB and cut back to 4 MB after: the journal's
    // disk use stays LANGFUSE_SPOOL_MAX_BYTES plus about that much (SQLite's default, 1000
    // pages, would let it grow by 16 MB and never shrink).
    db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_BYTES / 16384}`);
    db.pragma(`journal_size_limit = ${WAL_CHECKPOINT_BYTES}`);
    // Committed writes survive a crash of the process (kill -9): they are in the OS's page cache.
    // Without fsync (OFF) an OS crash or power loss can lose the last seconds of the journal, in
    // exchange for writes and checkpoints that never stall on the disk.
    db.pragma("synchronous = OFF");
    migrate(db);
    // Payloads live apart from the bookkeeping: marking a batch "maybe stored" rewrites a small
    // row, not its megabyte of spans.
    this.#insert = db.prepare("INSERT INTO batches (created_ms, count, bytes, crc) VALUES (?, ?, ?, ?)");
    this.#insertPayload = db.prepare("INSERT INTO payloads (id, data) VALUES (?, ?)");
    this.#read = db.prepare(
      "SELECT b.crc AS crc, p.data AS data FROM batches b JOIN payloads p ON p.id = b.id WHERE b.id = ?",
    );
    this.#delete = db.prepare("DELETE FROM batches WHERE id = ? RETURNING bytes, count");
    this.#deletePayload = db.prepare("DELETE FROM payloads WHERE id = ?");
    this.#setMaybeStored = db.prepare("UPDATE batches SET maybe_stored = ? WHERE id = ?");
    this.#scan = db.prepare("SELECT id, count, bytes, maybe_stored FROM batches WHERE id > ? ORDER BY id LIMIT ?");
    this.#appendAll = db.transaction((batches: readonly { payload: Encoded; count: number }[]) =>
      this.#appendEach(batches),
    );
    this.#removeOne = db.transaction((id: number) => this.#removeRow(id));
    this.#replace = db.transaction((id: number, batches: readonly { payload: Encoded; count: number }[]) => ({
      removed: this.#removeRow(id),
      entries: this.#appendEach(batches),
    }));
    const totals = db
      .prepare("SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b, COALESCE(SUM(count), 0) AS s FROM batches")
      .get() as { n: number; b: number; s: number };
    this.#entries = totals.n;
    this.#bytes = totals.b;
    this.#spans = totals.s;
  }

  /**
   * Opens (or creates) `spool.db` in `dir` (the name earlier versions used, so what they left
   * is replayed). A file SQLite cannot read is renamed aside as
   * `spool.db.corrupt-<time>` and a fresh one started; other errors (unwritable directory, full
   * disk) are thrown for the caller to fall back to memory.
   */
  static open(dir: string): SqliteJournalOpenResult {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, "spool.db");
    try {
      return { journal: new SqliteJournal(new Database(path)) };
    } catch (err) {
      if (!isCorruption(err) || !existsSync(path)) throw err;
      const aside = `${path}.corrupt-${Date.now()}`;
      renameSync(path, aside);
      for (const suffix of ["-wal", "-shm"]) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
      return { journal: new SqliteJournal(new Database(path)), recoveredFrom: aside };
    }
  }

  /** A journal in memory with SQLite's behaviour (tests). */
  static inMemory(): SqliteJournal {
    return new SqliteJournal(new Database(":memory:"));
  }

  get bytes(): number {
    return this.#bytes;
  }

  get entries(): number {
    return this.#entries;
  }

  get spans(): number {
    return this.#spans;
  }

  // The running totals change only once a transaction has committed: a write that fails (disk
  // full) leaves them as true as the file.
  append(batches: readonly { payload: Encoded; count: number }[]): JournalEntry[] {
    const entries = this.#appendAll(batches);
    for (const e of entries) this.#count(e, 1);
    return entries;
  }

  #count(row: { bytes: number; count: number }, sign: 1 | -1): void {
    this.#bytes += sign * row.bytes;
    this.#entries += sign;
    this.#spans += sign * row.count;
  }

  #appendEach(batches: readonly { payload: Encoded; count: number }[]): JournalEntry[] {
    const now = Date.now();
    return batches.map(({ payload, count }) => {
      // Text (OTLP/JSON) is stored as TEXT, bytes (OTLP/protobuf) as a BLOB: each reads back as it was.
      const stored =
        typeof payload === "string" ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      const bytes = typeof stored === "string" ? Buffer.byteLength(stored) : stored.length;
      const id = Number(this.#insert.run(now, count, bytes, crc32(stored)).lastInsertRowid);
      this.#insertPayload.run(id, stored);
      return { id, count, bytes, maybeStored: false };
    });
  }

  read(id: number): JournalRead {
    const row = this.#read.get(id) as { crc: number; data: unknown } | undefined;
    if (!row) return { ok: false, reason: "missing" };
    if (!(typeof row.data === "string" || Buffer.isBuffer(row.data)) || crc32(row.data) !== row.crc)
      return { ok: false, reason: "corrupt" };
    return { ok: true, payload: row.data };
  }

  setMaybeStored(id: number, maybeStored: boolean): void {
    this.#setMaybeStored.run(maybeStored ? 1 : 0, id);
  }

  remove(id: number): void {
    const removed = this.#removeOne(id);
    if (removed) this.#count(removed, -1);
  }

  #removeRow(id: number): { bytes: number; count: number } | undefined {
    this.#deletePayload.run(id);
    return this.#delete.get(id) as { bytes: number; count: number } | undefined;
  }

  replace(id: number, batches: readonly { payload: Encoded; count: number }[]): JournalEntry[] {
    const { removed, entries } = this.#replace(id, batches);
    if (removed) this.#count(removed, -1);
    for (const e of entries) this.#count(e, 1);
    return entries;
  }

  scan(afterId: number, limit: number): JournalEntry[] {
    return (this.#scan.all(afterId, limit) as Row[]).map((r) => ({
      id: r.id,
      count: r.count,
      bytes: r.bytes,
      maybeStored: r.maybe_stored === 1,
    }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/**
 * Creates the tables, or brings a journal written by an earlier version up to date: the first
 * kept payloads in a `spans` column of `batches` (and had no maybe_stored).
 */
function migrate(db: Database.Database): void {
  const columns = (db.prepare("PRAGMA table_info(batches)").all() as { name: string }[]).map((c) => c.name);
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS payloads (id INTEGER PRIMARY KEY, data NOT NULL)`);
    if (columns.includes("spans")) {
      db.exec(`INSERT INTO payloads (id, data) SELECT id, spans FROM batches`);
      const maybe = columns.includes("maybe_stored") ? "maybe_stored" : "0";
      db.exec(
        `CREATE TABLE batches_v2 (id INTEGER PRIMARY KEY AUTOINCREMENT, created_ms INTEGER NOT NULL, count INTEGER NOT NULL, bytes INTEGER NOT NULL, crc INTEGER NOT NULL, maybe_stored INTEGER NOT NULL DEFAULT 0)`,
      );
      db.exec(
        `INSERT INTO batches_v2 (id, created_ms, count, bytes, crc, maybe_stored) SELECT id, created_ms, count, bytes, crc, ${maybe} FROM batches`,
      );
      db.exec(`DROP TABLE batches`);
      db.exec(`ALTER TABLE batches_v2 RENAME TO batches`);
    } else {
      db.exec(
        `CREATE TABLE IF NOT EXISTS batches (id INTEGER PRIMARY KEY AUTOINCREMENT, created_ms INTEGER NOT NULL, count INTEGER NOT NULL, bytes INTEGER NOT NULL, crc INTEGER NOT NULL, maybe_stored INTEGER NOT NULL DEFAULT 0)`,
      );
    }
  })();
}

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return (
    code === "SQLITE_NOTADB" ||
    code === "SQLITE_CORRUPT" ||
    /not a database|malformed/i.test(String((err as Error).message))
  );
}
