import type { RunnableConfig } from "@langchain/core/runnables";
import type { CheckpointTuple } from "@langchain/langgraph-checkpoint";

/** Where a turn hands its prefetched checkpoint to the graph run (`config.configurable`). */
export const PREFETCHED_KEY = "switchboard_prefetched_checkpoint";

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
