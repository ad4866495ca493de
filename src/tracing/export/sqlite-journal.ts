import type { Encoded } from "../encoding/span-format.js";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import Database from "better-sqlite3";
import type { BatchJournal, JournalEntry, JournalRead, KeptBatch } from "./batch-journal.js";

/**
 * Where a journal's batches are to be delivered: the OTLP endpoint (from the Langfuse base URL)
 * and the project's public key. Never the secret key: the journal is a file on disk.
 */
export interface JournalDestination {
  url: string;
  publicKey: string;
}

/** Batches in the file made for another destination than the one the journal was opened for. */
export interface HeldBatches extends JournalDestination {
  batches: number;
  spans: number;
  bytes: number;
}

export interface SqliteJournalOpenResult {
  journal: SqliteJournal;
  /** Set when an unreadable database file was moved aside and a fresh one started. */
  recoveredFrom?: string;
  /** What the file holds for other destinations: kept for them, never sent to this one. */
  heldForOthers: HeldBatches[];
}

/** A journal opened without a destination (tests): every such open sees the same batches. */
const UNNAMED_DESTINATION: JournalDestination = { url: "", publicKey: "" };

/**
 * The write-ahead log is checkpointed before it passes this size, and cut back to it after.
 * The journal checkpoints it itself (see #afterWrite): SQLite would at the commit that passed
 * the mark, most often a seal's append, made before the batches past LANGFUSE_JOURNAL_MAX_BYTES
 * are evicted, and the database file would then be written out to the bound plus the whole seal.
 */
const WAL_CHECKPOINT_BYTES = 4 * 1024 * 1024;
const PAGE_SIZE = 16384;
/**
 * SQLite's page cache for the journal, in KiB. better-sqlite3 builds SQLite with a 16 MB default
 * (SQLITE_DEFAULT_CACHE_SIZE=-16000), which a journal fills while Langfuse is down, every batch
 * being written, and glibc then keeps: the traced service's C heap grew 8 MB over the same outage
 * without the journal. The journal writes each batch once and reads it once: two batches' pages and
 * the bookkeeping's are all a cache can reuse.
 */
const CACHE_KIB = 2048;
/**
 * Log pages a write takes besides its payloads' (see pagesOf), counted high: measured, a 55 KB
 * batch appended takes 9 pages of log (4 of payload), removed 8 to 12; a mark takes 1.
 */
const PAGES_PER_WRITE = 7;
const PAGES_PER_MARK = 2;
/**
 * A byte payload is written in parts of at most this size, each a row of its own. Writing a row,
 * SQLite allocates blocks several times its size, and blocks of 512 KiB and more come from mmap
 * (npm start fixes glibc's threshold there, see docs/deployment.md): each write then pays the
 * kernel for fresh zeroed pages and hands them back. Appending a 1 MB batch took 11 ms in one
 * row, 3.4 ms in 128 KiB parts and 1.5 ms in 64 KiB parts, the same as with glibc's own
 * threshold (60 appends each way, in one process per setting).
 */
const PART_BYTES = 64 * 1024;
/** Part keys: a batch's parts are keyed `id * PARTS_PER_BATCH + part` (a 64 MB batch has 1024). */
const PARTS_PER_BATCH = 1024;
/**
 * After this many bytes of batches removed (delivered or dropped), or this long after the first
 * removal since the last time, or when the journal empties, free pages are handed back to the
 * file system and the write-ahead log is cut, so delivered traces do not stay in the files.
 */
const RECLAIM_BYTES = WAL_CHECKPOINT_BYTES;
const RECLAIM_INTERVAL_MS = 10_000;
/** The journal's folder and files are readable by the service's user only. */
const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

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
 *
 * Each batch belongs to the destination it was made for (base URL and public key). A journal
 * opened for one destination sees only that destination's batches: what the file holds for
 * another (the service restarted with other Langfuse settings) stays there, untouched and
 * uncounted, until a start with that destination delivers it.
 *
 * The folder is 0700 and the files 0600. Removed batches do not stay readable: deleted content
 * is overwritten (secure_delete), free pages are handed back to the file system (incremental
 * auto-vacuum) and the write-ahead log, whose older frames hold removed pages, is cut.
 */
export class SqliteJournal implements BatchJournal {
  readonly durable = true;
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #insertAs: Database.Statement;
  readonly #insertPayload: Database.Statement;
  readonly #insertPart: Database.Statement;
  readonly #readCrc: Database.Statement;
  readonly #readParts: Database.Statement;
  readonly #readPayload: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #deletePayload: Database.Statement;
  readonly #deleteParts: Database.Statement;
  readonly #removeOne: (id: number) => { bytes: number; count: number } | undefined;
  readonly #setMaybeStored: Database.Statement;
  readonly #scan: Database.Statement;
  readonly #appendAll: (batches: readonly { payload: Encoded; count: number }[]) => JournalEntry[];
  readonly #appendAllAs: (rows: readonly KeptBatch[]) => void;
  readonly #replace: (
    id: number,
    batches: readonly { payload: Encoded; count: number }[],
  ) => { removed: { bytes: number; count: number } | undefined; entries: JournalEntry[] };
  readonly #destinationId: number;
  readonly #heldForOthers: HeldBatches[];
  #bytes = 0;
  #entries = 0;
  #spans = 0;
  /** Bytes removed since free pages were last handed back, and when the first of them was. */
  #freedBytes = 0;
  #firstFreedAt = 0;
  /**
   * Pages written to the write-ahead log since its last checkpoint, as the journal counts them
   * (pagesOf); whether a reclaim waits for the end of the current task, and whether it cuts the log.
   */
  #walPages = 0;
  #reclaimQueued = false;
  #cutQueued = false;

  private constructor(db: Database.Database, destination: JournalDestination) {
    this.#db = db;
    // 16 KB pages: a 1 MB batch is 64 pages to write and free, not 256 (measured: 1.0 ms per MB
    // appended, marked and removed, against 2.1 ms with 4 KB pages; 64 KB pages are no faster
    // and make every small update of the bookkeeping a 64 KB write). Only takes effect on a new file.
    db.pragma(`page_size = ${PAGE_SIZE}`);
    // Free pages can be handed back to the file system; set before any table exists (a new file),
    // converted below for a file made by an earlier version.
    db.pragma("auto_vacuum = INCREMENTAL");
    db.pragma("journal_mode = WAL");
    db.pragma(`cache_size = -${CACHE_KIB}`);
    // The journal checkpoints the write-ahead log itself, before it passes 4 MB (#afterWrite):
    // SQLite's checkpoint, at the commit that passed the mark, would most often be a seal's
    // append, before the evictions. Its own is a backstop at twice the mark (the journal counts
    // the log's pages high). journal_size_limit cuts the log back to 4 MB once checkpointed.
    db.pragma(`wal_autocheckpoint = ${(2 * WAL_CHECKPOINT_BYTES) / PAGE_SIZE}`);
    db.pragma(`journal_size_limit = ${WAL_CHECKPOINT_BYTES}`);
    // Committed writes survive a crash of the process (kill -9): they are in the OS's page cache.
    // Without fsync (OFF) an OS crash or power loss can lose the last seconds of the journal, in
    // exchange for writes and checkpoints that never stall on the disk.
    db.pragma("synchronous = OFF");
    // A removed batch's content is overwritten, not left in free pages.
    db.pragma("secure_delete = ON");
    migrate(db);
    if ((db.pragma("auto_vacuum", { simple: true }) as number) !== 2) db.exec("VACUUM");
    this.#destinationId = destinationIdOf(db, destination);
    // Payloads live apart from the bookkeeping: marking a batch "maybe stored" rewrites a small
    // row, not its megabyte of spans.
    this.#insert = db.prepare(
      `INSERT INTO batches (created_ms, count, bytes, crc, destination) VALUES (?, ?, ?, ?, ${this.#destinationId})`,
    );
    this.#insertAs = db.prepare(
      `INSERT INTO batches (id, created_ms, count, bytes, crc, maybe_stored, destination) VALUES (?, ?, ?, ?, ?, ?, ${this.#destinationId})`,
    );
    // Text payloads (OTLP/JSON) are one row in `payloads`; byte payloads are parts (PART_BYTES),
    // and an earlier version's are one row in `payloads` too.
    this.#insertPayload = db.prepare("INSERT INTO payloads (id, data) VALUES (?, ?)");
    this.#insertPart = db.prepare("INSERT INTO payload_parts (key, data) VALUES (?, ?)");
    this.#readCrc = db.prepare("SELECT crc FROM batches WHERE id = ?").pluck();
    this.#readParts = db.prepare("SELECT data FROM payload_parts WHERE key >= ? AND key < ? ORDER BY key").pluck();
    this.#readPayload = db.prepare("SELECT data FROM payloads WHERE id = ?").pluck();
    this.#delete = db.prepare("DELETE FROM batches WHERE id = ? RETURNING bytes, count");
    this.#deletePayload = db.prepare("DELETE FROM payloads WHERE id = ?");
    this.#deleteParts = db.prepare("DELETE FROM payload_parts WHERE key >= ? AND key < ?");
    this.#setMaybeStored = db.prepare("UPDATE batches SET maybe_stored = ? WHERE id = ?");
    this.#scan = db.prepare(
      `SELECT id, count, bytes, maybe_stored FROM batches WHERE destination = ${this.#destinationId} AND id > ? ORDER BY id LIMIT ?`,
    );
    this.#appendAll = db.transaction((batches: readonly { payload: Encoded; count: number }[]) =>
      this.#appendEach(batches),
    );
    this.#appendAllAs = db.transaction((rows: readonly KeptBatch[]) => {
      const now = Date.now();
      for (const { entry, payload } of rows) {
        const stored = storedForm(payload);
        this.#insertAs.run(entry.id, now, entry.count, entry.bytes, crc32(stored), entry.maybeStored ? 1 : 0);
        this.#writePayload(entry.id, stored);
      }
    });
    this.#removeOne = db.transaction((id: number) => this.#removeRow(id));
    this.#replace = db.transaction((id: number, batches: readonly { payload: Encoded; count: number }[]) => ({
      removed: this.#removeRow(id),
      entries: this.#appendEach(batches),
    }));
    const totals = db
      .prepare(
        "SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b, COALESCE(SUM(count), 0) AS s FROM batches WHERE destination = ?",
      )
      .get(this.#destinationId) as { n: number; b: number; s: number };
    this.#entries = totals.n;
    this.#bytes = totals.b;
    this.#spans = totals.s;
    this.#heldForOthers = db
      .prepare(
        `SELECT d.url AS url, d.public_key AS publicKey, COUNT(*) AS batches, SUM(b.count) AS spans, SUM(b.bytes) AS bytes
         FROM batches b JOIN destinations d ON d.id = b.destination WHERE b.destination <> ? GROUP BY d.id ORDER BY d.id`,
      )
      .all(this.#destinationId) as HeldBatches[];
  }

  /**
   * Opens (or creates) `spool.db` in `dir` (the name earlier versions used, so what they left
   * is replayed). A file SQLite cannot read is renamed aside as
   * `spool.db.corrupt-<time>` and a fresh one started; other errors (unwritable directory, full
   * disk) are thrown for the caller to fall back to memory.
   */
  static open(
    dir: string,
    destination: JournalDestination = UNNAMED_DESTINATION,
    file = "spool.db",
  ): SqliteJournalOpenResult {
    makePrivateDir(dir);
    const path = join(dir, file);
    makePrivateFile(path);
    const opened = (journal: SqliteJournal, recoveredFrom?: string): SqliteJournalOpenResult => ({
      journal,
      heldForOthers: journal.#heldForOthers,
      ...(recoveredFrom ? { recoveredFrom } : {}),
    });
    try {
      return opened(new SqliteJournal(new Database(path), destination));
    } catch (err) {
      if (!isCorruption(err) || !existsSync(path)) throw err;
      const aside = `${path}.corrupt-${Date.now()}`;
      renameSync(path, aside);
      for (const suffix of ["-wal", "-shm"]) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
      makePrivateFile(path);
      return opened(new SqliteJournal(new Database(path), destination), aside);
    }
  }

  /** A journal in memory with SQLite's behaviour (tests). */
  static inMemory(): SqliteJournal {
    return new SqliteJournal(new Database(":memory:"), UNNAMED_DESTINATION);
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Nothing: every batch is in the file. */
  readonly memoryBytes = 0;

  /** Above every id this file has ever given (whatever the destination): where a journal writing ahead of it starts. */
  nextId(): number {
    const row = this.#db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'batches'").get() as
      { seq: number } | undefined;
    return (row?.seq ?? 0) + 1;
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
    this.#reclaimBefore(batches);
    const entries = this.#appendAll(batches);
    for (const e of entries) this.#count(e, 1);
    this.#afterWrite(pagesOf(entries));
    return entries;
  }

  /**
   * Writes batches that already have their entries (ids, maybe-stored marks) in one transaction:
   * batches a write-behind journal held in memory until now (write-behind-journal.ts).
   */
  appendAs(rows: readonly KeptBatch[]): void {
    if (rows.length === 0) return;
    this.#reclaimBefore(rows);
    this.#appendAllAs(rows);
    for (const { entry } of rows) this.#count(entry, 1);
    this.#afterWrite(pagesOf(rows.map((r) => r.entry)));
  }

  #count(row: { bytes: number; count: number }, sign: 1 | -1): void {
    this.#bytes += sign * row.bytes;
    this.#entries += sign;
    this.#spans += sign * row.count;
  }

  #appendEach(batches: readonly { payload: Encoded; count: number }[]): JournalEntry[] {
    const now = Date.now();
    return batches.map(({ payload, count }) => {
      const stored = storedForm(payload);
      const bytes = typeof stored === "string" ? Buffer.byteLength(stored) : stored.length;
      const id = Number(this.#insert.run(now, count, bytes, crc32(stored)).lastInsertRowid);
      this.#writePayload(id, stored);
      return { id, count, bytes, maybeStored: false };
    });
  }

  #writePayload(id: number, stored: string | Buffer): void {
    if (typeof stored === "string") {
      this.#insertPayload.run(id, stored);
      return;
    }
    const first = id * PARTS_PER_BATCH;
    // A payload too large for PARTS_PER_BATCH parts of PART_BYTES (past any batch cap) takes larger parts.
    const size = Math.max(PART_BYTES, Math.ceil(stored.length / PARTS_PER_BATCH));
    // An empty payload is one empty part, so that it reads back as written.
    for (let part = 0, at = 0; part === 0 || at < stored.length; part++, at += size)
      this.#insertPart.run(first + part, stored.subarray(at, at + size));
  }

  read(id: number): JournalRead {
    const crc = this.#readCrc.get(id) as number | undefined;
    if (crc === undefined) return { ok: false, reason: "missing" };
    const first = id * PARTS_PER_BATCH;
    const parts = this.#readParts.all(first, first + PARTS_PER_BATCH) as unknown[];
    // No parts: a text payload, or bytes an earlier version wrote, in one row (or none: missing).
    const data: unknown =
      parts.length === 0
        ? this.#readPayload.get(id)
        : parts.every((part) => Buffer.isBuffer(part))
          ? parts.length === 1
            ? parts[0]
            : Buffer.concat(parts as Buffer[])
          : null;
    if (data === undefined) return { ok: false, reason: "missing" };
    if (!(typeof data === "string" || Buffer.isBuffer(data)) || crc32(data) !== crc)
      return { ok: false, reason: "corrupt" };
    return { ok: true, payload: data };
  }

  setMaybeStored(id: number, maybeStored: boolean): void {
    this.#setMaybeStored.run(maybeStored ? 1 : 0, id);
    this.#afterWrite(PAGES_PER_MARK);
  }

  remove(id: number): void {
    const removed = this.#removeOne(id);
    if (removed) {
      this.#count(removed, -1);
      this.#freed(removed.bytes);
    }
    this.#afterWrite(removed ? pagesOf([removed]) : 0);
  }

  #freed(bytes: number): void {
    if (this.#freedBytes === 0) this.#firstFreedAt = Date.now();
    this.#freedBytes += bytes;
  }

  /*
   * When the journal reclaims (hands free pages back, then checkpoints the write-ahead log, which
   * writes the database file out at its size then). A seal appends its batches, then the oldest
   * past LANGFUSE_JOURNAL_MAX_BYTES are evicted, one removal at a time, in the same task: a
   * checkpoint between the two writes the file out to the bound plus the whole seal, and its
   * pages stay in it (reused by the next seals, never handed back). So the journal reclaims
   * - before an append, when the log could pass its mark during that append and its evictions;
   * - at the end of the task, after enough removals or a while after one;
   * - at once when a removal empties the journal, or when the log passes its mark all the same
   *   (a seal too large for the mark), and then again at the end of the task.
   */

  #afterWrite(pages: number): void {
    this.#walPages += pages;
    if (this.#entries === 0 && this.#freedBytes > 0) return this.#reclaim(true);
    if (
      this.#freedBytes >= RECLAIM_BYTES ||
      (this.#freedBytes > 0 && Date.now() - this.#firstFreedAt >= RECLAIM_INTERVAL_MS)
    )
      this.#reclaimAfterTask(true);
    if (this.#logFull()) {
      this.#reclaim(false);
      this.#reclaimAfterTask(false);
    }
  }

  /**
   * Before new batches: reclaim if the log could pass its mark while they are written (their
   * pages), the oldest batches evicted for them (their payload pages again, and each removal's
   * bookkeeping) and the vacuum after (their pages once more). The journal holds no more than
   * the bound then: the last seal's evictions are done.
   */
  #reclaimBefore(batches: readonly { payload: Encoded }[]): void {
    const pages = pagesOf(batches.map((b) => ({ bytes: b.payload.length })));
    if (this.#logFull(4 * pages)) this.#reclaim(false);
  }

  #reclaimAfterTask(cut: boolean): void {
    this.#cutQueued ||= cut;
    if (this.#reclaimQueued) return;
    this.#reclaimQueued = true;
    queueMicrotask(() => {
      this.#reclaimQueued = false;
      const cutNow = this.#cutQueued;
      this.#cutQueued = false;
      this.#reclaim(cutNow);
    });
  }

  #logFull(pagesToWrite = 0): boolean {
    return (this.#walPages + pagesToWrite) * PAGE_SIZE >= WAL_CHECKPOINT_BYTES;
  }

  /**
   * Hands free pages back to the file system, then checkpoints the write-ahead log. After enough
   * removals (`cut`) the log is cut to nothing, its frames holding removed batches with it;
   * otherwise the next write starts it over. Best effort: the batches are already removed, and
   * a failure here (the disk) is the next write's to report.
   */
  #reclaim(cut: boolean): void {
    this.#walPages = 0;
    if (cut) this.#freedBytes = 0;
    if (!this.#db.open) return;
    try {
      this.#db.pragma("incremental_vacuum");
      this.#db.pragma(cut ? "wal_checkpoint(TRUNCATE)" : "wal_checkpoint(PASSIVE)");
    } catch {}
  }

  #removeRow(id: number): { bytes: number; count: number } | undefined {
    const first = id * PARTS_PER_BATCH;
    this.#deleteParts.run(first, first + PARTS_PER_BATCH);
    this.#deletePayload.run(id);
    return this.#delete.get(id) as { bytes: number; count: number } | undefined;
  }

  replace(id: number, batches: readonly { payload: Encoded; count: number }[]): JournalEntry[] {
    this.#reclaimBefore(batches);
    const { removed, entries } = this.#replace(id, batches);
    if (removed) this.#count(removed, -1);
    for (const e of entries) this.#count(e, 1);
    if (removed) this.#freed(removed.bytes);
    this.#afterWrite(pagesOf(removed ? [removed, ...entries] : entries));
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

/** Text (OTLP/JSON) is stored as TEXT, bytes (OTLP/protobuf) as a BLOB: each reads back as it was. */
function storedForm(payload: Encoded): string | Buffer {
  return typeof payload === "string" ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

/**
 * Log pages a write transaction takes, over-counted rather than under: the payloads' pages, a
 * B-tree leaf per batch and per part, and the pages every write touches (the header, the pointer
 * map, the free list, the tables' roots).
 */
function pagesOf(batches: readonly { bytes: number }[]): number {
  let pages = PAGES_PER_WRITE;
  for (const b of batches) pages += Math.ceil(b.bytes / PAGE_SIZE) + Math.ceil(b.bytes / PART_BYTES) + 1;
  return pages;
}

/**
 * Creates the tables, or brings a journal written by an earlier version up to date: the first
 * kept payloads in a `spans` column of `batches` (and had no maybe_stored); none before this one
 * recorded a batch's destination.
 */
function migrate(db: Database.Database): void {
  const columns = (db.prepare("PRAGMA table_info(batches)").all() as { name: string }[]).map((c) => c.name);
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS payloads (id INTEGER PRIMARY KEY, data NOT NULL)`);
    db.exec(`CREATE TABLE IF NOT EXISTS payload_parts (key INTEGER PRIMARY KEY, data NOT NULL)`);
    db.exec(
      `CREATE TABLE IF NOT EXISTS destinations (id INTEGER PRIMARY KEY, url TEXT NOT NULL, public_key TEXT NOT NULL, UNIQUE (url, public_key))`,
    );
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
    // Batches of an earlier version name no destination: the first start after the upgrade takes
    // them as its own (there is no telling where they were meant to go).
    if (!columns.includes("destination")) db.exec(`ALTER TABLE batches ADD COLUMN destination INTEGER`);
    db.exec(`CREATE INDEX IF NOT EXISTS batches_destination ON batches (destination, id)`);
  })();
}

/** The destination's row id, created at its first use; batches of an earlier version are given to it. */
function destinationIdOf(db: Database.Database, destination: JournalDestination): number {
  return db.transaction(() => {
    db.prepare("INSERT INTO destinations (url, public_key) VALUES (?, ?) ON CONFLICT (url, public_key) DO NOTHING").run(
      destination.url,
      destination.publicKey,
    );
    const { id } = db
      .prepare("SELECT id FROM destinations WHERE url = ? AND public_key = ?")
      .get(destination.url, destination.publicKey) as { id: number };
    db.prepare("UPDATE batches SET destination = ? WHERE destination IS NULL").run(id);
    return id;
  })();
}

/** The journal's folder, readable by the service's user only (a folder the user named for it is tightened too). */
function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  try {
    chmodSync(dir, PRIVATE_DIR_MODE);
  } catch {}
}

/**
 * The journal's file, created 0600 before SQLite opens it: SQLite creates the -wal and -shm with
 * the database file's permissions. A file (and companions) of an earlier version is tightened.
 */
function makePrivateFile(path: string): void {
  closeSync(openSync(path, "a", PRIVATE_FILE_MODE));
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      if (existsSync(path + suffix)) chmodSync(path + suffix, PRIVATE_FILE_MODE);
    } catch {}
  }
}

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return (
    code === "SQLITE_NOTADB" ||
    code === "SQLITE_CORRUPT" ||
    /not a database|malformed/i.test(String((err as Error).message))
  );
}
