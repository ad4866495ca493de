import pg from "pg";
import { fromRow, toRow, type ResponseRow, type ResponseStore, type StoredResponse } from "./response-store.js";

const CREATE = `
  CREATE TABLE IF NOT EXISTS switchboard_openai_responses (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    session_id TEXT NOT NULL,
    previous_response_id TEXT,
    created_at BIGINT NOT NULL,
    record BYTEA NOT NULL
  );
  CREATE INDEX IF NOT EXISTS switchboard_openai_responses_previous ON switchboard_openai_responses (previous_response_id);
`;

/** SQLSTATEs of two instances creating the same table at once: the loser finds it made. */
const ALREADY_CREATED = new Set(["42P07", "23505"]);

/**
 * Responses in the sessions' PostgreSQL database (DATABASE_URL), shared by every instance, on a
 * small pool of their own. The table is created on first use, so start-up does not wait on it.
 */
export class PostgresResponseStore implements ResponseStore {
  readonly #pool: pg.Pool;
  #ready: Promise<void> | undefined;

  constructor(databaseUrl: string) {
    this.#pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    // An idle pooled connection that dies (server restart) must not crash the process.
    this.#pool.on("error", () => {});
  }

  #init(): Promise<void> {
    this.#ready ??= this.#pool.query(CREATE).then(
      () => undefined,
      (err: { code?: string }) => {
        if (ALREADY_CREATED.has(err.code ?? "")) return;
        this.#ready = undefined;
        throw err;
      },
    );
    return this.#ready;
  }

  async save(response: StoredResponse): Promise<void> {
    await this.#init();
    const row = toRow(response);
    await this.#pool.query(
      "INSERT INTO switchboard_openai_responses (id, tenant, session_id, previous_response_id, created_at, record) VALUES ($1, $2, $3, $4, $5, $6)",
      [row.id, row.tenant, row.session_id, row.previous_response_id, Date.now(), row.record],
    );
  }

  async get(id: string, tenant: string): Promise<StoredResponse | null> {
    await this.#init();
    const result = await this.#pool.query<ResponseRow>(
      "SELECT id, tenant, session_id, previous_response_id, record FROM switchboard_openai_responses WHERE id = $1 AND tenant = $2",
      [id, tenant],
    );
    const row = result.rows[0];
    return row ? fromRow(row) : null;
  }

  async continuationOf(id: string): Promise<string | null> {
    await this.#init();
    const result = await this.#pool.query<{ id: string }>(
      "SELECT id FROM switchboard_openai_responses WHERE previous_response_id = $1 LIMIT 1",
      [id],
    );
    return result.rows[0]?.id ?? null;
  }

  async close(): Promise<void> {
    await this.#pool.end().catch(() => {});
  }
}
