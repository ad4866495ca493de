// The trace contract: what each observation of a turn carries, in Langfuse's attribute names.
// This is the one module that knows those names (through @langfuse/core's attribute enum, the
// same one the official SDK writes); observation-encoder.ts writes them:
//
//   chat (root span)      trace context + routing, is_app_root, input = user message, output = reply
//   <node> (agent, chain) trace context + routing, input, metadata (LangGraph's node and step)
//   <call> generation     trace context + routing, model, parameters, usage, input, output
//
// Langfuse v4 stores every observation as a row and filters rows, not traces, so the trace-wide
// attributes go on every span. They never go into an observation's input or metadata.
import { LangfuseOtelSpanAttributes as LF } from "@langfuse/core";
import { attributeKey } from "./encoding/otlp-span-writer.js";

/** Name of every turn's root observation and of the trace. */
export const TRACE_NAME = "chat";

/** Langfuse's observation types this pipeline writes (agentic types make Langfuse draw the agent graph). */
export type ObservationType = "span" | "generation" | "agent" | "chain" | "tool" | "retriever" | "guardrail";

/** The attribute keys, each encoded once. */
export const KEYS = {
  traceName: attributeKey(LF.TRACE_NAME),
  userId: attributeKey(LF.TRACE_USER_ID),
  sessionId: attributeKey(LF.TRACE_SESSION_ID),
  tags: attributeKey(LF.TRACE_TAGS),
  traceInput: attributeKey(LF.TRACE_INPUT),
  traceOutput: attributeKey(LF.TRACE_OUTPUT),
  environment: attributeKey(LF.ENVIRONMENT),
  release: attributeKey(LF.RELEASE),
  version: attributeKey(LF.VERSION),
  isAppRoot: attributeKey(LF.IS_APP_ROOT),
  type: attributeKey(LF.OBSERVATION_TYPE),
  input: attributeKey(LF.OBSERVATION_INPUT),
  output: attributeKey(LF.OBSERVATION_OUTPUT),
  level: attributeKey(LF.OBSERVATION_LEVEL),
  statusMessage: attributeKey(LF.OBSERVATION_STATUS_MESSAGE),
  model: attributeKey(LF.OBSERVATION_MODEL),
  modelParameters: attributeKey(LF.OBSERVATION_MODEL_PARAMETERS),
  usageDetails: attributeKey(LF.OBSERVATION_USAGE_DETAILS),
  completionStartTime: attributeKey(LF.OBSERVATION_COMPLETION_START_TIME),
  promptName: attributeKey(LF.OBSERVATION_PROMPT_NAME),
  promptVersion: attributeKey(LF.OBSERVATION_PROMPT_VERSION),
  intent: attributeKey(`${LF.TRACE_METADATA}.intent`),
  agent: attributeKey(`${LF.TRACE_METADATA}.agent`),
  langgraphNode: attributeKey(`${LF.OBSERVATION_METADATA}.langgraph_node`),
  langgraphStep: attributeKey(`${LF.OBSERVATION_METADATA}.langgraph_step`),
} as const;

/** The key of trace metadata entry `name` (`langfuse.trace.metadata.<name>`). */
export const traceMetadataKey = (name: string) => attributeKey(`${LF.TRACE_METADATA}.${name}`);
/** The key of observation metadata entry `name` (`langfuse.observation.metadata.<name>`). */
export const observationMetadataKey = (name: string) => attributeKey(`${LF.OBSERVATION_METADATA}.${name}`);

/**
 * The usage of a model call that produced nothing (failed, or cut off before its usage
 * arrived): explicit zeros, since Langfuse tokenizes and prices the input of a generation that
 * has no usage at all.
 */
export const ZERO_USAGE_JSON = '{"input":0,"output":0,"total":0}';

/** How an observation ended, as Langfuse levels it. */
export interface Outcome {
  level: "WARNING" | "ERROR" | undefined;
  /** Status message (also the OTLP status message when level is ERROR). */
  message: string | undefined;
}

export const OK: Outcome = { level: undefined, message: undefined };
/** A client that goes away is a warning about the observation, not a failure of it. */
export const CLIENT_DISCONNECTED: Outcome = { level: "WARNING", message: "client disconnected" };

/** The outcome of an observation that ended with `error` (undefined: success). */
export function outcomeOf(error: unknown, clientGone: boolean): Outcome {
  if (error === undefined) return OK;
  if (clientGone) return CLIENT_DISCONNECTED;
  return { level: "ERROR", message: errorText(error) };
}

/** A chat message as it goes into a generation's input: role and content, LangChain's or OpenAI's. */
export interface ChatMessageLike {
  /** LangChain's message type (human, ai, system, tool). */
  readonly type?: string;
  /** OpenAI's role, when the message already has one. */
  readonly role?: string;
  readonly content: unknown;
}

/** Token usage as LangChain reports it on an AIMessage (`usage_metadata`). */
export interface UsageMetadataLike {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  input_token_details?: Record<string, number | undefined>;
  output_token_details?: Record<string, number | undefined>;
}

/** What a model call returned: an AIMessage (or the concatenation of its streamed chunks). */
export interface ModelReplyLike {
  readonly content: unknown;
  readonly tool_calls?: readonly unknown[];
  readonly usage_metadata?: UsageMetadataLike;
  readonly response_metadata?: Record<string, unknown>;
}

const ROLES: Record<string, string> = {
  human: "user",
  ai: "assistant",
  system: "system",
  tool: "tool",
  function: "function",
  generic: "user",
};

/** A message's role as Langfuse shows it: OpenAI's role, or LangChain's message type mapped to one. */
export function roleOf(message: ChatMessageLike): string {
  return message.role ?? ROLES[message.type ?? ""] ?? message.type ?? "user";
}

/**
 * LangChain usage as Langfuse usage details, the way the official LangChain CallbackHandler maps
 * it: every input/output token detail becomes its own key (`input_cache_read`, `input_audio`,
 * `output_reasoning`, `output_audio`, ...) and is taken out of `input` / `output`, so cached and
 * reasoning tokens are priced as what they are.
 */
export function usageDetails(usage: UsageMetadataLike): Record<string, number> {
  const details: Record<string, number> = {};
  let input = usage.input_tokens;
  let output = usage.output_tokens;
  for (const key in usage.input_token_details) {
    const value = usage.input_token_details[key];
    if (typeof value !== "number") continue;
    details[`input_${key}`] = value;
    if (input !== undefined) input = Math.max(0, input - value);
  }
  for (const key in usage.output_token_details) {
    const value = usage.output_token_details[key];
    if (typeof value !== "number") continue;
    details[`output_${key}`] = value;
    if (output !== undefined) output = Math.max(0, output - value);
  }
  const out: Record<string, number> = {};
  if (input !== undefined) out["input"] = input;
  if (output !== undefined) out["output"] = output;
  if (usage.total_tokens !== undefined) out["total"] = usage.total_tokens;
  return Object.assign(out, details);
}

/** Model parameters as the generation's JSON text, or undefined when none is set. */
export function modelParametersJson(parameters: Record<string, unknown> | undefined): string | undefined {
  if (parameters) for (const _ in parameters) return JSON.stringify(parameters);
  return undefined;
}

/** The model that answered, as the reply names it (OpenAI: model_name, others: model). */
export function replyModel(reply: ModelReplyLike): string | undefined {
  const model = reply.response_metadata?.["model_name"] ?? reply.response_metadata?.["model"];
  return typeof model === "string" && model ? model : undefined;
}

export function errorText(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return String(error);
  } catch {
    // e.g. an object without a prototype: the observation is still recorded as failed.
    return "[unprintable error]";
  }
}
