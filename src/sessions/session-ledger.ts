import type { RunnableConfig } from "@langchain/core/runnables";
import type {
  BaseCheckpointSaver,
  ChannelVersions,
  Checkpoint,
  CheckpointMetadata,
  PendingWrite,
} from "@langchain/langgraph-checkpoint";

/** A finished turn as the graph left it: LangGraph's checkpoint write, and the turn's record for the transcript. */
export interface TurnWrite {
  threadId: string;
  /** The arguments of LangGraph's `put` for the turn's final checkpoint. */
  config: RunnableConfig;
  checkpoint: Checkpoint;
  metadata: CheckpointMetadata;
  newVersions: ChannelVersions;
  /** Writes LangGraph left pending on that checkpoint (none for a turn that ran to its end). */
  writes: { writes: PendingWrite[]; taskId: string; taskPath?: string }[];
  /** The turn's record, appended to the transcript as JSON. */
  record: Record<string, unknown>;
  /** When the turn finished (epoch ms): the session's last activity, from which its time-to-live counts. */
  atMs: number;
}

export interface TranscriptQuery {
  /** Only turns numbered below this (turns are numbered from 1); absent: the latest turns. */
  before?: number;
  limit: number;
}

export interface TranscriptPage {
  /** Turns the session has had in all. */
  turnCount: number;
  /** The page, oldest first; `n` is the turn's number in the session. */
  turns: { n: number; record: Record<string, unknown> }[];
}

export interface SweepResult {
  sessions: number;
  turns: number;
}

/** What the first start of this version did to a database written by an earlier one. */
export interface MigrationReport {
  /** Sessions whose history moved from their checkpoint into the transcript. */
  sessions: number;
  turns: number;
  /** Threads that held no finished turn (left by failed or aborted turns), deleted. */
  orphans: number;
  /** Older checkpoints deleted (every session keeps only its latest). */
  checkpoints: number;
}

/**
 * Where a session store keeps sessions, behind LangGraph's checkpointer: the latest checkpoint of
 * each session (LangGraph's own tables and format, read through LangGraph's saver), the session's
 * transcript (one row per finished turn) and its last activity. A turn is committed in one
 * transaction: its checkpoint written, its record appended, the session's older checkpoints and
 * their writes deleted.
 */
export interface SessionLedger {
  /** LangGraph's saver on the same storage: every read of a checkpoint goes through it. */
  readonly saver: BaseCheckpointSaver;
  /** Creates the tables and brings a database of an earlier version up to date. */
  init(): Promise<MigrationReport>;
  commitTurn(write: TurnWrite): Promise<void>;
  transcript(threadId: string, query: TranscriptQuery): Promise<TranscriptPage>;
  /**
   * The session and turn a trace belongs to (the record's `trace_id`), or undefined: what scores
   * on a trace (user feedback) are checked against, so only its session's owner can score it.
   */
  turnOfTrace(traceId: string): Promise<{ threadId: string; n: number } | undefined>;
  /**
   * Deletes sessions whose last turn finished before `cutoffMs`, oldest first, each whole (its
   * checkpoints, writes, transcript) in one transaction; stops once `maxTurns` transcript rows
   * are deleted (at least one session is, however long). Skips the threads `isBusy` names (a
   * turn is running on them).
   */
  sweep(cutoffMs: number, maxTurns: number, isBusy: (threadId: string) => boolean): Promise<SweepResult>;
  close(): Promise<void>;
}
