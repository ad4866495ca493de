// The session benchmark's result file (bench/sessions/result.json, and before.json for the
// version before bounded sessions): per store, what one turn costs at turn 1, 100 and 1,000.
import type { MachineInfo } from "../result-schema.js";

export const RESULT_SCHEMA = 1;

/** One measured point of a session's life: medians over the turns of its window. */
export interface PointResult {
  /** The turn number (1: the first turn of fresh sessions; N: turns N-9..N of one long session). */
  turn: number;
  /** How many turns the medians are taken over. */
  samples: number;
  /** CPU of the service per turn, all its threads (the export worker included), microseconds. */
  cpuUs: number;
  /** Of which the main thread (the event loop). */
  mainCpuUs: number;
  /** CPU of the PostgreSQL server per turn; null for SQLite (it runs inside the service). */
  databaseCpuUs: number | null;
  /** Time from sending the turn to its answer, ms. */
  latencyMs: number;
  /** What the session occupies more after the turn than before it (bytes; negative when pruning freed more). */
  storedBytesPerTurn: number;
  /** The session's bytes in the database after the turn. */
  sessionBytes: number;
  /** OTLP request body bytes the exporter sent for the turn. */
  traceBytesPerTurn: number;
  /** Body bytes of GET /api/v1/sessions/:id (default page) after the turn. */
  sessionReadBytes: number;
}

export interface StoreResult {
  store: "sqlite" | "postgres";
  points: PointResult[];
  /** The database on disk at the end (SQLite file and write-ahead log; PostgreSQL database size). */
  databaseBytes: number;
  seconds: number;
}

export interface SessionBenchResult {
  schema: typeof RESULT_SCHEMA;
  /** "after" (this version) or "before" (the version before bounded sessions). */
  label: string;
  startedAt: string;
  machine: MachineInfo;
  options: {
    turns: number;
    messageChars: number;
    replyTokens: number;
    historyTurns: number | null;
    warmupTurns: number;
    window: number;
  };
  stores: StoreResult[];
  notes: string[];
}
