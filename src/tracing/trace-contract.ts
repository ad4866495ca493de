// The trace contract: what each observation of a turn carries, in Langfuse's attribute names.
// This is the one module that knows those names (through @langfuse/core's attribute enum, the
// same one the official SDK writes) and what a turn's trace context is, for both pipelines:
// observation-encoder.ts writes it, comparison/sdk-turn-trace.ts hands it to the official SDK.
//
//   chat (root span)      trace context + routing, is_app_root, input = user message, output = reply
//                         (+ metadata.tracing when a busy loop kept only the root: shed-turn.ts)
//   <node> (agent, chain) trace context + routing, input, metadata (LangGraph's node and step)
//   <call> generation     trace context + routing, model, parameters, usage, input, output
//
// Langfuse v4 stores every observation as a row and filters rows, not traces, so the trace-wide
// attributes go on every span. They never go into an observation's input or metadata.
import { LangfuseOtelSpanAttributes as LF } from "@langfuse/core";
import { attributeKey, type AttributeKey, type OtlpSpanWriter } from "./encoding/otlp-span-writer.js";

/** Name of every turn's root observation and of the trace. */
export const TRACE_NAME = "chat";

/** Langfuse's observation types this pipeline writes (agentic types make Langfuse draw the agent graph). */
export type ObservationType = "span" | "generation" | "agent" | "chain" | "tool" | "retriever" | "guardrail";

/** The attribute names, as the official SDK spells them. */
export const NAMES = {
  traceName: LF.TRACE_NAME,
  userId: LF.TRACE_USER_ID,
  sessionId: LF.TRACE_SESSION_ID,
  tags: LF.TRACE_TAGS,
  traceInput: LF.TRACE_INPUT,
  traceOutput: LF.TRACE_OUTPUT,
  environment: LF.ENVIRONMENT,
  release: LF.RELEASE,
  version: LF.VERSION,
  isAppRoot: LF.IS_APP_ROOT,
  type: LF.OBSERVATION_TYPE,
  input: LF.OBSERVATION_INPUT,
  output: LF.OBSERVATION_OUTPUT,
  level: LF.OBSERVATION_LEVEL,
  statusMessage: LF.OBSERVATION_STATUS_MESSAGE,
  model: LF.OBSERVATION_MODEL,
  modelParameters: LF.OBSERVATION_MODEL_PARAMETERS,
  usageDetails: LF.OBSERVATION_USAGE_DETAILS,
  completionStartTime: LF.OBSERVATION_COMPLETION_START_TIME,
  promptName: LF.OBSERVATION_PROMPT_NAME,
  promptVersion: LF.OBSERVATION_PROMPT_VERSION,
  intent: `${LF.TRACE_METADATA}.intent`,
  agent: `${LF.TRACE_METADATA}.agent`,
  langgraphNode: `${LF.OBSERVATION_METADATA}.langgraph_node`,
  langgraphStep: `${LF.OBSERVATION_METADATA}.langgraph_step`,
  // On the root of a turn traced by its root alone (shed while the event loop was busy), why.
  rootOnly: `${LF.OBSERVATION_METADATA}.tracing`,
} as const;

/** The attribute keys, each encoded once. */
export const KEYS = Object.fromEntries(Object.entries(NAMES).map(([field, name]) => [field, attributeKey(name)])) as {
  readonly [field in keyof typeof NAMES]: AttributeKey;
};

/** The key of trace metadata entry `name` (`langfuse.trace.metadata.<name>`). */
export const traceMetadataKey = (name: string) => attributeKey(`${LF.TRACE_METADATA}.${name}`);
/** The key of observation metadata entry `name` (`langfuse.observation.metadata.<name>`). */
export const observationMetadataKey = (name: string) => attributeKey(`${LF.OBSERVATION_METADATA}.${name}`);

/** Who and what a turn is, known when it starts: what its trace context is made of. */
export interface TurnIdentity {
  userId: string;
  sessionId: string;
  /** Which endpoint served the turn (chat, stream), recorded as a tag. */
  endpoint: string;
  /**
   * Whose turn this is among the API keys: the key's id (never the key itself), or "none" when
   * keys are off. Recorded as trace metadata, so one user id under two keys stays two users.
   */
  tenant?: string;
}

/** What the deployment puts on every trace, configured once. */
export interface DeploymentIdentity {
  /** Langfuse environment (e.g. production). */
  readonly environment?: string;
  readonly release?: string;
  /** The application's version (`langfuse.version`). */
  readonly version?: string;
}

/**
 * A turn's trace context: every trace-wide attribute, which each observation of the turn carries.
 * Its fields are those of the official SDK's propagateAttributes(), so the comparison pipeline
 * hands the same values to the SDK.
 */
export interface TraceContext {
  readonly traceName: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly tags: string[];
  readonly environment: string | undefined;
  readonly release: string | undefined;
  readonly version: string | undefined;
  /** Trace metadata (`langfuse.trace.metadata.<name>`); undefined: none. */
  readonly metadata: Record<string, string> | undefined;
}

/** The one definition of what a turn's trace says about it. Called once per turn. */
export function traceContext(turn: TurnIdentity, deployment: DeploymentIdentity): TraceContext {
  return {
    traceName: TRACE_NAME,
    userId: turn.userId,
    sessionId: turn.sessionId,
    tags: [`endpoint:${turn.endpoint}`],
    environment: deployment.environment,
    release: deployment.release,
    version: deployment.version,
    metadata: turn.tenant === undefined ? undefined : { tenant: turn.tenant },
  };
}

/** Writes a trace context as Langfuse attributes (into the span, or an encoded fragment of it). */
export function writeTraceContext(w: OtlpSpanWriter, context: TraceContext): void {
  w.string(KEYS.traceName, context.traceName);
  w.string(KEYS.userId, context.userId);
  w.string(KEYS.sessionId, context.sessionId);
  w.strings(KEYS.tags, context.tags);
  if (context.environment !== undefined) w.string(KEYS.environment, context.environment);
  if (context.release !== undefined) w.string(KEYS.release, context.release);
  if (context.version !== undefined) w.string(KEYS.version, context.version);
  const metadata = context.metadata;
  if (metadata) for (const name in metadata) w.string(traceMetadataKey(name), metadata[name]!);
}

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
