import { PostgresResponseStore } from "./postgres-response-store.js";
import { MemoryResponseStore, type ResponseStore } from "./response-store.js";
import { SqliteResponseStore } from "./sqlite-response-store.js";

export interface ResponseStoreOptions {
  /** The session store's kind (SESSION_STORE): responses are kept where the sessions are. */
  kind: "sqlite" | "memory" | "postgres";
  /** SESSION_DB_PATH, for sqlite. */
  path: string;
  /** DATABASE_URL, for postgres. */
  databaseUrl?: string;
}

export function createResponseStore(options: ResponseStoreOptions): ResponseStore {
  if (options.kind === "memory") return new MemoryResponseStore();
  if (options.kind === "postgres") {
    if (!options.databaseUrl) throw new Error("SESSION_STORE=postgres needs DATABASE_URL");
    return new PostgresResponseStore(options.databaseUrl);
  }
  return new SqliteResponseStore(options.path);
}
