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
  readonly #read: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #setMaybeStored: Database.Statement;
  readonly #scan: Database.Statement;
  readonly #appendAll: (batches: readonly { payload: Encoded; count: number }[]) => JournalEntry[];
  readonly #replace: (id: number, batches: readonly { payload: Encoded; count: number }[]) => JournalEntry[];
  #bytes = 0;
  #entries = 0;
  #spans = 0;

  private constructor(db: Database.Database) {
    this.#db = db;
    db.pragma("journal_mode = WAL");
    // Committed writes survive a crash of the process (kill -9): they are in the OS's page cache.
    // Without fsync (OFF) an OS crash or power loss can lose the last seconds of the journal, in
    // exchange for writes and checkpoints that never stall the event loop on the disk.
    db.pragma("synchronous = OFF");
    db.exec(`CREATE TABLE IF NOT EXISTS batches (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      created_ms INTEGER NOT NULL,
      count INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      crc INTEGER NOT NULL,
      maybe_stored INTEGER NOT NULL DEFAULT 0,
      spans TEXT NOT NULL
    )`);
    // A spool written by an earlier version has no maybe_stored column.
    const columns = db.prepare("PRAGMA table_info(batches)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "maybe_stored")) db.exec("ALTER TABLE batches ADD COLUMN maybe_stored INTEGER NOT NULL DEFAULT 0");
    this.#insert = db.prepare("INSERT INTO batches (created_ms, count, bytes, crc, spans) VALUES (?, ?, ?, ?, ?)");
    this.#read = db.prepare("SELECT crc, spans FROM batches WHERE id = ?");
    this.#delete = db.prepare("DELETE FROM batches WHERE id = ? RETURNING bytes, count");
    this.#setMaybeStored = db.prepare("UPDATE batches SET maybe_stored = ? WHERE id = ?");
    this.#scan = db.prepare("SELECT id, count, bytes, maybe_stored FROM batches WHERE id > ? ORDER BY id LIMIT ?");
    this.#appendAll = db.transaction((batches: readonly { payload: Encoded; count: number }[]) => this.#appendEach(batches));
    this.#replace = db.transaction((id: number, batches: readonly { payload: Encoded; count: number }[]) => {
      this.remove(id);
      return this.#appendEach(batches);
    });
    const totals = db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b, COALESCE(SUM(count), 0) AS s FROM batches").get() as { n: number; b: number; s: number };
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

  append(batches: readonly { payload: Encoded; count: number }[]): JournalEntry[] {
    return this.#appendAll(batches);
  }

  #appendEach(batches: readonly { payload: Encoded; count: number }[]): JournalEntry[] {
    const now = Date.now();
    return batches.map(({ payload, count }) => {
      // Text (OTLP/JSON) is stored as TEXT, bytes (OTLP/protobuf) as a BLOB: each reads back as it was.
      const stored = typeof payload === "string" ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      const bytes = typeof stored === "string" ? Buffer.byteLength(stored) : stored.length;
      const id = Number(this.#insert.run(now, count, bytes, crc32(stored), stored).lastInsertRowid);
      this.#bytes += bytes;
      this.#entries += 1;
      this.#spans += count;
      return { id, count, bytes, maybeStored: false };
    });
  }

  read(id: number): JournalRead {
    const row = this.#read.get(id) as { crc: number; spans: unknown } | undefined;
    if (!row) return { ok: false, reason: "missing" };
    if (!(typeof row.spans === "string" || Buffer.isBuffer(row.spans)) || crc32(row.spans) !== row.crc) return { ok: false, reason: "corrupt" };
    return { ok: true, payload: row.spans };
  }

  setMaybeStored(id: number, maybeStored: boolean): void {
    this.#setMaybeStored.run(maybeStored ? 1 : 0, id);
  }

  remove(id: number): void {
    const row = this.#delete.get(id) as { bytes: number; count: number } | undefined;
    if (!row) return;
    this.#bytes -= row.bytes;
    this.#entries -= 1;
    this.#spans -= row.count;
  }

  replace(id: number, batches: readonly { payload: Encoded; count: number }[]): JournalEntry[] {
    return this.#replace(id, batches);
  }

  scan(afterId: number, limit: number): JournalEntry[] {
    return (this.#scan.all(afterId, limit) as Row[]).map((r) => ({ id: r.id, count: r.count, bytes: r.bytes, maybeStored: r.maybe_stored === 1 }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT" || /not a database|malformed/i.test(String((err as Error).message));
}
