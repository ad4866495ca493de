import type pg from "pg";

/**
 * Serializes work per session across every instance sharing the database: the turn holds
 * `pg_advisory_lock(hashtext(session_id))` on a connection of its own for its whole length.
 * Session-level (not transaction-level) locks, because a turn spans many checkpointer queries on
 * other connections. If this process dies, PostgreSQL drops the connection and with it the lock.
 * Two sessions whose ids hash alike merely wait for each other; correctness is unaffected.
 */
export async function withAdvisoryLock<T>(pool: pg.Pool, key: string, fn: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("SELECT pg_advisory_lock(hashtext($1))", [key]);
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
