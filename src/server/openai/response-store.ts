/**
 * Where finished responses of POST /v1/responses are kept, so that GET /v1/responses/:id and
 * `previous_response_id` work. Each store lives beside the sessions (same SQLite file, same
 * PostgreSQL database, or memory), because a response is only useful while its session exists:
 * kept in the same place, both survive a restart, and every instance sharing the sessions shares
 * the responses.
 */
export interface StoredResponse {
  id: string;
  /** The API key's id that created it; "" when keys are off. Only the same tenant can read or continue it. */
  tenant: string;
  /** The session the response's turn ran in; continuing the response continues it. */
  sessionId: string;
  /** The user the turn ran as; a continuation that names no user runs as them. */
  userId: string;
  /** The response this one continued, if any. */
  previousResponseId: string | null;
  /** The Response object, as answered. */
  body: unknown;
}

/**
 * What claiming the continuation of a response found: it is this request's now, or another
 * response holds it, still running (its turn has not finished) or finished.
 */
export type ContinuationClaim = { ok: true } | { ok: false; by: string; finished: boolean };

export interface ResponseStoreOptions {
  /**
   * How long a claimed continuation may stay unfinished before another request may take it over:
   * longer than any turn can run, so only a claim whose instance died is taken.
   */
  claimLeaseMs: number;
}

/** A claim nobody finished or released within this long was left by a process that died. */
export const DEFAULT_CLAIM_LEASE_MS = 10 * 60_000;

export interface ResponseStore {
  save(response: StoredResponse): Promise<void>;
  /** The response with this id created by `tenant`, or null (another tenant's response is not found either). */
  get(id: string, tenant: string): Promise<StoredResponse | null>;
  /**
   * Claims the one continuation of response `previousId` for response `responseId`, checked and
   * taken in one atomic step, so of requests continuing the same response at once only one gets
   * it. Ends with finishContinuation (the turn ran: the claim is kept for good) or
   * releaseContinuation (it failed: the response may be continued again).
   */
  claimContinuation(previousId: string, responseId: string): Promise<ContinuationClaim>;
  finishContinuation(previousId: string, responseId: string): Promise<void>;
  releaseContinuation(previousId: string, responseId: string): Promise<void>;
  /** The id of the response that continued (or is continuing) `id`, or null when none did. */
  continuationOf(id: string): Promise<string | null>;
  /** Deletes responses (and continuation claims) made before `cutoffMs`, at most `max` responses; returns how many. */
  sweep(cutoffMs: number, max: number): Promise<number>;
  close(): Promise<void>;
}

interface MemoryClaim {
  by: string;
  finished: boolean;
  atMs: number;
}

/** SESSION_STORE=memory: responses are lost on restart, like the sessions they continue. */
export class MemoryResponseStore implements ResponseStore {
  readonly #byId = new Map<string, { response: StoredResponse; atMs: number }>();
  readonly #claims = new Map<string, MemoryClaim>();

  readonly #options: ResponseStoreOptions;

  constructor(options: ResponseStoreOptions = { claimLeaseMs: DEFAULT_CLAIM_LEASE_MS }) {
    this.#options = options;
  }

  async save(response: StoredResponse): Promise<void> {
    this.#byId.set(response.id, { response: structuredClone(response), atMs: Date.now() });
    const previous = response.previousResponseId;
    if (previous && !this.#claims.has(previous))
      this.#claims.set(previous, { by: response.id, finished: true, atMs: Date.now() });
  }

  async get(id: string, tenant: string): Promise<StoredResponse | null> {
    const found = this.#byId.get(id)?.response;
    return found && found.tenant === tenant ? structuredClone(found) : null;
  }

  // Synchronous from the check to the write: nothing else runs in between.
  async claimContinuation(previousId: string, responseId: string): Promise<ContinuationClaim> {
    const now = Date.now();
    const held = this.#claims.get(previousId);
    if (held && (held.finished || now - held.atMs <= this.#options.claimLeaseMs))
      return { ok: false, by: held.by, finished: held.finished };
    this.#claims.set(previousId, { by: responseId, finished: false, atMs: now });
    return { ok: true };
  }

  async finishContinuation(previousId: string, responseId: string): Promise<void> {
    const held = this.#claims.get(previousId);
    if (held?.by === responseId) held.finished = true;
  }

  async releaseContinuation(previousId: string, responseId: string): Promise<void> {
    const held = this.#claims.get(previousId);
    if (held?.by === responseId && !held.finished) this.#claims.delete(previousId);
  }

  async continuationOf(id: string): Promise<string | null> {
    return this.#claims.get(id)?.by ?? null;
  }

  async sweep(cutoffMs: number, max: number): Promise<number> {
    let deleted = 0;
    for (const [id, { atMs }] of this.#byId) {
      if (deleted >= max) break;
      if (atMs >= cutoffMs) continue;
      this.#byId.delete(id);
      deleted++;
    }
    for (const [id, claim] of this.#claims) if (claim.atMs < cutoffMs) this.#claims.delete(id);
    return deleted;
  }

  async close(): Promise<void> {}
}

/** The columns both SQL stores keep; the user and the body travel as one JSON blob (bytes, so any string survives). */
export interface ResponseRow {
  id: string;
  tenant: string;
  session_id: string;
  previous_response_id: string | null;
  record: Buffer;
}

export function toRow(response: StoredResponse): ResponseRow {
  return {
    id: response.id,
    tenant: response.tenant,
    session_id: response.sessionId,
    previous_response_id: response.previousResponseId,
    record: Buffer.from(JSON.stringify({ user_id: response.userId, body: response.body }), "utf8"),
  };
}

export function fromRow(row: ResponseRow): StoredResponse {
  const record = JSON.parse(Buffer.from(row.record).toString("utf8")) as { user_id: string; body: unknown };
  return {
    id: row.id,
    tenant: row.tenant,
    sessionId: row.session_id,
    previousResponseId: row.previous_response_id,
    userId: record.user_id,
    body: record.body,
  };
}
