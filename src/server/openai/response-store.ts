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

export interface ResponseStore {
  save(response: StoredResponse): Promise<void>;
  /** The response with this id created by `tenant`, or null (another tenant's response is not found either). */
  get(id: string, tenant: string): Promise<StoredResponse | null>;
  /** The id of a stored response that continued `id`, or null when none did. */
  continuationOf(id: string): Promise<string | null>;
  close(): Promise<void>;
}

/** SESSION_STORE=memory: responses are lost on restart, like the sessions they continue. */
export class MemoryResponseStore implements ResponseStore {
  readonly #byId = new Map<string, StoredResponse>();
  readonly #continuations = new Map<string, string>();

  async save(response: StoredResponse): Promise<void> {
    this.#byId.set(response.id, structuredClone(response));
    if (response.previousResponseId) this.#continuations.set(response.previousResponseId, response.id);
  }

  async get(id: string, tenant: string): Promise<StoredResponse | null> {
    const found = this.#byId.get(id);
    return found && found.tenant === tenant ? structuredClone(found) : null;
  }

  async continuationOf(id: string): Promise<string | null> {
    return this.#continuations.get(id) ?? null;
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
