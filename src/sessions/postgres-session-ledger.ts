import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import type { ChannelVersions, Checkpoint, CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import type pg from "pg";
import { splitLegacyCheckpoint } from "./legacy-checkpoint.js";
import type {
  MigrationReport,
  SessionLedger,
  SweepResult,
  TranscriptPage,
  TranscriptQuery,
  TurnWrite,
} from "./session-ledger.js";

/** The schema version of Switchboard's own session tables; 1: bounded sessions (one checkpoint, a transcript). */
const SCHEMA_VERSION = 1;
/** Expired sessions looked at per sweep query. */
const SWEEP_CANDIDATES = 64;

/** LangGraph's PostgreSQL saver, with its (protected) serializers callable, so a turn is stored exactly as its put would store it. */
class SessionPostgresSaver extends PostgresSaver {
  dumpBlobs(threadId: string, values: Record<string, unknown>, versions: ChannelVersions) {
    return this._dumpBlobs(threadId, "", values, versions);
  }

  dumpCheckpoint(checkpoint: Checkpoint) {
    return this._dumpCheckpoint(checkpoint);
  }

  dumpMetadata(metadata: CheckpointMetadata) {
    return this._dumpMetadata(metadata);
  }

  dumpWrites(threadId: string, checkpointId: string, taskId: string, writes: [string, unknown][]) {
    return this._dumpWrites(threadId, "", checkpointId, taskId, writes);
  }
}

/** A serialized checkpoint, ready for one transaction. */
interface CheckpointRows {
  threadId: string;
  checkpointId: string;
  parentId: string | null;
  blobs: unknown[][];
  checkpoint: Record<string, unknown>;
  channelVersions: ChannelVersions;
  metadata: unknown;
  writes: unknown[][];
}

/**
 * Sessions in PostgreSQL (DATABASE_URL), shared by every instance: LangGraph's PostgresSaver
 * tables (`checkpoints`, `checkpoint_blobs`, `checkpoint_writes`), holding each session's latest
 * checkpoint and the channel values it refers to, and Switchboard's own: `switchboard_sessions`
 * (turn count and last activity per session) and `switchboard_session_turns` (the transcript).
 * A turn is written in one transaction with the same statements PostgresSaver.put uses (its own
 * serializers), plus its transcript row and the deletion of the session's older checkpoints,
 * their writes and every channel value the new checkpoint no longer refers to.
 */
export class PostgresSessionLedger implements SessionLedger {
  readonly saver: SessionPostgresSaver;

  readonly #pool: pg.Pool;
  readonly #options: { windowTurns: number };

  constructor(pool: pg.Pool, options: { windowTurns: number }) {
    this.#pool = pool;
    this.#options = options;
    this.saver = new SessionPostgresSaver(pool);
  }

  /** Creates LangGraph's tables and ours, then migrates. Callers serialize it across instances. */
  async init(): Promise<MigrationReport> {
    await this.saver.setup();
    await this.#pool.query(`
      CREATE TABLE IF NOT EXISTS switchboard_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS switchboard_sessions (
        thread_id TEXT PRIMARY KEY,
        turns INTEGER NOT NULL,
        updated_ms BIGINT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS switchboard_sessions_updated ON switchboard_sessions (updated_ms);
      CREATE TABLE IF NOT EXISTS switchboard_session_turns (
        thread_id TEXT NOT NULL,
        n INTEGER NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (thread_id, n)
      );
      ALTER TABLE switchboard_session_turns ADD COLUMN IF NOT EXISTS trace_id TEXT;
      CREATE INDEX IF NOT EXISTS switchboard_session_turns_trace ON switchboard_session_turns (trace_id)
        WHERE trace_id IS NOT NULL;
    `);
    const report: MigrationReport = { sessions: 0, turns: 0, orphans: 0, checkpoints: 0 };
    const { rows } = await this.#pool.query<{ version: number }>(
      "SELECT version FROM switchboard_schema WHERE component = 'sessions'",
    );
    if ((rows[0]?.version ?? 0) >= SCHEMA_VERSION) return report;
    const threads = await this.#pool.query<{ thread_id: string }>(
      "SELECT DISTINCT thread_id FROM checkpoints WHERE thread_id NOT IN (SELECT thread_id FROM switchboard_sessions)",
    );
    for (const { thread_id: threadId } of threads.rows) await this.#migrate(threadId, report);
    await this.#pool.query(
      "INSERT INTO switchboard_schema (component, version) VALUES ('sessions', $1) ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version",
      [SCHEMA_VERSION],
    );
    return report;
  }

  async #migrate(threadId: string, report: MigrationReport): Promise<void> {
    const tuple = await this.saver.getTuple({ configurable: { thread_id: threadId } });
    const split = tuple ? splitLegacyCheckpoint(tuple.checkpoint, this.#options.windowTurns) : null;
    if (!tuple || !split || split.turns.length === 0) {
      await this.#transaction(async (client) => deleteThread(client, threadId));
      report.orphans++;
      return;
    }
    const { checkpoint } = split;
    // Every channel value is written again at its version: `messages` now holds only the window.
    const metadata = tuple.metadata ?? { source: "loop" as const, step: 0, parents: {} };
    const rows = await this.#serialize(threadId, null, checkpoint, metadata, checkpoint.channel_versions, []);
    rows.parentId = (tuple.parentConfig?.configurable?.["checkpoint_id"] as string | undefined) ?? null;
    const last = split.turns[split.turns.length - 1];
    const at = Date.parse(String(last?.["at"] ?? ""));
    const records = split.turns.map((t) => JSON.stringify(t));
    await this.#transaction(async (client) => {
      report.checkpoints += await writeCheckpoint(client, rows);
      await client.query("INSERT INTO switchboard_sessions (thread_id, turns, updated_ms) VALUES ($1, $2, $3)", [
        threadId,
        records.length,
        Number.isFinite(at) ? at : Date.now(),
      ]);
      await client.query(
        "INSERT INTO switchboard_session_turns (thread_id, n, record) SELECT $1, n, record FROM unnest($2::int[], $3::text[]) AS t(n, record)",
        [threadId, records.map((_, i) => i + 1), records],
      );
    });
    report.sessions++;
    report.turns += records.length;
  }

  async #serialize(
    threadId: string,
    parentId: string | null,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    versions: ChannelVersions,
    writes: TurnWrite["writes"],
  ): Promise<CheckpointRows> {
    const [blobs, serializedMetadata] = await Promise.all([
      this.saver.dumpBlobs(threadId, checkpoint.channel_values, versions),
      this.saver.dumpMetadata(metadata),
    ]);
    const dumpedWrites: unknown[][] = [];
    for (const w of writes)
      dumpedWrites.push(...(await this.saver.dumpWrites(threadId, checkpoint.id, w.taskId, w.writes)));
    return {
      threadId,
      checkpointId: checkpoint.id,
      parentId,
      blobs,
      checkpoint: this.saver.dumpCheckpoint(checkpoint),
      channelVersions: checkpoint.channel_versions,
      metadata: serializedMetadata,
      writes: dumpedWrites,
    };
  }

  async commitTurn(write: TurnWrite): Promise<void> {
    const parentId = (write.config.configurable?.["checkpoint_id"] as string | undefined) ?? null;
    const rows = await this.#serialize(
      write.threadId,
      parentId,
      write.checkpoint,
      write.metadata,
      write.newVersions,
      write.writes,
    );
    const record = JSON.stringify(write.record);
    await this.#transaction(async (client) => {
      await writeCheckpoint(client, rows);
      const { rows: counted } = await client.query<{ turns: number }>(
        "INSERT INTO switchboard_sessions (thread_id, turns, updated_ms) VALUES ($1, 1, $2) ON CONFLICT (thread_id) DO UPDATE SET turns = switchboard_sessions.turns + 1, updated_ms = EXCLUDED.updated_ms RETURNING turns",
        [write.threadId, write.atMs],
      );
      const traceId = write.record["trace_id"];
      await client.query(
        "INSERT INTO switchboard_session_turns (thread_id, n, record, trace_id) VALUES ($1, $2, $3, $4)",
        [write.threadId, counted[0]!.turns, record, typeof traceId === "string" ? traceId : null],
      );
    });
  }

  async turnOfTrace(traceId: string): Promise<{ threadId: string; n: number } | undefined> {
    const { rows } = await this.#pool.query<{ threadId: string; n: number }>(
      'SELECT thread_id AS "threadId", n FROM switchboard_session_turns WHERE trace_id = $1 LIMIT 1',
      [traceId],
    );
    return rows[0];
  }

  async transcript(threadId: string, query: TranscriptQuery): Promise<TranscriptPage> {
    const session = await this.#pool.query<{ turns: number }>(
      "SELECT turns FROM switchboard_sessions WHERE thread_id = $1",
      [threadId],
    );
    const turnCount = session.rows[0]?.turns;
    if (turnCount === undefined) return { turnCount: 0, turns: [] };
    const { rows } = await this.#pool.query<{ n: number; record: string }>(
      "SELECT n, record FROM switchboard_session_turns WHERE thread_id = $1 AND n < $2 ORDER BY n DESC LIMIT $3",
      [threadId, query.before ?? turnCount + 1, query.limit],
    );
    return {
      turnCount,
      turns: rows.reverse().map((r) => ({ n: r.n, record: JSON.parse(r.record) as Record<string, unknown> })),
    };
  }

  async sweep(cutoffMs: number, maxTurns: number, isBusy: (threadId: string) => boolean): Promise<SweepResult> {
    const done: SweepResult = { sessions: 0, turns: 0 };
    const { rows } = await this.#pool.query<{ thread_id: string; turns: number }>(
      "SELECT thread_id, turns FROM switchboard_sessions WHERE updated_ms < $1 ORDER BY updated_ms LIMIT $2",
      [cutoffMs, SWEEP_CANDIDATES],
    );
    for (const { thread_id: threadId, turns } of rows) {
      if (isBusy(threadId)) continue;
      if (done.sessions > 0 && done.turns + turns > maxTurns) break;
      const deleted = await this.#transaction(async (client) => {
        // A turn on it in another instance holds its advisory lock (pg-advisory-lock.ts): leave it.
        const lock = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok", [
          threadId,
        ]);
        if (!lock.rows[0]?.ok) return false;
        const gone = await client.query("DELETE FROM switchboard_sessions WHERE thread_id = $1 AND updated_ms < $2", [
          threadId,
          cutoffMs,
        ]);
        if (gone.rowCount === 0) return false;
        await client.query("DELETE FROM switchboard_session_turns WHERE thread_id = $1", [threadId]);
        await deleteThread(client, threadId);
        return true;
      });
      if (!deleted) continue;
      done.sessions++;
      done.turns += turns;
    }
    return done;
  }

  async #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {}
}

/**
 * Writes a checkpoint as PostgresSaver.put does (its blobs, then its row; a blob written again
 * at the same version is replaced, which only the migration does), then deletes what the thread
 * no longer needs: older checkpoints, their writes, channel values at versions the checkpoint
 * does not name. Returns how many older checkpoints were deleted.
 */
async function writeCheckpoint(client: pg.PoolClient, rows: CheckpointRows): Promise<number> {
  if (rows.blobs.length > 0) {
    const values = rows.blobs.map(
      (_, i) => `($${i * 6 + 1}, $${i * 6 + 2}, $${i * 6 + 3}, $${i * 6 + 4}, $${i * 6 + 5}, $${i * 6 + 6})`,
    );
    await client.query(
      `INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob) VALUES ${values.join(", ")}
       ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO UPDATE SET type = EXCLUDED.type, blob = EXCLUDED.blob`,
      rows.blobs.flat(),
    );
  }
  await client.query(
    `INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
     VALUES ($1, '', $2, $3, $4, $5)
     ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata`,
    [rows.threadId, rows.checkpointId, rows.parentId, rows.checkpoint, rows.metadata],
  );
  for (const write of rows.writes)
    await client.query(
      `INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob`,
      write,
    );
  const older = await client.query("DELETE FROM checkpoints WHERE thread_id = $1 AND checkpoint_id <> $2", [
    rows.threadId,
    rows.checkpointId,
  ]);
  await client.query("DELETE FROM checkpoint_writes WHERE thread_id = $1 AND checkpoint_id <> $2", [
    rows.threadId,
    rows.checkpointId,
  ]);
  await client.query(
    "DELETE FROM checkpoint_blobs WHERE thread_id = $1 AND (checkpoint_ns <> '' OR version IS DISTINCT FROM ($2::jsonb ->> channel))",
    [rows.threadId, JSON.stringify(rows.channelVersions)],
  );
  return older.rowCount ?? 0;
}

async function deleteThread(client: pg.PoolClient, threadId: string): Promise<void> {
  await client.query("DELETE FROM checkpoints WHERE thread_id = $1", [threadId]);
  await client.query("DELETE FROM checkpoint_blobs WHERE thread_id = $1", [threadId]);
  await client.query("DELETE FROM checkpoint_writes WHERE thread_id = $1", [threadId]);
}
