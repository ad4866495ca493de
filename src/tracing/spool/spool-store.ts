import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import Database from "better-sqlite3";

/** One spooled batch: the comma-joined encoded spans the exporter would have sent. */
export interface SpooledBatch {
  id: number;
  spans: string;
  count: number;
  bytes: number;
}

export interface SpoolStoreOpenResult {
  store: SpoolStore;
  /** Set when an unreadable database file was moved aside and a fresh one started. */
  recoveredFrom?: string;
}

/**
 * The spool's storage: a SQLite database in WAL mode (a store proven against crashes, rather
 * than a file format of our own). Each row carries a CRC32 of its payload, so an entry damaged
 * on disk is detected on read and skipped instead of being sent.
 */
export class SpoolStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #oldest: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #oldestMeta: Database.Statement;
  readonly #totals: Database.Statement;
  readonly #insertMany: (rows: { spans: string; count: number }[]) => void;
  #bytes = 0;
  #batches = 0;

  private constructor(db: Database.Database) {
    this.#db = db;
    db.pragma("journal_mode = WAL");
    // Committed writes survive a crash of the process (kill -9): they are in the OS's page cache.
    // Without fsync (OFF) an OS crash or power loss can lose the last seconds of spool, in
    // exchange for checkpoints that do not stall the event loop on the disk while Langfuse is down.
    db.pragma("synchronous = OFF");
    db.exec(`CREATE TABLE IF NOT EXISTS batches (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      created_ms INTEGER NOT NULL,
      count INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      crc INTEGER NOT NULL,
      spans TEXT NOT NULL
    )`);
    this.#insert = db.prepare("INSERT INTO batches (created_ms, count, bytes, crc, spans) VALUES (?, ?, ?, ?, ?)");
    this.#oldest = db.prepare("SELECT id, count, bytes, crc, spans FROM batches ORDER BY id LIMIT ?");
    this.#delete = db.prepare("DELETE FROM batches WHERE id = ?");
    this.#oldestMeta = db.prepare("SELECT id, count, bytes FROM batches ORDER BY id LIMIT ?");
    this.#insertMany = db.transaction((rows: { spans: string; count: number }[]) => {
      const now = Date.now();
      for (const row of rows) {
        const bytes = Buffer.byteLength(row.spans);
        this.#insert.run(now, row.count, bytes, crc32(row.spans), row.spans);
        this.#bytes += bytes;
        this.#batches += 1;
      }
    });
    this.#totals = db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM batches");
    this.recount();
  }

  /**
   * Re-reads the totals from the database. The running counters are this process's view; another
   * process sharing the folder (a misconfiguration, but a survivable one) can change the rows.
   */
  recount(): void {
    const totals = this.#totals.get() as { n: number; b: number };
    this.#batches = totals.n;
    this.#bytes = totals.b;
  }

  /**
   * Opens (or creates) the spool in `dir`. A file SQLite cannot read is renamed aside as
   * `spool.db.corrupt-<time>` and a fresh spool started; other errors (unwritable directory,
   * full disk) are thrown for the caller to degrade to memory-only.
   */
  static open(dir: string): SpoolStoreOpenResult {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, "spool.db");
    try {
      return { store: new SpoolStore(new Database(path)) };
    } catch (err) {
      if (!isCorruption(err) || !existsSync(path)) throw err;
      const aside = `${path}.corrupt-${Date.now()}`;
      renameSync(path, aside);
      for (const suffix of ["-wal", "-shm"]) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
      return { store: new SpoolStore(new Database(path)), recoveredFrom: aside };
    }
  }

  get bytes(): number {
    return this.#bytes;
  }

  get batches(): number {
    return this.#batches;
  }

  /** Appends batches in one transaction. */
  append(rows: { spans: string; count: number }[]): void {
    this.#insertMany(rows);
  }

  /** The oldest entries; `corrupt` lists ids whose payload failed its checksum. */
  oldest(limit: number): { batches: SpooledBatch[]; corrupt: { id: number; count: number; bytes: number }[] } {
    const rows = this.#oldest.all(limit) as { id: number; count: number; bytes: number; crc: number; spans: unknown }[];
    const batches: SpooledBatch[] = [];
    const corrupt: { id: number; count: number; bytes: number }[] = [];
    for (const row of rows) {
      if (typeof row.spans === "string" && crc32(row.spans) === row.crc) batches.push({ id: row.id, spans: row.spans, count: row.count, bytes: row.bytes });
      else corrupt.push({ id: row.id, count: row.count, bytes: row.bytes });
    }
    return { batches, corrupt };
  }

  /** Ids and sizes of the oldest entries, without their payloads (for eviction). */
  oldestMeta(limit: number): { id: number; count: number; bytes: number }[] {
    return this.#oldestMeta.all(limit) as { id: number; count: number; bytes: number }[];
  }

  remove(id: number, bytes: number): void {
    const result = this.#delete.run(id);
    if (result.changes > 0) {
      this.#bytes -= bytes;
      this.#batches -= 1;
    }
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT" || /not a database|malformed/i.test(String((err as Error).message));
}
