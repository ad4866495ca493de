import pg from "pg";
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
  CREATE INDEX IF NOT EXISTS switchboard_openai_responses_created ON switchboard_openai_responses (created_at);
  CREATE TABLE IF NOT EXISTS switchboard_openai_continuations (
    previous_response_id TEXT PRIMARY KEY,
    response_id TEXT NOT NULL,
    finished BOOLEAN NOT NULL,
    claimed_at BIGINT NOT NULL
  );
  -- Continuations stored before claims existed count as claims that finished.
  INSERT INTO switchboard_openai_continuations (previous_response_id, response_id, finished, claimed_at)
    SELECT DISTINCT ON (previous_response_id) previous_response_id, id, TRUE, created_at
    FROM switchboard_openai_responses WHERE previous_response_id IS NOT NULL
    ORDER BY previous_response_id, created_at
    ON CONFLICT (previous_response_id) DO NOTHING;
`;

/** Tries of a claim whose holder was released between the two statements. */
const CLAIM_ATTEMPTS = 3;

/** SQLSTATEs of two instances creating the same table at once: the loser finds it made. */
const ALREADY_CREATED = new Set(["42P07", "23505"]);

/**
 * Responses in the sessions' PostgreSQL database (DATABASE_URL), shared by every instance, on a
 * small pool of their own. The table is created on first use, so start-up does not wait on it.
 */
export class PostgresResponseStore implements ResponseStore {
  readonly #pool: pg.Pool;
  #ready: Promise<void> | undefined;

  readonly #options: ResponseStoreOptions;

  constructor(databaseUrl: string, options: ResponseStoreOptions = { claimLeaseMs: DEFAULT_CLAIM_LEASE_MS }) {
    this.#options = options;
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
    // A response that continued another holds that continuation, whether or not it was claimed first.
    await this.#pool.query(
      `WITH saved AS (
         INSERT INTO switchboard_openai_responses (id, tenant, session_id, previous_response_id, created_at, record)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
       )
       INSERT INTO switchboard_openai_continuations (previous_response_id, response_id, finished, claimed_at)
       SELECT $4, id, TRUE, $5 FROM saved WHERE $4::text IS NOT NULL
       ON CONFLICT (previous_response_id) DO NOTHING`,
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

  /**
   * One statement takes the claim (free, or never finished and past its lease): PostgreSQL's
   * row lock on the conflicting key makes concurrent claims from every instance wait for each
   * other, and exactly one inserts or updates.
   */
  async claimContinuation(previousId: string, responseId: string): Promise<ContinuationClaim> {
    await this.#init();
    for (let attempt = 1; ; attempt++) {
      const now = Date.now();
      const taken = await this.#pool.query(
        `INSERT INTO switchboard_openai_continuations (previous_response_id, response_id, finished, claimed_at)
         VALUES ($1, $2, FALSE, $3)
         ON CONFLICT (previous_response_id) DO UPDATE SET response_id = EXCLUDED.response_id, claimed_at = EXCLUDED.claimed_at
         WHERE NOT switchboard_openai_continuations.finished AND switchboard_openai_continuations.claimed_at < $4`,
        [previousId, responseId, now, now - this.#options.claimLeaseMs],
      );
      if ((taken.rowCount ?? 0) > 0) return { ok: true };
      const held = await this.#pool.query<{ response_id: string; finished: boolean }>(
        "SELECT response_id, finished FROM switchboard_openai_continuations WHERE previous_response_id = $1",
        [previousId],
      );
      const row = held.rows[0];
      if (row) return { ok: false, by: row.response_id, finished: row.finished };
      // Released between the two statements: try again.
      if (attempt >= CLAIM_ATTEMPTS) return { ok: false, by: "", finished: false };
    }
  }

  async finishContinuation(previousId: string, responseId: string): Promise<void> {
    await this.#init();
    await this.#pool.query(
      "UPDATE switchboard_openai_continuations SET finished = TRUE WHERE previous_response_id = $1 AND response_id = $2",
      [previousId, responseId],
    );
  }

  async releaseContinuation(previousId: string, responseId: string): Promise<void> {
    await this.#init();
    await this.#pool.query(
      "DELETE FROM switchboard_openai_continuations WHERE previous_response_id = $1 AND response_id = $2 AND NOT finished",
      [previousId, responseId],
    );
  }

  async continuationOf(id: string): Promise<string | null> {
    await this.#init();
    const result = await this.#pool.query<{ response_id: string }>(
      "SELECT response_id FROM switchboard_openai_continuations WHERE previous_response_id = $1",
      [id],
    );
    return result.rows[0]?.response_id ?? null;
  }

  async sweep(cutoffMs: number, max: number): Promise<number> {
    await this.#init();
    const deleted = await this.#pool.query(
      "DELETE FROM switchboard_openai_responses WHERE id IN (SELECT id FROM switchboard_openai_responses WHERE created_at < $1 LIMIT $2)",
      [cutoffMs, max],
    );
    await this.#pool.query(
      "DELETE FROM switchboard_openai_continuations WHERE previous_response_id IN (SELECT previous_response_id FROM switchboard_openai_continuations WHERE claimed_at < $1 LIMIT $2)",
      [cutoffMs, max],
    );
    return deleted.rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.#pool.end().catch(() => {});
  }
}
