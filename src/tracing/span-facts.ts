// What the request path records of an observation: plain data (strings and numbers only), so it
// can be handed to the export worker as it is. Turning it into Langfuse's attributes and the
// wire format (quoting, masking, capping, encoding) happens after, in the worker.
import type { Outcome } from "./trace-contract.js";

/** The turn an observation belongs to: its trace context. One object per turn, shared by its observations. */
export interface TurnFacts {
  traceId: string;
  userId: string;
  sessionId: string;
  /** Which endpoint served the turn: the trace tag `endpoint:<x>`. */
  endpoint: string;
  tenant?: string;
}

/** The router's decision, once made: trace metadata on the observations that end after it. */
export interface RoutingFacts {
  intent: string | null;
  agent: string | null;
}

interface ObservationFacts {
  turn: TurnFacts;
  spanId: string;
  name: string;
  startMs: number;
  endMs: number;
  routing?: RoutingFacts;
  outcome: Outcome;
}

/**
 * A long text of the turn (the user's message, a reply, a prompt), clipped (clipForField) a
 * little past the field cap: a long value costs a slice, not a copy. A turn makes one Text per
 * distinct string, and its observations share it: handed to the worker together, a Text is
 * copied once however many observations carry it (the user's message is the root's input and
 * both model calls' input).
 */
export interface Text {
  readonly value: string;
  /** The length before clipping, for the cut marker. */
  readonly chars: number;
}

export interface RootFacts extends ObservationFacts {
  kind: "root";
  /** The user's message. */
  input: Text;
  /** The reply; absent when the turn failed. */
  output?: Text;
}

export interface NodeFacts extends ObservationFacts {
  kind: "node";
  parentId: string;
  /** The node's input as JSON text. */
  input: string;
  /** Metadata values as text (JSON for anything but strings). */
  metadata?: Record<string, string>;
}

/** One chat message: content as text, or as JSON text for structured contents (images, parts). */
export interface MessageFacts {
  role: string;
  content: Text;
  contentIsJson?: boolean;
}

export interface ReplyFacts {
  content: Text;
  contentIsJson?: boolean;
  /** tool_calls as JSON text, when the model made any. */
  toolCallsJson?: string;
  /** Langfuse usage details as JSON text (see usageDetails). */
  usageJson?: string;
  /** The model that answered, when the reply says. */
  model?: string;
}

export interface GenerationFacts extends ObservationFacts {
  kind: "generation";
  parentId: string;
  /** The model the call was configured with (the reply's own model name wins when it has one). */
  model?: string;
  /** Model parameters as JSON text, when any are set. */
  parametersJson?: string;
  messages: MessageFacts[];
  /** Undefined when the call failed. */
  reply?: ReplyFacts;
  completionStartMs?: number;
}

export type SpanFacts = RootFacts | NodeFacts | GenerationFacts;

/** Fixed overhead counted per observation on top of its texts (ids, names, times). */
const OBSERVATION_OVERHEAD = 256;

/**
 * About how much memory an observation's facts hold, in UTF-16 code units of its texts plus a
 * fixed overhead: what the bound on facts not yet taken by the export worker counts. A Text
 * shared by several observations is counted with the first (`counted` remembers which were).
 */
export function factsSize(f: SpanFacts, counted: WeakSet<Text>): number {
  let n = OBSERVATION_OVERHEAD + (f.outcome.message?.length ?? 0);
  switch (f.kind) {
    case "root":
      return n + textSize(f.input, counted) + (f.output ? textSize(f.output, counted) : 0);
    case "node":
      n += f.input.length;
      if (f.metadata) for (const key in f.metadata) n += key.length + f.metadata[key]!.length;
      return n;
    case "generation":
      for (const m of f.messages) n += textSize(m.content, counted) + 16;
      if (f.reply)
        n +=
          textSize(f.reply.content, counted) + (f.reply.toolCallsJson?.length ?? 0) + (f.reply.usageJson?.length ?? 0);
      return n + (f.parametersJson?.length ?? 0);
  }
}

function textSize(text: Text, counted: WeakSet<Text>): number {
  if (counted.has(text)) return 0;
  counted.add(text);
  return text.value.length;
}
