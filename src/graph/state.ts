import { Annotation } from "@langchain/langgraph";
import type { BaseMessage } from "@langchain/core/messages";

/** One finished turn, as the sessions API shows it. */
export interface TurnRecord {
  user: string;
  reply: string;
  intent: string | null;
  agent: string | null;
  clarification: boolean;
  /** ISO time the turn finished. */
  at: string;
  /** The turn's Langfuse trace (feedback scores it); null or absent when it was not traced. */
  trace_id?: string | null;
}

/** The router's decision for the current turn; lives only until the turn's last node runs. */
export interface RouteDecision {
  intent: string | null;
  confidence: number;
  /** Node that answers: an agent node name or "clarify_node". */
  next: string;
}

/**
 * Session state, persisted by the checkpointer. Only the turn's final node writes messages,
 * turn, current_intent and current_agent, all in one update, and the turn's checkpoint is
 * written only once the turn has finished (the session store's turn commit): a turn that fails
 * midway leaves the session exactly as it was.
 */
export const RouterState = Annotation.Root({
  /**
   * The model's window: the session's last HISTORY_TURNS turns (two messages each), replaced
   * whole by each turn, so the checkpoint does not grow with the session. The whole
   * conversation is the session's transcript, kept by the session store.
   */
  messages: Annotation<BaseMessage[]>({ reducer: (_a, b) => b, default: () => [] }),
  /** The turn that just finished; the session store appends it to the transcript when it commits the turn. */
  turn: Annotation<TurnRecord | null>({ reducer: (_a, b) => b, default: () => null }),
  current_intent: Annotation<string | null>({ reducer: (_a, b) => b, default: () => null }),
  current_agent: Annotation<string | null>({ reducer: (_a, b) => b, default: () => null }),
  /** The user who created the session; other users get 404. */
  owner: Annotation<string | null>({ reducer: (a, b) => a ?? b, default: () => null }),
  /** The user message of the turn in progress. */
  input: Annotation<string>({ reducer: (_a, b) => b, default: () => "" }),
  route: Annotation<RouteDecision | null>({ reducer: (_a, b) => b, default: () => null }),
});

export type RouterStateType = typeof RouterState.State;
export type RouterUpdate = typeof RouterState.Update;
