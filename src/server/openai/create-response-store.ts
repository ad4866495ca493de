import { PostgresResponseStore } from "./postgres-response-store.js";
import { DEFAULT_CLAIM_LEASE_MS, MemoryResponseStore, type ResponseStore } from "./response-store.js";
import { SqliteResponseStore } from "./sqlite-response-store.js";

export interface ResponseStoreOptions {
  /** The session store's kind (SESSION_STORE): responses are kept where the sessions are. */
  kind: "sqlite" | "memory" | "postgres";
  /** SESSION_DB_PATH, for sqlite. */
  path: string;
  /** DATABASE_URL, for postgres. */
  databaseUrl?: string;
  /**
   * Longest a continuation may stay claimed without finishing before another request may take
   * it (its process died): longer than a turn can wait for its session and run.
   */
  claimLeaseMs?: number;
}

export function createResponseStore(options: ResponseStoreOptions): ResponseStore {
  const claims = { claimLeaseMs: options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS };
  if (options.kind === "memory") return new MemoryResponseStore(claims);
  if (options.kind === "postgres") {
    if (!options.databaseUrl) throw new Error("SESSION_STORE=postgres needs DATABASE_URL");
    return new PostgresResponseStore(options.databaseUrl, claims);
  }
  return new SqliteResponseStore(options.path, claims);
}
