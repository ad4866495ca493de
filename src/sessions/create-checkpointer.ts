import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { createPostgresSessionStore } from "./postgres-session-store.js";

export interface SessionStoreOptions {
  /** `sqlite`: sessions survive restarts; `memory`: they do not; `postgres`: shared by instances. */
  kind: "sqlite" | "memory" | "postgres";
  /** SQLite file for `sqlite`; its folder is created. */
  path: string;
  /** For `postgres`. */
  databaseUrl?: string;
  /** For `postgres`: connections reserved for per-session turn locks. */
  lockConnections?: number;
  /** For `postgres`: longest wait for a session's lock (ms). */
  lockTimeoutMs?: number;
}

export interface SessionStore {
  checkpointer: BaseCheckpointSaver;
  /** Prepares the store (creates tables); awaited once before the service listens. */
  init(): Promise<void>;
  /**
   * Runs fn while no other instance runs a turn on this session. In-process ordering is the
   * ChatService's KeyedMutex; stores only one process uses need nothing more.
   */
  withSessionLock<T>(sessionId: string, fn: () => Promise<T>): Promise<T>;
  /** True when the store can serve reads right now (for /readyz). */
  isReady(): boolean | Promise<boolean>;
  close(): void | Promise<void>;
}

const noInit = async () => {};
const noLock = <T>(_sessionId: string, fn: () => Promise<T>) => fn();

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  if (options.kind === "memory") {
    return { checkpointer: new MemorySaver(), init: noInit, withSessionLock: noLock, isReady: () => true, close() {} };
  }
  if (options.kind === "postgres") {
    if (!options.databaseUrl) throw new Error("SESSION_STORE=postgres needs DATABASE_URL");
    return createPostgresSessionStore({ databaseUrl: options.databaseUrl, lockConnections: options.lockConnections ?? 32, lockTimeoutMs: options.lockTimeoutMs ?? 120_000 });
  }
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  const saver = SqliteSaver.fromConnString(options.path);
  const db = (saver as unknown as { db: import("better-sqlite3").Database }).db;
  // Two turns of different sessions may write at once; wait for the lock rather than fail.
  db.pragma("busy_timeout = 5000");
  return {
    checkpointer: saver,
    init: noInit,
    withSessionLock: noLock,
    isReady() {
      try {
        db.prepare("SELECT 1").get();
        return true;
      } catch {
        return false;
      }
    },
    close() {
      if (db.open) db.close();
    },
  };
}
