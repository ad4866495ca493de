import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { ScoreInput } from "./scores/score.js";
import type { ChatMessageLike, ModelReplyLike, TurnIdentity } from "./trace-contract.js";

/**
 * What the graph and the server see of tracing: one object per chat turn. The request path only
 * calls these methods; every implementation must be cheap, never throw and never wait on I/O.
 */
export interface TurnTrace {
  /**
   * The Langfuse trace id, or null when this turn is not traced (disabled, or sampled out: with a
   * sample rate below 1 that is decided when the turn ends, so read it after `end`).
   */
  readonly traceId: string | null;
  /** Main-thread time this turn's tracing calls have taken so far, ms (the Server-Timing `tracing` entry). */
  readonly requestPathMs: number;
  /** Opens the span of one graph node. Input and metadata are small plain objects. */
  startNode(
    name: string,
    input: Record<string, unknown>,
    metadata?: Record<string, unknown>,
    options?: NodeOptions,
  ): NodeTrace;
  /** The router's decision: trace metadata (intent, agent) on every observation that ends from now on. */
  setRouting(intent: string | null, agent: string | null): void;
  /** Records the turn's input and reply on the root observation and closes it. */
  end(result: TurnResult): void;
}

/** What a graph node is, for Langfuse's agent graph. */
export interface NodeOptions {
  /**
   * Langfuse's observation type for the node: `agent` for a node that answers as an agent,
   * `chain` for a step between others (the router), `tool`, `retriever`, `guardrail`; default
   * `span`. Any type but span makes Langfuse draw the trace's agent graph.
   */
  type?: "span" | "agent" | "chain" | "tool" | "retriever" | "guardrail";
  /**
   * The LangGraph superstep the node runs in (`langgraph_step` of the node's run config, as
   * LangGraph numbers it): recorded with the node's name as `langgraph_node` / `langgraph_step`
   * metadata, as LangChain's callbacks record them.
   */
  langgraphStep?: number;
}

export interface TurnResult {
  /** The reply sent to the user; absent when the turn failed. */
  output?: string;
  /** The error that ended the turn, if any. */
  error?: unknown;
  /** True when the client went away before the answer was complete (also known from TurnStart.clientSignal). */
  disconnected?: boolean;
  /** Routing outcome, when setRouting was not called (recorded as trace metadata). */
  intent?: string | null;
  agent?: string | null;
  /** The turn answered with a clarifying question (such turns are kept whatever the sample rate). */
  clarification?: boolean;
}

export interface NodeTrace {
  /**
   * LangChain callbacks for pipelines that see model calls through LangChain's callback
   * machinery (the official SDK's CallbackHandler); undefined for ours, which records
   * generations where the model is called (startGeneration).
   */
  readonly callbacks: Callbacks | undefined;
  /**
   * Runs the node's model call. Pipelines that find their parent through the active
   * OpenTelemetry context (the official SDK's callback handler) activate the node span here;
   * ours passes parents explicitly and just calls `fn`.
   */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Opens a generation for one model call made by this node (a no-op for callback-based pipelines). */
  startGeneration(name: string, call: GenerationStart): GenerationTrace;
  /** Closes the node span; an error marks it ERROR (WARNING when the client went away). */
  end(error?: unknown): void;
}

/** What a model call is, known before it is made. */
export interface GenerationStart {
  /** The model name the call is configured with. */
  model: string | undefined;
  /** Model parameters in OpenAI's names (temperature, max_tokens, top_p, stop, ...). */
  parameters?: Record<string, unknown>;
  /** The messages sent. Not copied: the caller must not change them until the turn ends. */
  input: readonly ChatMessageLike[];
  /**
   * The Langfuse prompt the call's instructions came from (Langfuse prompt management), linked on
   * the generation; absent when the prompt came from the local catalog.
   */
  prompt?: { name: string; version: number };
}

/** One model call. Exactly one of end / fail is called; later calls are ignored. */
export interface GenerationTrace {
  /** The first streamed token arrived (the completion start time). */
  firstToken(): void;
  /** The model answered: output, usage and model name are read from the reply. */
  end(reply: ModelReplyLike): void;
  /** The call failed (or was aborted). */
  fail(error: unknown): void;
}

/**
 * Describes the turn being traced; everything a trace needs at its start. Who and what the turn
 * is (user, session, endpoint, tenant) is the trace contract's TurnIdentity.
 */
export interface TurnStart extends TurnIdentity {
  /** The user's message: the root observation's input. */
  message: string;
  /**
   * Aborted when the client goes away. Observations that end with an error after it aborted
   * are recorded as WARNING "client disconnected", not as failures.
   */
  clientSignal?: AbortSignal;
}

export interface Tracing {
  /** Starts tracing one turn, or returns NOOP_TURN when not traced. */
  startTurn(turn: TurnStart): TurnTrace;
  /**
   * Records a score on a trace (user feedback) for durable delivery to Langfuse and returns its
   * id; absent in pipelines that send no scores (disabled tracing, the benchmark comparisons).
   * Written to disk before it returns when the journal is on; never throws.
   */
  score?(score: ScoreInput): string;
  /** Flushes what is queued within the configured shutdown timeout and stops exporting. */
  shutdown(): Promise<void>;
}

export const NOOP_GENERATION: GenerationTrace = { firstToken() {}, end() {}, fail() {} };

const NOOP_NODE: NodeTrace = {
  callbacks: undefined,
  run: (fn) => fn(),
  startGeneration: () => NOOP_GENERATION,
  end() {},
};

/** The untraced turn: shared, allocation-free. */
export const NOOP_TURN: TurnTrace = {
  traceId: null,
  requestPathMs: 0,
  startNode: () => NOOP_NODE,
  setRouting() {},
  end() {},
};

export const NOOP_TRACING: Tracing = {
  startTurn: () => NOOP_TURN,
  shutdown: async () => {},
};
