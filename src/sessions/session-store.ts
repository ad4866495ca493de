import type { MigrationReport, SweepResult } from "./session-ledger.js";
import type { SessionSaver } from "./session-saver.js";

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
  /** Turns of history the model sees (HISTORY_TURNS): what a session migrated from an earlier version keeps in its checkpoint. */
  windowTurns: number;
}

export interface SessionStore {
  /** The graph's checkpointer: LangGraph's saver of this store, each turn committed whole or not at all. */
  checkpointer: SessionSaver;
  /** Prepares the store (creates tables, migrates an earlier version's data); awaited once before the service listens. */
  init(): Promise<MigrationReport>;
  /**
   * Runs fn while no other instance runs a turn on this session. In-process ordering is the
   * ChatService's KeyedMutex; stores only one process uses need nothing more.
   */
  withSessionLock<T>(sessionId: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Deletes sessions whose last turn finished before `cutoffMs` (the retention sweep), oldest
   * first, about `maxTurns` transcript rows at most; never a session a turn is running on.
   */
  sweep(cutoffMs: number, maxTurns: number): Promise<SweepResult>;
  /** True when the store can serve reads right now (for /readyz). */
  isReady(): boolean | Promise<boolean>;
  close(): void | Promise<void>;
}
