import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

export interface SessionStoreOptions {
  /** `sqlite`: sessions survive restarts; `memory`: they do not. */
  kind: "sqlite" | "memory";
  /** SQLite file for `sqlite`; its folder is created. */
  path: string;
}

export interface SessionStore {
  checkpointer: BaseCheckpointSaver;
  /** True when the store can serve reads right now (for /readyz). */
  isReady(): boolean;
  close(): void;
}

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  if (options.kind === "memory") {
    return { checkpointer: new MemorySaver(), isReady: () => true, close() {} };
  }
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  const saver = SqliteSaver.fromConnString(options.path);
  const db = (saver as unknown as { db: import("better-sqlite3").Database }).db;
  // Two turns of different sessions may write at once; wait for the lock rather than fail.
  db.pragma("busy_timeout = 5000");
  return {
    checkpointer: saver,
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
