import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
} from "@langchain/langgraph-checkpoint";
import { PendingTurn, PENDING_TURN_KEY } from "./pending-turn.js";
import { PrefetchedCheckpoint, PREFETCHED_KEY } from "./prefetched-checkpoint.js";
import type { SessionLedger, TranscriptPage, TranscriptQuery } from "./session-ledger.js";

export { PendingTurn } from "./pending-turn.js";
export { PrefetchedCheckpoint } from "./prefetched-checkpoint.js";

/**
 * The graph's checkpointer: LangGraph's saver of the session store (every read goes to it), with
 * two things of a chat turn added.
 *
 * - A run's first read of its thread is served from the checkpoint the turn prefetched
 *   (PrefetchedCheckpoint in `configurable`): without it a continued session's checkpoint is read
 *   and deserialized twice per turn (once for the ownership check, once by the graph).
 * - A run's writes are held by its PendingTurn (in `configurable`) and reach the store only when
 *   the turn commits: the checkpoint, the transcript record and the pruning of older checkpoints
 *   in one transaction, or nothing at all for a turn that fails.
 *
 * Correct only while no one else writes the thread between the prefetch and the commit, which
 * the turn's session lock guarantees. Runs without a PendingTurn write straight to the store.
 */
export class SessionSaver extends BaseCheckpointSaver {
  /** Threads with a turn between beginTurn and its end: the retention sweep leaves them alone. */
  readonly #busy = new Map<string, number>();

  constructor(readonly ledger: SessionLedger) {
    super(ledger.saver.serde);
  }

  /** LangGraph's saver underneath. */
  get store(): BaseCheckpointSaver {
    return this.ledger.saver;
  }

  /** Reads a thread's latest checkpoint for a turn that is about to run on it. */
  async prefetch(threadId: string): Promise<PrefetchedCheckpoint> {
    return new PrefetchedCheckpoint(threadId, await this.store.getTuple({ configurable: { thread_id: threadId } }));
  }

  /** Starts holding the writes of a turn on `threadId`; end it with commit() or abandon(). */
  beginTurn(threadId: string): PendingTurn {
    this.#busy.set(threadId, (this.#busy.get(threadId) ?? 0) + 1);
    return new PendingTurn(threadId);
  }

  /** Writes the finished turn: its checkpoint, its transcript record, older checkpoints pruned. */
  async commit(turn: PendingTurn, record: Record<string, unknown>): Promise<void> {
    try {
      await this.ledger.commitTurn(turn.take(record, Date.now()));
    } finally {
      this.#release(turn);
    }
  }

  /** Drops a turn that did not finish: nothing of it is written. Safe after commit(). */
  abandon(turn: PendingTurn): void {
    turn.discard();
    this.#release(turn);
  }

  #release(turn: PendingTurn): void {
    if (!turn.end()) return;
    const { threadId } = turn;
    const n = (this.#busy.get(threadId) ?? 1) - 1;
    if (n > 0) this.#busy.set(threadId, n);
    else this.#busy.delete(threadId);
  }

  isBusy(threadId: string): boolean {
    return this.#busy.has(threadId);
  }

  transcript(threadId: string, query: TranscriptQuery): Promise<TranscriptPage> {
    return this.ledger.transcript(threadId, query);
  }

  /** The session and turn a trace belongs to, or undefined. */
  turnOfTrace(traceId: string): Promise<{ threadId: string; n: number } | undefined> {
    return this.ledger.turnOfTrace(traceId);
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const prefetched = config.configurable?.[PREFETCHED_KEY];
    const handed = prefetched instanceof PrefetchedCheckpoint ? prefetched.take(config) : null;
    return handed ? handed.tuple : this.store.getTuple(config);
  }

  override list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    return this.store.list(config, options);
  }

  override async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const turn = pendingTurnOf(config);
    if (turn) return turn.put(config, checkpoint, metadata, newVersions);
    return this.store.put(config, checkpoint, metadata, newVersions);
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string) {
    const turn = pendingTurnOf(config);
    if (turn) return turn.putWrites(writes, taskId, taskPath);
    return this.store.putWrites(config, writes, taskId, taskPath);
  }

  override deleteThread(threadId: string): Promise<void> {
    return this.store.deleteThread(threadId);
  }

  override getDeltaChannelHistory(
    options: Parameters<BaseCheckpointSaver["getDeltaChannelHistory"]>[0],
  ): ReturnType<BaseCheckpointSaver["getDeltaChannelHistory"]> {
    return this.store.getDeltaChannelHistory(options);
  }

  override getNextVersion(current: number | undefined): number {
    return this.store.getNextVersion(current);
  }
}

function pendingTurnOf(config: RunnableConfig): PendingTurn | undefined {
  const turn = config.configurable?.[PENDING_TURN_KEY];
  return turn instanceof PendingTurn && turn.holds(config) ? turn : undefined;
}
