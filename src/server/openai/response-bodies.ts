// The Response object of the OpenAI Responses API and its streamed events, in the shapes the
// official `openai` client's types, its ResponseStream accumulator and the Vercel AI SDK's
// parser read: one assistant message item with one output_text part.
import { randomBytes } from "node:crypto";
import type { TurnReply } from "../../chat/chat-service.js";
import type { TurnUsage } from "../../chat/turn-usage.js";
import type { FinishReason } from "../../llm/model-options.js";
import { switchboardFields } from "./chat-completion-bodies.js";
import type { ResponseSettings } from "./responses-request.js";
import { ROUTER_MODEL_ID } from "./router-model.js";

/** `resp_` + 32 hex: 128 random bits, so ids cannot be guessed (a response id is a capability within its API key). */
export function newResponseId(): string {
  return `resp_${randomBytes(16).toString("hex")}`;
}

type Status = "in_progress" | "completed" | "incomplete" | "failed";

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

function usageOf(usage: TurnUsage): ResponseUsage {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.totalTokens,
  };
}

function outputText(text: string) {
  return { type: "output_text" as const, text, annotations: [] as unknown[], logprobs: [] as unknown[] };
}

/** Builds the Response object and the message item of one response, at each stage of its life. */
export class ResponseBuilder {
  readonly itemId = `msg_${randomBytes(16).toString("hex")}`;

  readonly #settings: ResponseSettings;

  constructor(
    readonly id: string,
    readonly createdAt: number,
    settings: ResponseSettings,
  ) {
    this.#settings = settings;
  }

  message(text: string, status: "in_progress" | "completed" | "incomplete") {
    return {
      id: this.itemId,
      type: "message" as const,
      status,
      role: "assistant" as const,
      content: status === "in_progress" && text === "" ? [] : [outputText(text)],
    };
  }

  part(text: string) {
    return outputText(text);
  }

  #body(
    status: Status,
    output: unknown[],
    usage: ResponseUsage | null,
    extra: { error?: unknown; incomplete?: FinishReason; completedAt?: number } = {},
  ) {
    const s = this.#settings;
    return {
      id: this.id,
      object: "response" as const,
      created_at: this.createdAt,
      status,
      background: false,
      completed_at: extra.completedAt ?? null,
      error: extra.error ?? null,
      incomplete_details: extra.incomplete
        ? { reason: extra.incomplete === "length" ? "max_output_tokens" : "content_filter" }
        : null,
      instructions: s.instructions,
      max_output_tokens: s.max_output_tokens,
      model: ROUTER_MODEL_ID,
      output,
      parallel_tool_calls: true,
      previous_response_id: s.previous_response_id,
      reasoning: { effort: null, summary: null },
      service_tier: "default",
      store: s.store,
      temperature: s.temperature,
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: [],
      top_p: s.top_p,
      truncation: "disabled",
      usage,
      user: s.user,
      metadata: s.metadata,
    };
  }

  /** The response while the turn runs (response.created, response.in_progress). */
  inProgress() {
    return this.#body("in_progress", [], null);
  }

  /** The finished response: "completed", or "incomplete" when the answer hit max_output_tokens (or a content filter). */
  finished(reply: TurnReply, usage: TurnUsage, finishReason: FinishReason) {
    const incomplete = finishReason === "stop" ? undefined : finishReason;
    const status = incomplete ? "incomplete" : "completed";
    return {
      ...this.#body(status, [this.message(reply.reply, status)], usageOf(usage), {
        incomplete,
        completedAt: Math.floor(Date.now() / 1000),
      }),
      switchboard: switchboardFields(reply),
    };
  }

  /** The response after a mid-stream failure, with what was streamed so far. */
  failed(streamed: string, error: { code: string; message: string }, usage: TurnUsage) {
    return this.#body("failed", streamed ? [this.message(streamed, "incomplete")] : [], usageOf(usage), { error });
  }
}

/** Numbers the events of one stream (sequence_number), as OpenAI does from 0. */
export class ResponseEventSequence {
  #next = 0;

  event<T extends Record<string, unknown>>(type: string, fields: T) {
    return { type, sequence_number: this.#next++, ...fields };
  }
}
