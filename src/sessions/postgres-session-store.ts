import pg from "pg";
import { PostgresSessionLedger } from "./postgres-session-ledger.js";
import { SessionSaver } from "./session-saver.js";
import type { SessionStore } from "./session-store.js";
import { withAdvisoryLock } from "./pg-advisory-lock.js";

export interface PostgresStoreOptions {
  databaseUrl: string;
  /** Connections reserved for turn locks: each running turn holds one. */
  lockConnections: number;
  /** Longest a turn may wait for its session's lock before failing (ms). */
  lockTimeoutMs: number;
  /** HISTORY_TURNS: the window a session migrated from an earlier version keeps. */
  windowTurns: number;
}

/** The advisory lock key instances take while creating or migrating the tables. */
const SCHEMA_SETUP_LOCK = "switchboard:schema-setup";

/**
 * Sessions in PostgreSQL, shared by every instance: the ledger (LangGraph's PostgresSaver and the
 * transcript) on one pool, the per-session advisory locks on another (a lock connection is held
 * for a whole turn, so it must not starve the checkpointer's queries).
 */
export function createPostgresSessionStore(options: PostgresStoreOptions): SessionStore {
  const dataPool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
  const lockPool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.lockConnections,
    // Bounds the wait for a busy session's lock; past it the turn fails instead of hanging.
    options: `-c lock_timeout=${Math.max(1, Math.round(options.lockTimeoutMs))}`,
  });
  // An idle pooled connection that dies (server restart) must not crash the process.
  const ignore = () => {};
  dataPool.on("error", ignore);
  lockPool.on("error", ignore);
  const ledger = new PostgresSessionLedger(dataPool, { windowTurns: options.windowTurns });
  const saver = new SessionSaver(ledger);
  let closed = false;
  return {
    checkpointer: saver,
    // Creates the tables, runs the saver's migrations and ours. The saver's setup is idempotent
    // but not safe when two instances run it at once against an empty database (both insert the
    // same migration row); an advisory lock lets one instance at a time run it, and an instance
    // that comes second finds the data migrated.
    init: () => withAdvisoryLock(lockPool, SCHEMA_SETUP_LOCK, () => ledger.init()),
    withSessionLock: (sessionId, fn) => withAdvisoryLock(lockPool, sessionId, fn),
    sweep: (cutoffMs, maxTurns) => ledger.sweep(cutoffMs, maxTurns, (t) => saver.isBusy(t)),
    async isReady() {
      if (closed) return false;
      try {
        await dataPool.query("SELECT 1");
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([dataPool.end(), lockPool.end()]);
    },
  };
}
