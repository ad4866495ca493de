import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BaseChatModelParams,
} from "@langchain/core/language_models/chat_models";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { AIMessage, AIMessageChunk, type BaseMessage, type UsageMetadata } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import type { AgentCatalog } from "../agents/catalog.js";
import { abortableDelay, responseDelay } from "./abortable-delay.js";
import { readCurrentIntent } from "./classifier-prompt.js";
import { classifyConversation } from "./keyword-classifier.js";
import { abortErrorFor } from "./model-errors.js";
import type { FinishReason, ModelCallOptions } from "./model-options.js";
import { identifySpeaker, writeReply } from "./simulated-replies.js";
import { estimateTokens, splitIntoTokens, TokenCounts } from "./token-estimate.js";

export const DEFAULT_SIM_MODEL_NAME = "switchboard-sim";
export const DEFAULT_SIM_REPLY_TOKENS = 60;

export interface SimulatedChatModelOptions extends BaseChatModelParams {
  /** Agents and prompts the model recognises: keywords drive classification, names and prompts drive replies. */
  catalog: AgentCatalog;
  /** "classifier" answers classification JSON; "chat" answers as the agent (or clarify desk) of the system prompt. */
  role: "classifier" | "chat";
  /**
   * Delay before the first token, ms (also added once to non-streamed answers). 0 = no timer: the
   * answer still comes on the event loop's next turn, as a network endpoint's would.
   */
  ttftMs?: number;
  /** Delay per further token, ms. 0 = no timer, tokens come as fast as the CPU allows. */
  tokenMs?: number;
  /** Approximate reply length of the chat role, in estimated tokens. */
  replyTokens?: number;
  /** Reported as response_metadata.model_name and used by traces. */
  modelName?: string;
}

/** Call options: the client's parameters. Length limits are honoured; sampling ones are only reported (the answers are deterministic). */
export interface SimulatedCallOptions extends BaseChatModelCallOptions, Omit<ModelCallOptions, "stop"> {}

/** An answer cut to the caller's limits, and why it ended. */
interface LimitedAnswer {
  text: string;
  finishReason: FinishReason;
}

/**
 * Applies stop sequences and the token limit as an OpenAI model does: generation halts as soon as
 * a stop sequence is complete (so the one that ends first wins), and the answer ends just before
 * it; then the answer keeps its first `maxTokens` token pieces.
 */
export function limitAnswer(answer: string, options: { stop?: string[]; maxTokens?: number }): LimitedAnswer {
  let text = answer;
  let firstEnd = Infinity;
  for (const stop of options.stop ?? []) {
    const at = stop ? answer.indexOf(stop) : -1;
    if (at >= 0 && at + stop.length < firstEnd) {
      firstEnd = at + stop.length;
      text = answer.slice(0, at);
    }
  }
  if (options.maxTokens !== undefined) {
    const pieces = splitIntoTokens(text);
    if (pieces.length > options.maxTokens)
      return { text: pieces.slice(0, Math.max(0, options.maxTokens)).join(""), finishReason: "length" };
  }
  return { text, finishReason: "stop" };
}

function textOf(message: BaseMessage | undefined): string {
  if (!message) return "";
  if (typeof message.content === "string") return message.content;
  return message.content.map((part) => ("text" in part && typeof part.text === "string" ? part.text : "")).join("");
}

/**
 * A real LangChain chat model that answers deterministically without any network: runs,
 * callbacks, streaming, usage and aborts behave as with a provider, latency is configurable.
 * Used as the default provider, in tests and in benchmarks.
 */
export class SimulatedChatModel extends BaseChatModel<SimulatedCallOptions> {
  readonly catalog: AgentCatalog;
  readonly role: "classifier" | "chat";
  readonly ttftMs: number;
  readonly tokenMs: number;
  readonly replyTokens: number;
  readonly modelName: string;
  /** Input token counts of the texts seen (system prompts and history come back every turn). */
  readonly #inputTokens = new TokenCounts();

  static override lc_name(): string {
    return "SimulatedChatModel";
  }

  constructor(options: SimulatedChatModelOptions) {
    super(options);
    this.catalog = options.catalog;
    this.role = options.role;
    this.ttftMs = Math.max(0, options.ttftMs ?? 0);
    this.tokenMs = Math.max(0, options.tokenMs ?? 0);
    this.replyTokens = Math.max(1, options.replyTokens ?? DEFAULT_SIM_REPLY_TOKENS);
    this.modelName = options.modelName ?? DEFAULT_SIM_MODEL_NAME;
  }

  _llmType(): string {
    return "switchboard-simulated";
  }

  override getLsParams(options: this["ParsedCallOptions"]) {
    return {
      ...super.getLsParams(options),
      ls_provider: "switchboard",
      ls_model_name: this.modelName,
      ls_max_tokens: options.maxTokens,
      ls_temperature: options.temperature,
      ls_stop: options.stop,
    };
  }

  /** The parameters of a call, under OpenAI's names, as tracing callbacks read them (invocation_params). */
  override invocationParams(options?: this["ParsedCallOptions"]): Record<string, unknown> {
    const params: Record<string, unknown> = { model: this.modelName };
    if (options?.maxTokens !== undefined) params["max_tokens"] = options.maxTokens;
    if (options?.temperature !== undefined) params["temperature"] = options.temperature;
    if (options?.topP !== undefined) params["top_p"] = options.topP;
    if (options?.stop?.length) params["stop"] = options.stop;
    return params;
  }

  /** The answer's full text, computed before any delay so timing never changes the words. */
  answerFor(messages: BaseMessage[]): string {
    const system = messages.find((m) => m.getType() === "system");
    const humanIndexes = messages.flatMap((m, i) => (m.getType() === "human" ? [i] : []));
    const latestIndex = humanIndexes.at(-1);
    const latest = latestIndex === undefined ? "" : textOf(messages[latestIndex]);
    if (this.role === "classifier") {
      const previousIndex = humanIndexes.at(-2);
      const lastAssistant = messages
        .slice(0, latestIndex)
        .filter((m) => m.getType() === "ai")
        .at(-1);
      const classification = classifyConversation(this.catalog, {
        message: latest,
        currentIntent: readCurrentIntent(textOf(system)),
        previousUserMessage: previousIndex === undefined ? undefined : textOf(messages[previousIndex]),
        lastAssistantMessage: lastAssistant ? textOf(lastAssistant) : undefined,
      });
      return JSON.stringify(classification);
    }
    const speaker = identifySpeaker(this.catalog, textOf(system));
    return writeReply({ speaker, catalog: this.catalog, message: latest, replyTokens: this.replyTokens });
  }

  #usageFor(messages: BaseMessage[], outputTokens: number): UsageMetadata {
    let input = 0;
    for (const m of messages) input += this.#inputTokens.of(textOf(m));
    return { input_tokens: input, output_tokens: outputTokens, total_tokens: input + outputTokens };
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    const { text: answer, finishReason } = limitAnswer(this.answerFor(messages), options);
    const outputTokens = estimateTokens(answer);
    await responseDelay(this.ttftMs + this.tokenMs * Math.max(0, outputTokens - 1), options.signal);
    const usage = this.#usageFor(messages, outputTokens);
    const message = new AIMessage({
      content: answer,
      usage_metadata: usage,
      response_metadata: { model_name: this.modelName, finish_reason: finishReason },
    });
    return {
      generations: [{ text: answer, message, generationInfo: { finish_reason: finishReason } }],
      llmOutput: {
        tokenUsage: {
          promptTokens: usage.input_tokens,
          completionTokens: usage.output_tokens,
          totalTokens: usage.total_tokens,
        },
      },
    };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const signal = options.signal;
    const { text: answer, finishReason } = limitAnswer(this.answerFor(messages), options);
    const pieces = splitIntoTokens(answer);
    await responseDelay(this.ttftMs, signal);
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) await abortableDelay(this.tokenMs, signal);
      if (signal?.aborted) throw abortErrorFor(signal);
      const piece = pieces[i] ?? "";
      const chunk = new ChatGenerationChunk({ text: piece, message: new AIMessageChunk({ content: piece }) });
      yield chunk;
      await runManager?.handleLLMNewToken(piece, { prompt: 0, completion: 0 }, undefined, undefined, undefined, {
        chunk,
      });
    }
    if (signal?.aborted) throw abortErrorFor(signal);
    // Providers send usage in a last, empty chunk (OpenAI's stream_options.include_usage); so does this model.
    yield new ChatGenerationChunk({
      text: "",
      message: new AIMessageChunk({
        content: "",
        usage_metadata: this.#usageFor(messages, pieces.length),
        response_metadata: { model_name: this.modelName, finish_reason: finishReason },
      }),
      generationInfo: { finish_reason: finishReason },
    });
  }
}
