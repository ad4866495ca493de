import { MemorySessionLedger } from "./memory-session-ledger.js";
import { createPostgresSessionStore } from "./postgres-session-store.js";
import { SessionSaver } from "./session-saver.js";
import type { SessionStore, SessionStoreOptions } from "./session-store.js";
import { SqliteSessionLedger } from "./sqlite-session-ledger.js";

const noLock = <T>(_sessionId: string, fn: () => Promise<T>) => fn();

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  if (options.kind === "memory") {
    const saver = new SessionSaver(new MemorySessionLedger());
    return {
      checkpointer: saver,
      init: () => saver.ledger.init(),
      withSessionLock: noLock,
      sweep: (cutoffMs, maxTurns) => saver.ledger.sweep(cutoffMs, maxTurns, (t) => saver.isBusy(t)),
      isReady: () => true,
      close() {},
    };
  }
  if (options.kind === "postgres") {
    if (!options.databaseUrl) throw new Error("SESSION_STORE=postgres needs DATABASE_URL");
    return createPostgresSessionStore({
      databaseUrl: options.databaseUrl,
      lockConnections: options.lockConnections ?? 32,
      lockTimeoutMs: options.lockTimeoutMs ?? 120_000,
      windowTurns: options.windowTurns,
    });
  }
  const ledger = new SqliteSessionLedger(options.path, { windowTurns: options.windowTurns });
  const saver = new SessionSaver(ledger);
  return {
    checkpointer: saver,
    init: () => ledger.init(),
    withSessionLock: noLock,
    sweep: (cutoffMs, maxTurns) => ledger.sweep(cutoffMs, maxTurns, (t) => saver.isBusy(t)),
    isReady() {
      try {
        ledger.db.prepare("SELECT 1").get();
        return true;
      } catch {
        return false;
      }
    },
    close: () => ledger.close(),
  };
}
