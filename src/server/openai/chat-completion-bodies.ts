// The response bodies of POST /v1/chat/completions: chat.completion and its streamed
// chat.completion.chunk events, in the shapes OpenAI's API documents.
import type { TurnReply } from "../../chat/chat-service.js";
import type { TurnUsage } from "../../chat/turn-usage.js";
import type { FinishReason } from "../../llm/model-options.js";
import { ROUTER_MODEL_ID } from "./router-model.js";

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

export function chatCompletion(
  id: string,
  created: number,
  reply: TurnReply,
  usage: TurnUsage,
  finishReason: FinishReason,
) {
  return {
    id,
    object: "chat.completion" as const,
    created,
    model: ROUTER_MODEL_ID,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: { role: "assistant" as const, content: reply.reply, refusal: null },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage: usageOf(usage),
    switchboard: switchboardFields(reply),
  };
}

/** Builds the chunks of one streamed completion; all share its id and creation time. */
export class ChunkWriter {
  readonly #id: string;
  readonly #created: number;
  /** With stream_options.include_usage, every chunk has `usage: null` but the last, as OpenAI does. */
  readonly #includeUsage: boolean;

  constructor(id: string, created: number, includeUsage: boolean) {
    this.#id = id;
    this.#created = created;
    this.#includeUsage = includeUsage;
  }

  #chunk(choices: unknown[], extra: Record<string, unknown> = {}) {
    return {
      id: this.#id,
      object: "chat.completion.chunk",
      created: this.#created,
      model: ROUTER_MODEL_ID,
      system_fingerprint: null,
      choices,
      ...(this.#includeUsage ? { usage: null } : {}),
      ...extra,
    };
  }

  delta(delta: { role?: "assistant"; content?: string }) {
    return this.#chunk([{ index: 0, delta, logprobs: null, finish_reason: null }]);
  }

  finish(reply: TurnReply, finishReason: FinishReason) {
    return this.#chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }], {
      switchboard: switchboardFields(reply),
    });
  }

  usage(usage: TurnUsage) {
    return this.#chunk([], { usage: usageOf(usage) });
  }
}
