import type { RunnableConfig } from "@langchain/core/runnables";
import type { ChannelVersions, Checkpoint, CheckpointMetadata, PendingWrite } from "@langchain/langgraph-checkpoint";
import type { TurnWrite } from "./session-ledger.js";

/** Where a turn's graph run finds the turn it writes for (`config.configurable`). */
export const PENDING_TURN_KEY = "switchboard_pending_turn";

type CheckpointPut = Pick<TurnWrite, "config" | "checkpoint" | "metadata" | "newVersions">;

/**
 * The writes of one turn's graph run, held until the turn has finished. LangGraph writes a
 * checkpoint when a run ends, also when it ends in an error (with `durability: "exit"`, the
 * input of the failed step included), which left a session holding the user's message of a turn
 * that never happened. Held here instead, the checkpoint reaches the store only when the turn
 * commits, with its transcript record, in one transaction; a turn that fails or is abandoned
 * writes nothing.
 */
export class PendingTurn {
  #put: CheckpointPut | undefined;
  readonly #writes: TurnWrite["writes"] = [];
  #state: "open" | "committed" | "closed" = "open";
  #ended = false;

  constructor(readonly threadId: string) {}

  /** What to add to the graph run's `configurable` so the run's writes are held here. */
  configurable(): Record<string, unknown> {
    return { [PENDING_TURN_KEY]: this };
  }

  /** True when `config` is a write of this turn's thread (the root namespace, the one sessions use). */
  holds(config: RunnableConfig): boolean {
    const c = config.configurable;
    return c?.["thread_id"] === this.threadId && (c["checkpoint_ns"] ?? "") === "";
  }

  /**
   * Keeps a checkpoint LangGraph put; the last one put is the turn's. A put arriving after the
   * turn was committed or discarded (a run still ending after its turn timed out) is dropped.
   */
  put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions) {
    const next = { configurable: { thread_id: this.threadId, checkpoint_ns: "", checkpoint_id: checkpoint.id } };
    if (this.#state !== "open") return next;
    // LangGraph reports only the channels that changed since its previous put of this run, and
    // nothing was stored in between: what the turn changed is the union.
    const versions = this.#put ? { ...this.#put.newVersions, ...newVersions } : newVersions;
    this.#put = { config, checkpoint, metadata, newVersions: versions };
    return next;
  }

  putWrites(writes: PendingWrite[], taskId: string, taskPath?: string): void {
    if (this.#state === "open") this.#writes.push({ writes, taskId, taskPath });
  }

  /** The turn's write, once; throws when the run put no checkpoint (it did not run to its end). */
  take(record: Record<string, unknown>, atMs: number): TurnWrite {
    if (this.#state !== "open") throw new Error(`turn on ${this.threadId} already ${this.#state}`);
    if (!this.#put) throw new Error(`the graph run on ${this.threadId} put no checkpoint`);
    this.#state = "committed";
    return { threadId: this.threadId, ...this.#put, writes: this.#writes, record, atMs };
  }

  /** Drops whatever the run put (a failed or abandoned turn). */
  discard(): void {
    if (this.#state === "open") this.#state = "closed";
    this.#put = undefined;
  }

  /** True the first time only: the turn is over (committed, failed or dropped). */
  end(): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    return true;
  }
}
