import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { fromRow, toRow, type ResponseRow, type ResponseStore, type StoredResponse } from "./response-store.js";

/**
 * Responses in the sessions' SQLite file (SESSION_DB_PATH), in a table of their own, through a
 * connection of their own: the checkpointer's tables are LangGraph's, and its connection is not
 * ours to share. Both connections wait for each other's writes (busy_timeout).
 */
export class SqliteResponseStore implements ResponseStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #get: Database.Statement;
  readonly #continuation: Database.Statement;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path);
    this.#db.pragma("busy_timeout = 5000");
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
    `);
    this.#insert = this.#db.prepare(
      "INSERT INTO switchboard_openai_responses (id, tenant, session_id, previous_response_id, created_at, record) VALUES (@id, @tenant, @session_id, @previous_response_id, @created_at, @record)",
    );
    this.#get = this.#db.prepare(
      "SELECT id, tenant, session_id, previous_response_id, record FROM switchboard_openai_responses WHERE id = ? AND tenant = ?",
    );
    this.#continuation = this.#db.prepare(
      "SELECT id FROM switchboard_openai_responses WHERE previous_response_id = ? LIMIT 1",
    );
  }

  async save(response: StoredResponse): Promise<void> {
    this.#insert.run({ ...toRow(response), created_at: Date.now() });
  }

  async get(id: string, tenant: string): Promise<StoredResponse | null> {
    const row = this.#get.get(id, tenant) as ResponseRow | undefined;
    return row ? fromRow(row) : null;
  }

  async continuationOf(id: string): Promise<string | null> {
    const row = this.#continuation.get(id) as { id: string } | undefined;
    return row?.id ?? null;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
