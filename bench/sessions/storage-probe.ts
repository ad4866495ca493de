// What a session occupies in its database, read from outside the service: the bytes of the rows
// of one thread in LangGraph's tables and in the transcript (whichever of them the version under
// test has), and the database's size on disk.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { childrenOf, readProcessesCpuNs } from "./thread-cpu.js";

export interface StorageProbe {
  /** Bytes stored for one session (its checkpoints, writes, channel blobs and transcript rows). */
  sessionBytes(threadId: string): Promise<number>;
  /** The database on disk: SQLite's file and write-ahead log; PostgreSQL's database. */
  databaseBytes(): Promise<number>;
  /** CPU used so far by the database server's processes (ns); null for SQLite, which runs in the service. */
  serverCpuNs(): number | null;
  close(): Promise<void>;
}

export function sqliteProbe(path: string): StorageProbe {
  let db: Database.Database | undefined;
  const open = () => (db ??= new Database(path, { readonly: true, fileMustExist: true }));
  const sum = (sql: string, threadId: string) =>
    Number((open().prepare(sql).get(threadId) as { n: number | null }).n ?? 0);
  const has = (table: string) =>
    open().prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  return {
    async sessionBytes(threadId) {
      let bytes =
        sum("SELECT SUM(length(checkpoint) + length(metadata)) AS n FROM checkpoints WHERE thread_id = ?", threadId) +
        sum("SELECT SUM(length(value)) AS n FROM writes WHERE thread_id = ?", threadId);
      if (has("switchboard_session_turns"))
        bytes += sum("SELECT SUM(length(record)) AS n FROM switchboard_session_turns WHERE thread_id = ?", threadId);
      return bytes;
    },
    async databaseBytes() {
      return size(path) + size(`${path}-wal`);
    },
    serverCpuNs: () => null,
    async close() {
      db?.close();
    },
  };
}

export async function postgresProbe(url: string): Promise<StorageProbe> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // The server's processes: the postmaster (its pid is the first line of postmaster.pid) and its children.
  const { rows } = await client.query<{ data_directory: string }>("SHOW data_directory");
  const postmaster = Number(readFileSync(join(rows[0]!.data_directory, "postmaster.pid"), "utf8").split("\n")[0]);
  const sum = async (sql: string, threadId: string) => Number((await client.query(sql, [threadId])).rows[0]?.n ?? 0);
  const has = async (table: string) => (await client.query("SELECT to_regclass($1) AS t", [table])).rows[0]?.t !== null;
  return {
    async sessionBytes(threadId) {
      let bytes =
        (await sum(
          "SELECT SUM(pg_column_size(checkpoint) + pg_column_size(metadata)) AS n FROM checkpoints WHERE thread_id = $1",
          threadId,
        )) +
        (await sum(
          "SELECT SUM(COALESCE(pg_column_size(blob), 0)) AS n FROM checkpoint_blobs WHERE thread_id = $1",
          threadId,
        )) +
        (await sum("SELECT SUM(pg_column_size(blob)) AS n FROM checkpoint_writes WHERE thread_id = $1", threadId));
      if (await has("switchboard_session_turns"))
        bytes += await sum(
          "SELECT SUM(pg_column_size(record)) AS n FROM switchboard_session_turns WHERE thread_id = $1",
          threadId,
        );
      return bytes;
    },
    async databaseBytes() {
      return Number((await client.query("SELECT pg_database_size(current_database()) AS n")).rows[0].n);
    },
    serverCpuNs: () => readProcessesCpuNs([postmaster, ...childrenOf(postmaster)]),
    async close() {
      await client.end();
    },
  };
}
