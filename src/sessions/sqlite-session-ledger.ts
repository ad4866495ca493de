import Database from "better-sqlite3";
import {
  copyCheckpoint,
  WRITES_IDX_MAP,
  type Checkpoint,
  type CheckpointMetadata,
} from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { splitLegacyCheckpoint } from "./legacy-checkpoint.js";
import { preparePrivateDatabase } from "./private-files.js";
import type {
  MigrationReport,
  SessionLedger,
  SweepResult,
  TranscriptPage,
  TranscriptQuery,
  TurnWrite,
} from "./session-ledger.js";

/** The schema version of Switchboard's own session tables; 1: bounded sessions (one checkpoint, a transcript). */
const SCHEMA_VERSION = 1;
/** Threads read and rewritten per migration transaction. */
const MIGRATION_BATCH = 100;
/** Expired sessions looked at per sweep query. */
const SWEEP_CANDIDATES = 64;
/** Free pages handed back to the file system per sweep (4 KB pages: 8 MB). */
const VACUUM_PAGES_PER_SWEEP = 2048;

/** LangGraph's SQLite saver with its (protected) table setup callable before the first read. */
class SessionSqliteSaver extends SqliteSaver {
  ensureTables(): void {
    this.setup();
  }
}

/** A serialized write of LangGraph's `writes` table. */
type WriteRow = [string, string, string, string, number, string, string, Uint8Array];

/**
 * Sessions in one SQLite file (SESSION_DB_PATH): LangGraph's SqliteSaver tables (`checkpoints`,
 * `writes`), holding each session's latest checkpoint only, and Switchboard's own:
 * `switchboard_sessions` (turn count and last activity per session) and
 * `switchboard_session_turns` (the transcript, one row per turn). A turn's checkpoint is written
 * here, in the same transaction as its transcript row and the pruning of the session's older
 * checkpoints, as SqliteSaver.put would write it (same row, same serializer), so LangGraph's own
 * reads find it.
 *
 * The file and its -wal/-shm are 0600. Deleted rows are overwritten (secure_delete) and free
 * pages handed back to the file system by the retention sweep (incremental auto-vacuum), so an
 * expired session does not stay readable in the file.
 */
export class SqliteSessionLedger implements SessionLedger {
  readonly saver: SessionSqliteSaver;
  readonly #db: Database.Database;
  readonly #windowTurns: number;
  #statements: ReturnType<typeof prepare> | undefined;

  constructor(path: string, options: { windowTurns: number }) {
    preparePrivateDatabase(path);
    this.#db = new Database(path);
    this.#windowTurns = options.windowTurns;
    // Before any table exists, so a new file gets it; an older file is converted by init().
    this.#db.pragma("auto_vacuum = INCREMENTAL");
    // Two turns of different sessions may write at once (and the responses store shares the file).
    this.#db.pragma("busy_timeout = 5000");
    this.#db.pragma("secure_delete = ON");
    this.saver = new SessionSqliteSaver(this.#db);
  }

  get db(): Database.Database {
    return this.#db;
  }

  get #sql(): ReturnType<typeof prepare> {
    if (!this.#statements) {
      this.saver.ensureTables();
      createTables(this.#db);
      this.#statements = prepare(this.#db);
    }
    return this.#statements;
  }

  async init(): Promise<MigrationReport> {
    const sql = this.#sql;
    const report: MigrationReport = { sessions: 0, turns: 0, orphans: 0, checkpoints: 0 };
    const current = sql.schemaVersion.get() as { version: number } | undefined;
    if ((current?.version ?? 0) >= SCHEMA_VERSION) return report;
    const threads = sql.threadsWithCheckpoints.all() as string[];
    for (let i = 0; i < threads.length; i += MIGRATION_BATCH) {
      const batch = await Promise.all(threads.slice(i, i + MIGRATION_BATCH).map((t) => this.#planMigration(t)));
      this.#db.transaction(() => {
        for (const plan of batch) this.#applyMigration(plan, report);
      })();
    }
    sql.setSchemaVersion.run(SCHEMA_VERSION);
    if (
      report.checkpoints > 0 ||
      report.orphans > 0 ||
      (this.#db.pragma("auto_vacuum", { simple: true }) as number) !== 2
    )
      // Gives the space of the history that was deleted back to the file system, and converts the
      // file to incremental auto-vacuum (a file made by an earlier version has none).
      this.#db.exec("VACUUM");
    return report;
  }

  async #planMigration(threadId: string): Promise<MigrationPlan> {
    if (this.#sql.sessionExists.get(threadId)) return { threadId, kind: "current" };
    const tuple = await this.saver.getTuple({ configurable: { thread_id: threadId } });
    const split = tuple ? splitLegacyCheckpoint(tuple.checkpoint, this.#windowTurns) : null;
    if (!tuple || !split || split.turns.length === 0) return { threadId, kind: "orphan" };
    const serialized = await this.#serialize(
      split.checkpoint,
      tuple.metadata ?? { source: "loop", step: 0, parents: {} },
    );
    const last = split.turns[split.turns.length - 1];
    const at = Date.parse(String(last?.["at"] ?? ""));
    return {
      threadId,
      kind: "legacy",
      checkpointId: split.checkpoint.id,
      parentId: tuple.parentConfig?.configurable?.["checkpoint_id"] ?? null,
      ...serialized,
      turns: split.turns.map((t) => JSON.stringify(t)),
      updatedMs: Number.isFinite(at) ? at : Date.now(),
    };
  }

  #applyMigration(plan: MigrationPlan, report: MigrationReport): void {
    const sql = this.#sql;
    if (plan.kind === "orphan") {
      sql.deleteCheckpoints.run(plan.threadId);
      sql.deleteWrites.run(plan.threadId);
      report.orphans++;
      return;
    }
    if (plan.kind === "legacy") {
      sql.putCheckpoint.run(plan.threadId, plan.checkpointId, plan.parentId, plan.type, plan.checkpoint, plan.metadata);
      sql.insertSession.run(plan.threadId, plan.turns.length, plan.updatedMs);
      plan.turns.forEach((record, i) => sql.insertTurn.run(plan.threadId, i + 1, record, null));
      report.sessions++;
      report.turns += plan.turns.length;
    }
    const latest = sql.latestCheckpointId.get(plan.threadId) as string | undefined;
    if (latest === undefined) return;
    report.checkpoints += sql.deleteOlderCheckpoints.run(plan.threadId, latest).changes;
    sql.deleteOlderWrites.run(plan.threadId, latest);
  }

  async #serialize(checkpoint: Checkpoint, metadata: CheckpointMetadata) {
    const serde = this.saver.serde;
    const [[type, serializedCheckpoint], [metadataType, serializedMetadata]] = await Promise.all([
      serde.dumpsTyped(copyCheckpoint(checkpoint)),
      serde.dumpsTyped(metadata),
    ]);
    if (type !== metadataType) throw new Error("Failed to serialized checkpoint and metadata to the same type.");
    return { type, checkpoint: serializedCheckpoint, metadata: serializedMetadata };
  }

  async commitTurn(write: TurnWrite): Promise<void> {
    const sql = this.#sql;
    const { threadId, checkpoint } = write;
    // Serialized as SqliteSaver.put and putWrites do, before the transaction (they are async).
    const serialized = await this.#serialize(checkpoint, write.metadata);
    const writes: WriteRow[] = [];
    for (const { writes: pending, taskId } of write.writes) {
      for (const [idx, [channel, value]] of pending.entries()) {
        const [type, bytes] = await this.saver.serde.dumpsTyped(value);
        writes.push([threadId, "", checkpoint.id, taskId, WRITES_IDX_MAP[channel] ?? idx, channel, type, bytes]);
      }
    }
    const parentId = (write.config.configurable?.["checkpoint_id"] as string | undefined) ?? null;
    const record = JSON.stringify(write.record);
    this.#db.transaction(() => {
      sql.putCheckpoint.run(
        threadId,
        checkpoint.id,
        parentId,
        serialized.type,
        serialized.checkpoint,
        serialized.metadata,
      );
      sql.deleteOlderCheckpoints.run(threadId, checkpoint.id);
      sql.deleteOlderWrites.run(threadId, checkpoint.id);
      for (const row of writes) sql.putWrite.run(...row);
      const { turns } = sql.countTurn.get(threadId, write.atMs) as { turns: number };
      sql.insertTurn.run(threadId, turns, record, traceIdOf(write.record));
    })();
  }

  async turnOfTrace(traceId: string): Promise<{ threadId: string; n: number } | undefined> {
    return this.#sql.turnOfTrace.get(traceId) as { threadId: string; n: number } | undefined;
  }

  async transcript(threadId: string, query: TranscriptQuery): Promise<TranscriptPage> {
    const sql = this.#sql;
    const session = sql.sessionTurns.get(threadId) as { turns: number } | undefined;
    if (!session) return { turnCount: 0, turns: [] };
    const rows = sql.page.all(threadId, query.before ?? Number.MAX_SAFE_INTEGER, query.limit) as {
      n: number;
      record: string;
    }[];
    return {
      turnCount: session.turns,
      turns: rows.reverse().map((r) => ({ n: r.n, record: JSON.parse(r.record) as Record<string, unknown> })),
    };
  }

  async sweep(cutoffMs: number, maxTurns: number, isBusy: (threadId: string) => boolean): Promise<SweepResult> {
    const sql = this.#sql;
    const done: SweepResult = { sessions: 0, turns: 0 };
    const candidates = sql.expired.all(cutoffMs, SWEEP_CANDIDATES) as { thread_id: string; turns: number }[];
    for (const { thread_id: threadId, turns } of candidates) {
      if (isBusy(threadId)) continue;
      if (done.sessions > 0 && done.turns + turns > maxTurns) break;
      const deleted = this.#db.transaction(() => {
        // Re-checked inside the transaction: a turn may have finished on it since the query.
        if (sql.deleteExpiredSession.run(threadId, cutoffMs).changes === 0) return false;
        sql.deleteTurns.run(threadId);
        sql.deleteCheckpoints.run(threadId);
        sql.deleteWrites.run(threadId);
        return true;
      })();
      if (!deleted) continue;
      done.sessions++;
      done.turns += turns;
    }
    if (done.sessions > 0) {
      this.#db.pragma(`incremental_vacuum(${VACUUM_PAGES_PER_SWEEP})`);
      // Cuts the write-ahead log, whose older frames still hold the deleted rows' pages.
      this.#db.pragma("wal_checkpoint(TRUNCATE)");
    }
    return done;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

type MigrationPlan =
  | { threadId: string; kind: "current" | "orphan" }
  | {
      threadId: string;
      kind: "legacy";
      checkpointId: string;
      parentId: string | null;
      type: string;
      checkpoint: Uint8Array;
      metadata: Uint8Array;
      turns: string[];
      updatedMs: number;
    };

/** The trace a turn's record names, for the transcript's trace_id column. */
function traceIdOf(record: Record<string, unknown>): string | null {
  return typeof record["trace_id"] === "string" ? record["trace_id"] : null;
}

function createTables(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS switchboard_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS switchboard_sessions (
      thread_id TEXT PRIMARY KEY,
      turns INTEGER NOT NULL,
      updated_ms INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS switchboard_sessions_updated ON switchboard_sessions (updated_ms);
    CREATE TABLE IF NOT EXISTS switchboard_session_turns (
      thread_id TEXT NOT NULL,
      n INTEGER NOT NULL,
      record TEXT NOT NULL,
      PRIMARY KEY (thread_id, n)
    );
  `);
  // The turn's trace, found by id (scores on a trace are checked against its session's owner).
  const columns = (db.prepare("PRAGMA table_info(switchboard_session_turns)").all() as { name: string }[]).map(
    (c) => c.name,
  );
  if (!columns.includes("trace_id")) db.exec("ALTER TABLE switchboard_session_turns ADD COLUMN trace_id TEXT");
  db.exec(
    "CREATE INDEX IF NOT EXISTS switchboard_session_turns_trace ON switchboard_session_turns (trace_id) WHERE trace_id IS NOT NULL",
  );
}

function prepare(db: Database.Database) {
  return {
    schemaVersion: db.prepare("SELECT version FROM switchboard_schema WHERE component = 'sessions'"),
    setSchemaVersion: db.prepare(
      "INSERT INTO switchboard_schema (component, version) VALUES ('sessions', ?) ON CONFLICT (component) DO UPDATE SET version = excluded.version",
    ),
    threadsWithCheckpoints: db.prepare("SELECT DISTINCT thread_id FROM checkpoints").pluck(),
    sessionExists: db.prepare("SELECT 1 FROM switchboard_sessions WHERE thread_id = ?"),
    latestCheckpointId: db
      .prepare("SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? ORDER BY checkpoint_id DESC LIMIT 1")
      .pluck(),
    // The same row SqliteSaver.put writes.
    putCheckpoint: db.prepare(
      "INSERT OR REPLACE INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata) VALUES (?, '', ?, ?, ?, ?, ?)",
    ),
    putWrite: db.prepare(
      "INSERT OR REPLACE INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    deleteOlderCheckpoints: db.prepare("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id <> ?"),
    deleteOlderWrites: db.prepare("DELETE FROM writes WHERE thread_id = ? AND checkpoint_id <> ?"),
    deleteCheckpoints: db.prepare("DELETE FROM checkpoints WHERE thread_id = ?"),
    deleteWrites: db.prepare("DELETE FROM writes WHERE thread_id = ?"),
    countTurn: db.prepare(
      "INSERT INTO switchboard_sessions (thread_id, turns, updated_ms) VALUES (?, 1, ?) ON CONFLICT (thread_id) DO UPDATE SET turns = turns + 1, updated_ms = excluded.updated_ms RETURNING turns",
    ),
    insertSession: db.prepare("INSERT INTO switchboard_sessions (thread_id, turns, updated_ms) VALUES (?, ?, ?)"),
    insertTurn: db.prepare(
      "INSERT INTO switchboard_session_turns (thread_id, n, record, trace_id) VALUES (?, ?, ?, ?)",
    ),
    turnOfTrace: db.prepare("SELECT thread_id AS threadId, n FROM switchboard_session_turns WHERE trace_id = ?"),
    sessionTurns: db.prepare("SELECT turns FROM switchboard_sessions WHERE thread_id = ?"),
    page: db.prepare(
      "SELECT n, record FROM switchboard_session_turns WHERE thread_id = ? AND n < ? ORDER BY n DESC LIMIT ?",
    ),
    expired: db.prepare(
      "SELECT thread_id, turns FROM switchboard_sessions WHERE updated_ms < ? ORDER BY updated_ms LIMIT ?",
    ),
    deleteExpiredSession: db.prepare("DELETE FROM switchboard_sessions WHERE thread_id = ? AND updated_ms < ?"),
    deleteTurns: db.prepare("DELETE FROM switchboard_session_turns WHERE thread_id = ?"),
  };
}
