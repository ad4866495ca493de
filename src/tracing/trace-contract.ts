// The trace contract: what each observation of a turn carries, in Langfuse's attribute names.
// This is the one module that knows those names (through @langfuse/core's attribute enum, the
// same one the official SDK writes) and the one place that decides what goes where:
//
//   chat (root span)      trace context + routing, input = user message, output = reply
//   <node> span           trace context + routing, input, metadata
//   <call> generation     trace context + routing, model, parameters, usage, input, output
//
// Langfuse v4 stores every observation as a row and filters rows, not traces, so the trace-wide
// attributes go on every span. They never go into an observation's input or metadata.
import { LangfuseOtelSpanAttributes as LF } from "@langfuse/core";
import type { FieldSerializer } from "./field-serializer.js";
import type { QuotedStrings } from "./quoted-strings.js";
import type { GenerationFacts, MessageFacts, NodeFacts, ReplyFacts, RootFacts } from "./span-facts.js";
import type { AttributeValue } from "./encoding/span-format.js";

export type Attributes = Record<string, AttributeValue | undefined>;

/** Name of every turn's root observation and of the trace. */
export const TRACE_NAME = "chat";

/** Trace-wide facts known when a turn starts. */
export interface TraceContext {
  userId: string;
  sessionId: string;
  /** Tags of the trace, e.g. `endpoint:chat`. */
  tags: string[];
  /** Trace metadata known at the start (e.g. tenant). Values are short strings. */
  metadata: Record<string, string | undefined>;
  environment: string | undefined;
  release: string | undefined;
  /** The application's version (`langfuse.version`). */
  version: string | undefined;
}

/** The trace-wide attributes every observation of the turn carries: built once per turn. */
export function traceContextAttributes(ctx: TraceContext): Attributes {
  const attributes: Attributes = {
    [LF.TRACE_NAME]: TRACE_NAME,
    [LF.TRACE_USER_ID]: ctx.userId,
    [LF.TRACE_SESSION_ID]: ctx.sessionId,
    [LF.TRACE_TAGS]: ctx.tags,
    [LF.ENVIRONMENT]: ctx.environment,
    [LF.RELEASE]: ctx.release,
    [LF.VERSION]: ctx.version,
  };
  for (const key in ctx.metadata) attributes[`${LF.TRACE_METADATA}.${key}`] = ctx.metadata[key];
  return attributes;
}

/** The router's decision as trace metadata, on every observation that ends once it is known. */
export function routingAttributes(intent: string | null | undefined, agent: string | null | undefined): Attributes {
  return {
    [`${LF.TRACE_METADATA}.intent`]: intent ?? undefined,
    [`${LF.TRACE_METADATA}.agent`]: agent ?? undefined,
  };
}

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

function outcomeAttributes(attributes: Attributes, outcome: Outcome, s: FieldSerializer): Attributes {
  if (outcome.level) {
    attributes[LF.OBSERVATION_LEVEL] = outcome.level;
    attributes[LF.OBSERVATION_STATUS_MESSAGE] = s.valueText(outcome.message);
  }
  return attributes;
}

/**
 * The root observation: the turn's input and output live here (Langfuse v4 has no trace-level
 * input/output). `legacyTraceIo` also writes them as `langfuse.trace.input/output`, which only a
 * self-hosted Langfuse v3 reads.
 */
export function rootAttributes(s: FieldSerializer, root: RootFacts, legacyTraceIo: boolean): Attributes {
  const input = s.ioText(root.input.value, root.input.chars);
  const output = root.output && s.ioText(root.output.value, root.output.chars);
  const attributes: Attributes = {
    [LF.OBSERVATION_TYPE]: "span",
    [LF.OBSERVATION_INPUT]: input,
    [LF.OBSERVATION_OUTPUT]: output,
  };
  if (legacyTraceIo) {
    attributes[LF.TRACE_INPUT] = input;
    attributes[LF.TRACE_OUTPUT] = output;
  }
  return outcomeAttributes(attributes, root.outcome, s);
}

/** A graph node's span: its input and metadata values, already as (JSON) text. */
export function nodeAttributes(s: FieldSerializer, node: NodeFacts): Attributes {
  const attributes: Attributes = {
    [LF.OBSERVATION_TYPE]: "span",
    [LF.OBSERVATION_INPUT]: s.valueText(node.input),
  };
  const metadata = node.metadata;
  if (metadata)
    for (const key in metadata) attributes[`${LF.OBSERVATION_METADATA}.${key}`] = s.valueText(metadata[key]);
  return outcomeAttributes(attributes, node.outcome, s);
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

/** A model call: the generation's model, parameters, usage details, input and output. */
export function generationAttributes(s: FieldSerializer, gen: GenerationFacts, quotes: QuotedStrings): Attributes {
  const reply = gen.reply;
  const attributes: Attributes = {
    [LF.OBSERVATION_TYPE]: "generation",
    [LF.OBSERVATION_MODEL]: reply?.model || gen.model,
    [LF.OBSERVATION_MODEL_PARAMETERS]: gen.parametersJson,
    [LF.OBSERVATION_USAGE_DETAILS]: reply?.usageJson,
    [LF.OBSERVATION_COMPLETION_START_TIME]:
      gen.completionStartMs === undefined ? undefined : `"${new Date(gen.completionStartMs).toISOString()}"`,
    [LF.OBSERVATION_INPUT]: s.ioText(chatMessagesJson(gen.messages, quotes)),
    [LF.OBSERVATION_OUTPUT]: reply ? s.ioText(assistantMessageJson(reply, quotes)) : undefined,
  };
  return outcomeAttributes(attributes, gen.outcome, s);
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
 * The messages as the chat-message list Langfuse renders (`[{"role","content"}]`), written as
 * JSON text directly: each content string is quoted once per turn however many calls it goes
 * into.
 */
export function chatMessagesJson(messages: readonly MessageFacts[], quotes: QuotedStrings): string {
  let out = "[";
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const text = m.contentIsJson ? m.content.value : quotes.quote(m.content.value);
    out += `${i ? "," : ""}{"role":${JSON.stringify(m.role)},"content":${text}}`;
  }
  return `${out}]`;
}

/** The reply as the assistant message the official LangChain handler sends, as JSON text. */
export function assistantMessageJson(reply: ReplyFacts, quotes: QuotedStrings): string {
  const content = reply.contentIsJson ? reply.content.value : quotes.quote(reply.content.value);
  return reply.toolCallsJson
    ? `{"role":"assistant","content":${content},"tool_calls":${reply.toolCallsJson}}`
    : `{"role":"assistant","content":${content}}`;
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
  for (const [key, value] of Object.entries(usage.input_token_details ?? {})) {
    if (typeof value !== "number") continue;
    details[`input_${key}`] = value;
    if (input !== undefined) input = Math.max(0, input - value);
  }
  for (const [key, value] of Object.entries(usage.output_token_details ?? {})) {
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
