import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MemorySaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { createPostgresSessionStore } from "./postgres-session-store.js";
import type { SessionStore, SessionStoreOptions } from "./session-store.js";

const noInit = async () => {};
const noLock = <T>(_sessionId: string, fn: () => Promise<T>) => fn();

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  if (options.kind === "memory") {
    return { checkpointer: new MemorySaver(), init: noInit, withSessionLock: noLock, isReady: () => true, close() {} };
  }
  if (options.kind === "postgres") {
    if (!options.databaseUrl) throw new Error("SESSION_STORE=postgres needs DATABASE_URL");
    return createPostgresSessionStore({
      databaseUrl: options.databaseUrl,
      lockConnections: options.lockConnections ?? 32,
      lockTimeoutMs: options.lockTimeoutMs ?? 120_000,
    });
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
