// The response bodies of the OpenAI-compatible endpoint: chat.completion, its streamed
// chat.completion.chunk events, and the model list, in the shapes OpenAI's API documents.
import type { TurnReply } from "../chat/chat-service.js";
import type { TurnUsage } from "../graph/turn-usage.js";
import { ROUTER_MODEL_ID } from "./openai-request.js";

/** Seconds since the epoch, as OpenAI's `created` fields are. */
export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageOf(usage: TurnUsage): CompletionUsage {
  return { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.totalTokens };
}

/**
 * Switchboard's facts about the turn, as an extra top-level field: OpenAI clients keep unknown
 * fields, so a client that knows about it can read the routing and the trace link.
 */
export function switchboardFields(reply: TurnReply) {
  return {
    session_id: reply.session_id,
    intent: reply.intent,
    agent: reply.agent,
    clarification: reply.clarification,
    trace_id: reply.trace_id,
    trace_url: reply.trace_url,
  };
}

export function chatCompletion(id: string, created: number, reply: TurnReply, usage: TurnUsage) {
  return {
    id,
    object: "chat.completion" as const,
    created,
    model: ROUTER_MODEL_ID,
    system_fingerprint: null,
    choices: [{ index: 0, message: { role: "assistant" as const, content: reply.reply, refusal: null }, logprobs: null, finish_reason: "stop" as const }],
    usage: usageOf(usage),
    switchboard: switchboardFields(reply),
  };
}

/** Builds the chunks of one streamed completion; all share its id and creation time. */
export class ChunkWriter {
  constructor(
    private readonly id: string,
    private readonly created: number,
    /** With stream_options.include_usage, every chunk has `usage: null` but the last, as OpenAI does. */
    private readonly includeUsage: boolean,
  ) {}

  private chunk(choices: unknown[], extra: Record<string, unknown> = {}) {
    return {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: ROUTER_MODEL_ID,
      system_fingerprint: null,
      choices,
      ...(this.includeUsage ? { usage: null } : {}),
      ...extra,
    };
  }

  delta(delta: { role?: "assistant"; content?: string }) {
    return this.chunk([{ index: 0, delta, logprobs: null, finish_reason: null }]);
  }

  finish(reply: TurnReply) {
    return this.chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }], { switchboard: switchboardFields(reply) });
  }

  usage(usage: TurnUsage) {
    return this.chunk([], { usage: usageOf(usage) });
  }
}

export function modelEntry() {
  // A fixed creation time: the router "model" is as old as this API, and clients cache lists.
  return { id: ROUTER_MODEL_ID, object: "model" as const, created: 1_767_225_600, owned_by: "switchboard" };
}
