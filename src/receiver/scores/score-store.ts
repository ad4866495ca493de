// Scores in the receiver's SQLite file, one row per score id, as Langfuse's scores table reads
// (packages/shared/src/server/repositories/scores.ts): its reads keep the newest row of an id
// (`LIMIT 1 BY id` ordered by timestamp), so a score posted again under the same id replaces the
// first one, whole (the v1 POST gives it the time of the new request). Scores go with their
// trace when the retention sweep deletes it.
import type Database from "better-sqlite3";
import type { InflatedScore, ScoreDataType } from "./score-schemas.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS scores (
  id TEXT PRIMARY KEY,
  timestamp TEXT NOT NULL,
  name TEXT NOT NULL,
  value REAL NOT NULL,
  string_value TEXT,
  long_string_value TEXT NOT NULL,
  data_type TEXT NOT NULL,
  source TEXT NOT NULL,
  comment TEXT,
  metadata TEXT NOT NULL,
  config_id TEXT,
  queue_id TEXT,
  environment TEXT NOT NULL,
  trace_id TEXT,
  observation_id TEXT,
  session_id TEXT,
  dataset_run_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scores_trace ON scores (trace_id);
CREATE INDEX IF NOT EXISTS scores_session ON scores (session_id);
CREATE INDEX IF NOT EXISTS scores_time ON scores (timestamp, id);
`;

/** One stored score as SQLite returns it. */
export interface ScoreRow {
  id: string;
  timestamp: string;
  name: string;
  value: number;
  string_value: string | null;
  long_string_value: string;
  data_type: ScoreDataType;
  source: string;
  comment: string | null;
  /** JSON object text. */
  metadata: string;
  config_id: string | null;
  queue_id: string | null;
  environment: string;
  trace_id: string | null;
  observation_id: string | null;
  session_id: string | null;
  dataset_run_id: string | null;
  created_at: string;
  updated_at: string;
}

/** A compiled condition on the scores table (alias `s`). */
export interface ScoreCondition {
  sql: string;
  params: unknown[];
}

export class ScoreStore {
  readonly #upsert: Database.Statement;
  readonly #exists: Database.Statement;
  readonly #byId: Database.Statement;
  readonly #ofTraces: Database.Statement;
  readonly #ofSessions: Database.Statement;
  readonly #remove: Database.Statement;
  readonly #queryCache = new Map<string, Database.Statement>();

  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(SCHEMA);
    const columns = [
      "id",
      "timestamp",
      "name",
      "value",
      "string_value",
      "long_string_value",
      "data_type",
      "source",
      "comment",
      "metadata",
      "config_id",
      "queue_id",
      "environment",
      "trace_id",
      "observation_id",
      "session_id",
      "dataset_run_id",
      "created_at",
      "updated_at",
    ];
    this.#upsert = db.prepare(
      `INSERT INTO scores (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})
       ON CONFLICT (id) DO UPDATE SET ${columns
         .filter((c) => c !== "id")
         .map((c) => `${c} = excluded.${c}`)
         .join(", ")}`,
    );
    this.#exists = db.prepare("SELECT EXISTS (SELECT 1 FROM scores WHERE id = ?)").pluck();
    this.#byId = db.prepare("SELECT * FROM scores WHERE id = ?");
    this.#ofTraces = db.prepare(
      "SELECT * FROM scores WHERE trace_id IN (SELECT value FROM json_each(?)) ORDER BY timestamp, id",
    );
    this.#ofSessions = db.prepare(
      "SELECT * FROM scores WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY timestamp, id",
    );
    this.#remove = db.prepare("DELETE FROM scores WHERE id = ?");
  }

  /** Stores a score, replacing one of the same id. Returns whether the id was new. */
  put(score: InflatedScore, at = new Date().toISOString()): { created: boolean } {
    return this.#db.transaction(() => {
      const created = this.#exists.get(score.id) === 0;
      const row: ScoreRow = {
        id: score.id,
        timestamp: at,
        name: score.name,
        value: score.value,
        string_value: score.stringValue,
        long_string_value: score.longStringValue,
        data_type: score.dataType,
        source: score.source,
        comment: score.comment,
        metadata: JSON.stringify(score.metadata),
        config_id: score.configId,
        queue_id: score.queueId,
        environment: score.environment,
        trace_id: score.traceId,
        observation_id: score.observationId,
        session_id: score.sessionId,
        dataset_run_id: score.datasetRunId,
        created_at: at,
        updated_at: at,
      };
      this.#upsert.run(row);
      return { created };
    })();
  }

  get(id: string): ScoreRow | undefined {
    return this.#byId.get(id) as ScoreRow | undefined;
  }

  /** Scores of these traces (trace and observation scores), oldest first. */
  ofTraceIds(traceIds: string[]): ScoreRow[] {
    if (traceIds.length === 0) return [];
    return this.#ofTraces.all(JSON.stringify(traceIds)) as ScoreRow[];
  }

  /** Session scores (sessionId, no trace) of these sessions, oldest first. */
  ofSessionIds(sessionIds: string[]): ScoreRow[] {
    if (sessionIds.length === 0) return [];
    return this.#ofSessions.all(JSON.stringify(sessionIds)) as ScoreRow[];
  }

  /** Scores matching every condition, newest first (timestamp, then id), one page, with the total. */
  page(conditions: ScoreCondition[], limit: number, offset: number): { rows: ScoreRow[]; totalItems: number } {
    const where = whereOf(conditions);
    const totalItems = this.#query(`SELECT COUNT(*) FROM scores s ${where.sql}`)
      .pluck()
      .get(...where.params) as number;
    const rows = this.#query(
      `SELECT s.* FROM scores s ${where.sql} ORDER BY s.timestamp DESC, s.id DESC LIMIT ? OFFSET ?`,
    ).all(...where.params, limit, offset) as ScoreRow[];
    return { rows, totalItems };
  }

  /** Scores matching every condition, newest first, after the cursor: the v3 list. */
  after(
    conditions: ScoreCondition[],
    cursor: { timestamp: string; id: string } | undefined,
    limit: number,
  ): ScoreRow[] {
    const all = cursor
      ? [...conditions, { sql: "(s.timestamp, s.id) < (?, ?)", params: [cursor.timestamp, cursor.id] }]
      : conditions;
    const where = whereOf(all);
    return this.#query(`SELECT s.* FROM scores s ${where.sql} ORDER BY s.timestamp DESC, s.id DESC LIMIT ?`).all(
      ...where.params,
      limit,
    ) as ScoreRow[];
  }

  /** Deletes one score; false when there was none. */
  delete(id: string): boolean {
    return this.#remove.run(id).changes > 0;
  }

  /** The sweep: scores of deleted traces, inside the transaction that deletes them. */
  deleteOfTraces(traceIds: string[]): number {
    if (traceIds.length === 0) return 0;
    return this.#query("DELETE FROM scores WHERE trace_id IN (SELECT value FROM json_each(?))").run(
      JSON.stringify(traceIds),
    ).changes;
  }

  /** The sweep: scores older than the time-to-live whose trace never arrived, and session scores. */
  deleteOlderThan(cutoff: string): number {
    return this.#query(
      "DELETE FROM scores WHERE timestamp < ? AND (trace_id IS NULL OR trace_id NOT IN (SELECT trace_id FROM trace_index))",
    ).run(cutoff).changes;
  }

  count(): number {
    return this.#query("SELECT COUNT(*) FROM scores").pluck().get() as number;
  }

  wipe(): void {
    this.#db.exec("DELETE FROM scores");
  }

  #query(sql: string): Database.Statement {
    let statement = this.#queryCache.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#queryCache.set(sql, statement);
    }
    return statement;
  }
}

function whereOf(conditions: ScoreCondition[]): { sql: string; params: unknown[] } {
  if (conditions.length === 0) return { sql: "", params: [] };
  return {
    sql: `WHERE ${conditions.map((c) => `(${c.sql})`).join(" AND ")}`,
    params: conditions.flatMap((c) => c.params),
  };
}
