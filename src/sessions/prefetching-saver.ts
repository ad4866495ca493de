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

/** Where a turn hands its prefetched checkpoint to the graph run (`config.configurable`). */
const PREFETCHED_KEY = "switchboard_prefetched_checkpoint";

/**
 * A session's latest checkpoint, read once before a turn (the ownership check needs its values),
 * and handed to that turn's graph run so the run does not read and deserialize it again. Handed
 * over once: any later read goes to the store.
 */
export class PrefetchedCheckpoint {
  #taken = false;

  constructor(
    readonly threadId: string,
    /** Undefined for a session nothing was stored for yet. */
    readonly tuple: CheckpointTuple | undefined,
  ) {}

  /** The stored channel values (the session's state), or undefined for a new session. */
  get values(): Record<string, unknown> | undefined {
    return this.tuple?.checkpoint.channel_values;
  }

  /** What to add to the graph run's `configurable` so the run starts from this checkpoint. */
  configurable(): Record<string, unknown> {
    return { [PREFETCHED_KEY]: this };
  }

  /** The tuple, the first time a read of this thread's latest checkpoint asks for it. */
  take(config: RunnableConfig): { tuple: CheckpointTuple | undefined } | null {
    const c = config.configurable;
    if (
      this.#taken ||
      !c ||
      c["thread_id"] !== this.threadId ||
      c["checkpoint_id"] ||
      (c["checkpoint_ns"] ?? "") !== ""
    )
      return null;
    this.#taken = true;
    return { tuple: this.tuple };
  }
}

/**
 * A checkpointer that serves a graph run's first read of its thread from the checkpoint the turn
 * prefetched (PrefetchedCheckpoint in `configurable`), and passes everything else to the store.
 * Without it a continued session's checkpoint is read and deserialized twice per turn (once for
 * the ownership check, once by the graph), and deserializing the history is most of what a long
 * session costs. Correct only while no one else writes the thread between the prefetch and the
 * run, which the turn's session lock guarantees.
 */
export class PrefetchingSaver extends BaseCheckpointSaver {
  constructor(readonly store: BaseCheckpointSaver) {
    super(store.serde);
  }

  /** Reads a thread's latest checkpoint for a turn that is about to run on it. */
  async prefetch(threadId: string): Promise<PrefetchedCheckpoint> {
    return new PrefetchedCheckpoint(threadId, await this.store.getTuple({ configurable: { thread_id: threadId } }));
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const prefetched = config.configurable?.[PREFETCHED_KEY];
    const handed = prefetched instanceof PrefetchedCheckpoint ? prefetched.take(config) : null;
    return handed ? handed.tuple : this.store.getTuple(config);
  }

  override list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    return this.store.list(config, options);
  }

  override put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    return this.store.put(config, checkpoint, metadata, newVersions);
  }

  override putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
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
