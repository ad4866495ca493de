import Database from "better-sqlite3";
import { preparePrivateDatabase } from "../../sessions/private-files.js";
import {
  DEFAULT_CLAIM_LEASE_MS,
  fromRow,
  toRow,
  type ContinuationClaim,
  type ResponseRow,
  type ResponseStore,
  type ResponseStoreOptions,
  type StoredResponse,
} from "./response-store.js";

/**
 * Responses in the sessions' SQLite file (SESSION_DB_PATH), in tables of their own, through a
 * connection of their own: the checkpointer's tables are LangGraph's, and its connection is not
 * ours to share. Both connections wait for each other's writes (busy_timeout). The file is 0600,
 * and deleted rows are overwritten (secure_delete, a setting of each connection).
 */
export class SqliteResponseStore implements ResponseStore {
  readonly #db: Database.Database;
  readonly #insert: (row: ResponseRow & { created_at: number }) => void;
  readonly #get: Database.Statement;
  readonly #continuation: Database.Statement;
  readonly #claim: (previousId: string, responseId: string, now: number) => ContinuationClaim;
  readonly #finish: Database.Statement;
  readonly #release: Database.Statement;
  readonly #sweepResponses: Database.Statement;
  readonly #sweepClaims: Database.Statement;

  constructor(path: string, options: ResponseStoreOptions = { claimLeaseMs: DEFAULT_CLAIM_LEASE_MS }) {
    preparePrivateDatabase(path);
    this.#db = new Database(path);
    // Before any table exists (a new file): the session store's retention sweep hands free pages back.
    this.#db.pragma("auto_vacuum = INCREMENTAL");
    this.#db.pragma("busy_timeout = 5000");
    this.#db.pragma("secure_delete = ON");
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS switchboard_openai_responses (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        session_id TEXT NOT NULL,
        previous_response_id TEXT,
        created_at INTEGER NOT NULL,
        record BLOB NOT NULL
      );
      CREATE INDEX IF NOT EXISTS switchboard_openai_responses_previous ON switchboard_openai_responses (previous_response_id);
      CREATE INDEX IF NOT EXISTS switchboard_openai_responses_created ON switchboard_openai_responses (created_at);
      CREATE TABLE IF NOT EXISTS switchboard_openai_continuations (
        previous_response_id TEXT PRIMARY KEY,
        response_id TEXT NOT NULL,
        finished INTEGER NOT NULL,
        claimed_at INTEGER NOT NULL
      );
      -- Continuations stored before claims existed count as claims that finished.
      INSERT INTO switchboard_openai_continuations (previous_response_id, response_id, finished, claimed_at)
        SELECT previous_response_id, id, 1, created_at FROM switchboard_openai_responses
        WHERE previous_response_id IS NOT NULL
        ON CONFLICT (previous_response_id) DO NOTHING;
    `);
    const insert = this.#db.prepare(
      "INSERT INTO switchboard_openai_responses (id, tenant, session_id, previous_response_id, created_at, record) VALUES (@id, @tenant, @session_id, @previous_response_id, @created_at, @record)",
    );
    // A response that continued another holds that continuation, whether or not it was claimed first.
    const continued = this.#db.prepare(
      "INSERT INTO switchboard_openai_continuations (previous_response_id, response_id, finished, claimed_at) VALUES (@previous_response_id, @id, 1, @created_at) ON CONFLICT (previous_response_id) DO NOTHING",
    );
    this.#insert = this.#db.transaction((row: ResponseRow & { created_at: number }) => {
      insert.run(row);
      if (row.previous_response_id !== null) continued.run(row);
    });
    this.#get = this.#db.prepare(
      "SELECT id, tenant, session_id, previous_response_id, record FROM switchboard_openai_responses WHERE id = ? AND tenant = ?",
    );
    this.#continuation = this.#db
      .prepare("SELECT response_id FROM switchboard_openai_continuations WHERE previous_response_id = ?")
      .pluck();
    // Taken when free, or when the claim there was never finished and its lease ran out.
    const take = this.#db.prepare(
      `INSERT INTO switchboard_openai_continuations (previous_response_id, response_id, finished, claimed_at) VALUES (?, ?, 0, ?)
       ON CONFLICT (previous_response_id) DO UPDATE SET response_id = excluded.response_id, claimed_at = excluded.claimed_at
       WHERE finished = 0 AND claimed_at < ?`,
    );
    const holder = this.#db.prepare(
      "SELECT response_id, finished FROM switchboard_openai_continuations WHERE previous_response_id = ?",
    );
    const lease = options.claimLeaseMs;
    // One transaction: the check and the write cannot be split by another connection's claim.
    this.#claim = this.#db.transaction((previousId: string, responseId: string, now: number): ContinuationClaim => {
      if (take.run(previousId, responseId, now, now - lease).changes > 0) return { ok: true };
      const held = holder.get(previousId) as { response_id: string; finished: number };
      return { ok: false, by: held.response_id, finished: held.finished === 1 };
    });
    this.#finish = this.#db.prepare(
      "UPDATE switchboard_openai_continuations SET finished = 1 WHERE previous_response_id = ? AND response_id = ?",
    );
    this.#release = this.#db.prepare(
      "DELETE FROM switchboard_openai_continuations WHERE previous_response_id = ? AND response_id = ? AND finished = 0",
    );
    this.#sweepResponses = this.#db.prepare(
      "DELETE FROM switchboard_openai_responses WHERE rowid IN (SELECT rowid FROM switchboard_openai_responses WHERE created_at < ? LIMIT ?)",
    );
    this.#sweepClaims = this.#db.prepare(
      "DELETE FROM switchboard_openai_continuations WHERE rowid IN (SELECT rowid FROM switchboard_openai_continuations WHERE claimed_at < ? LIMIT ?)",
    );
  }

  async save(response: StoredResponse): Promise<void> {
    this.#insert({ ...toRow(response), created_at: Date.now() });
  }

  async get(id: string, tenant: string): Promise<StoredResponse | null> {
    const row = this.#get.get(id, tenant) as ResponseRow | undefined;
    return row ? fromRow(row) : null;
  }

  async claimContinuation(previousId: string, responseId: string): Promise<ContinuationClaim> {
    return this.#claim(previousId, responseId, Date.now());
  }

  async finishContinuation(previousId: string, responseId: string): Promise<void> {
    this.#finish.run(previousId, responseId);
  }

  async releaseContinuation(previousId: string, responseId: string): Promise<void> {
    this.#release.run(previousId, responseId);
  }

  async continuationOf(id: string): Promise<string | null> {
    return (this.#continuation.get(id) as string | undefined) ?? null;
  }

  async sweep(cutoffMs: number, max: number): Promise<number> {
    const deleted = this.#sweepResponses.run(cutoffMs, max).changes;
    this.#sweepClaims.run(cutoffMs, max);
    // Cuts the write-ahead log, whose older frames still hold the deleted responses' pages.
    if (deleted > 0) this.#db.pragma("wal_checkpoint(TRUNCATE)");
    return deleted;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
