import type { UsageMetadata } from "@langchain/core/messages";
import type { ModelOptions } from "../llm/model-options.js";
import type { TurnTrace } from "../tracing/index.js";

/**
 * Per-turn values the nodes need but that are not session state: passed to the graph as
 * `configurable.turn`, never persisted.
 */
export interface TurnContext {
  userId: string;
  sessionId: string;
  /** The new user message of this turn. */
  message: string;
  /** Aborts model calls when the client disconnects or the turn times out. */
  signal: AbortSignal;
  /** Receives reply tokens as they are produced; set for streamed turns only. */
  onToken?: (text: string) => void;
  /** Told who answers as soon as the router has decided (before the answering model runs). */
  onRoute?: (route: TurnRoute) => void;
  trace: TurnTrace;
  /** Collects the token usage of the turn's model calls, when the caller wants it (the chat layer's TurnUsage). */
  usage?: UsageRecorder;
  /** The client's parameters for the answering model call (max tokens, temperature, ...); absent: the model's defaults. */
  modelOptions?: ModelOptions;
}

/** The router's decision for a turn: the intent it read and the agent that answers (null: a clarifying question). */
export interface TurnRoute {
  intent: string | null;
  agent: string | null;
  clarification: boolean;
}

export function turnContextOf(config: { configurable?: Record<string, unknown> } | undefined): TurnContext {
  const turn = config?.configurable?.["turn"] as TurnContext | undefined;
  if (!turn) throw new Error("graph invoked without configurable.turn");
  return turn;
}

/** Takes what each model call reports; the graph only adds to it. */
export interface UsageRecorder {
  add(usage: UsageMetadata | undefined): void;
}

/** The superstep LangGraph runs a node in (`langgraph_step` in the node's run config), as its callbacks report it. */
export function langgraphStepOf(config: { metadata?: Record<string, unknown> } | undefined): number | undefined {
  const step = config?.metadata?.["langgraph_step"];
  return typeof step === "number" ? step : undefined;
}
