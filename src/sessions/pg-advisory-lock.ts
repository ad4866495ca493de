import type pg from "pg";
import { SessionBusyError } from "./session-busy-error.js";

/**
 * Serializes work per session across every instance sharing the database: the turn holds
 * `pg_advisory_lock(hashtext(session_id))` on a connection of its own for its whole length.
 * Session-level (not transaction-level) locks, because a turn spans many checkpointer queries on
 * other connections. If this process dies, PostgreSQL drops the connection and with it the lock.
 * Two sessions whose ids hash alike merely wait for each other; correctness is unaffected.
 * A wait longer than the pool's lock_timeout ends in SessionBusyError.
 */
export async function withAdvisoryLock<T>(pool: pg.Pool, key: string, fn: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    try {
      await client.query("SELECT pg_advisory_lock(hashtext($1))", [key]);
    } catch (err) {
      // 55P03 lock_not_available: the connection's lock_timeout passed while other turns held it.
      if ((err as { code?: string }).code === "55P03")
        throw new SessionBusyError("timed out waiting for the session's lock", { cause: err });
      throw err;
    }
    try {
      return await fn();
    } finally {
      try {
        await client.query("SELECT pg_advisory_unlock(hashtext($1))", [key]);
      } catch {
        // The unlock failed (connection lost): discard the connection so the lock dies with it.
        broken = true;
      }
    }
  } catch (err) {
    if (!broken) broken = isConnectionError(err);
    throw err;
  } finally {
    client.release(broken);
  }
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  // Errors raised by fn itself carry no SQLSTATE; a failed lock query on a dead socket has none
  // either, but then pg marks the client unusable anyway. Class 08 = connection exceptions,
  // 57P = operator intervention (terminated backend).
  return typeof code === "string" && (code.startsWith("08") || code.startsWith("57P"));
}
