import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import type {
  MigrationReport,
  SessionLedger,
  SweepResult,
  TranscriptPage,
  TranscriptQuery,
  TurnWrite,
} from "./session-ledger.js";

interface MemorySession {
  /** Each turn's record as JSON, turn n at index n - 1. */
  turns: string[];
  updatedMs: number;
}

/**
 * Sessions in this process (SESSION_STORE=memory, and tests): LangGraph's MemorySaver holding
 * each session's latest checkpoint, and the transcripts beside it. Lost on restart.
 */
export class MemorySessionLedger implements SessionLedger {
  readonly #sessions = new Map<string, MemorySession>();
  readonly #traces = new Map<string, { threadId: string; n: number }>();

  constructor(readonly saver: BaseCheckpointSaver = new MemorySaver()) {}

  async init(): Promise<MigrationReport> {
    return { sessions: 0, turns: 0, orphans: 0, checkpoints: 0 };
  }

  async commitTurn(write: TurnWrite): Promise<void> {
    const { threadId, checkpoint } = write;
    const record = JSON.stringify(write.record);
    await this.saver.put(write.config, checkpoint, write.metadata, write.newVersions);
    const at = { configurable: { thread_id: threadId, checkpoint_ns: "", checkpoint_id: checkpoint.id } };
    for (const w of write.writes) await this.saver.putWrites(at, w.writes, w.taskId, w.taskPath);
    if (this.saver instanceof MemorySaver) keepOnlyCheckpoint(this.saver, threadId, checkpoint.id);
    const session = this.#sessions.get(threadId) ?? { turns: [], updatedMs: write.atMs };
    session.turns.push(record);
    session.updatedMs = write.atMs;
    this.#sessions.set(threadId, session);
    const traceId = write.record["trace_id"];
    if (typeof traceId === "string") this.#traces.set(traceId, { threadId, n: session.turns.length });
  }

  async turnOfTrace(traceId: string): Promise<{ threadId: string; n: number } | undefined> {
    const turn = this.#traces.get(traceId);
    return turn && this.#sessions.has(turn.threadId) ? turn : undefined;
  }

  async transcript(threadId: string, query: TranscriptQuery): Promise<TranscriptPage> {
    const turns = this.#sessions.get(threadId)?.turns ?? [];
    const end = Math.min(turns.length, (query.before ?? Infinity) - 1);
    const start = Math.max(0, end - query.limit);
    return {
      turnCount: turns.length,
      turns: turns.slice(start, end).map((json, i) => ({ n: start + i + 1, record: JSON.parse(json) })),
    };
  }

  async sweep(cutoffMs: number, maxTurns: number, isBusy: (threadId: string) => boolean): Promise<SweepResult> {
    const expired = [...this.#sessions]
      .filter(([id, s]) => s.updatedMs < cutoffMs && !isBusy(id))
      .sort((a, b) => a[1].updatedMs - b[1].updatedMs);
    const done: SweepResult = { sessions: 0, turns: 0 };
    for (const [threadId, session] of expired) {
      if (done.sessions > 0 && done.turns + session.turns.length > maxTurns) break;
      await this.saver.deleteThread(threadId);
      this.#sessions.delete(threadId);
      done.sessions++;
      done.turns += session.turns.length;
    }
    return done;
  }

  async close(): Promise<void> {}
}

/** Deletes a MemorySaver thread's checkpoints and writes other than `checkpointId`. */
function keepOnlyCheckpoint(saver: MemorySaver, threadId: string, checkpointId: string): void {
  const checkpoints = saver.storage[threadId]?.[""];
  if (checkpoints) for (const id of Object.keys(checkpoints)) if (id !== checkpointId) delete checkpoints[id];
  for (const key of Object.keys(saver.writes)) {
    const [thread, , id] = JSON.parse(key) as [string, string, string];
    if (thread === threadId && id !== checkpointId) delete saver.writes[key];
  }
}
