import type { BaseCheckpointSaver } from "@langchain/langgraph";

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
