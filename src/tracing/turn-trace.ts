import type { Callbacks } from "@langchain/core/callbacks/manager";

/**
 * What the graph and the server see of tracing: one object per chat turn. The request path only
 * calls these methods; every implementation must be cheap, never throw and never wait on I/O.
 */
export interface TurnTrace {
  /** The Langfuse trace id, or null when this turn is not traced (disabled or sampled out). */
  readonly traceId: string | null;
  /** Opens the span of one graph node. Input and metadata are small plain objects. */
  startNode(name: string, input: Record<string, unknown>, metadata?: Record<string, unknown>): NodeTrace;
  /** Records the turn's reply as the trace output and closes the root observation. */
  end(result: TurnResult): void;
}

export interface TurnResult {
  /** The reply sent to the user; absent when the turn failed. */
  output?: string;
  /** The error that ended the turn, if any. */
  error?: unknown;
  /** True when the client went away before the answer was complete. */
  disconnected?: boolean;
  /** Routing outcome, recorded as trace metadata. */
  intent?: string | null;
  agent?: string | null;
}

export interface NodeTrace {
  /** LangChain callbacks that turn the node's model calls into generations under this node; undefined when untraced. */
  readonly callbacks: Callbacks | undefined;
  /**
   * Runs the node's model call. Pipelines that find their parent through the active
   * OpenTelemetry context (the official SDK's callback handler) activate the node span here;
   * ours passes parents explicitly and just calls `fn`.
   */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Closes the node span; an error marks it level ERROR. */
  end(error?: unknown): void;
}

/** Describes the turn being traced; everything a trace needs at its start. */
export interface TurnStart {
  userId: string;
  sessionId: string;
  /** The user's message: the trace input. */
  message: string;
  /** Which endpoint served the turn (chat, stream), recorded as a tag. */
  endpoint: string;
  /**
   * Whose turn this is among the API keys: the key's id (never the key itself), or "none" when
   * keys are off. Recorded as trace metadata, so one user id under two keys stays two users.
   */
  tenant?: string;
}

export interface Tracing {
  /** Starts tracing one turn, or returns NOOP_TURN when not traced. */
  startTurn(turn: TurnStart): TurnTrace;
  /** Flushes what is queued within the configured shutdown timeout and stops exporting. */
  shutdown(): Promise<void>;
}

const NOOP_NODE: NodeTrace = { callbacks: undefined, run: (fn) => fn(), end() {} };

/** The untraced turn: shared, allocation-free. */
export const NOOP_TURN: TurnTrace = {
  traceId: null,
  startNode: () => NOOP_NODE,
  end() {},
};

export const NOOP_TRACING: Tracing = {
  startTurn: () => NOOP_TURN,
  shutdown: async () => {},
};
