import { BaseChatModel, type BaseChatModelParams } from "@langchain/core/language_models/chat_models";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { AIMessage, AIMessageChunk, type BaseMessage, type UsageMetadata } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import type { AgentCatalog } from "../agents/catalog.js";
import { abortableDelay } from "./abortable-delay.js";
import { readCurrentIntent } from "./classifier-prompt.js";
import { classifyConversation } from "./keyword-classifier.js";
import { abortErrorFor } from "./model-errors.js";
import { identifySpeaker, writeReply } from "./simulated-replies.js";
import { estimateTokens, splitIntoTokens } from "./token-estimate.js";

export const DEFAULT_SIM_MODEL_NAME = "switchboard-sim";
export const DEFAULT_SIM_REPLY_TOKENS = 60;

export interface SimulatedChatModelOptions extends BaseChatModelParams {
  /** Agents and prompts the model recognises: keywords drive classification, names and prompts drive replies. */
  catalog: AgentCatalog;
  /** "classifier" answers classification JSON; "chat" answers as the agent (or clarify desk) of the system prompt. */
  role: "classifier" | "chat";
  /** Delay before the first token, ms (also added once to non-streamed answers). 0 = no timer. */
  ttftMs?: number;
  /** Delay per further token, ms. 0 = no timer, tokens come as fast as the CPU allows. */
  tokenMs?: number;
  /** Approximate reply length of the chat role, in estimated tokens. */
  replyTokens?: number;
  /** Reported as response_metadata.model_name and used by traces. */
  modelName?: string;
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
export class SimulatedChatModel extends BaseChatModel {
  readonly catalog: AgentCatalog;
  readonly role: "classifier" | "chat";
  readonly ttftMs: number;
  readonly tokenMs: number;
  readonly replyTokens: number;
  readonly modelName: string;

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
    return { ...super.getLsParams(options), ls_provider: "switchboard", ls_model_name: this.modelName };
  }

  /** The answer's full text, computed before any delay so timing never changes the words. */
  answerFor(messages: BaseMessage[]): string {
    const system = messages.find((m) => m.getType() === "system");
    const humanIndexes = messages.flatMap((m, i) => (m.getType() === "human" ? [i] : []));
    const latestIndex = humanIndexes.at(-1);
    const latest = latestIndex === undefined ? "" : textOf(messages[latestIndex]);
    if (this.role === "classifier") {
      const previousIndex = humanIndexes.at(-2);
      const lastAssistant = messages.slice(0, latestIndex).filter((m) => m.getType() === "ai").at(-1);
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

  private usageFor(messages: BaseMessage[], answer: string): UsageMetadata {
    const input = messages.reduce((sum, m) => sum + estimateTokens(textOf(m)), 0);
    const output = estimateTokens(answer);
    return { input_tokens: input, output_tokens: output, total_tokens: input + output };
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    const answer = this.answerFor(messages);
    const pieces = splitIntoTokens(answer).length;
    await abortableDelay(this.ttftMs + this.tokenMs * Math.max(0, pieces - 1), options.signal);
    const usage = this.usageFor(messages, answer);
    const message = new AIMessage({
      content: answer,
      usage_metadata: usage,
      response_metadata: { model_name: this.modelName, finish_reason: "stop" },
    });
    return {
      generations: [{ text: answer, message, generationInfo: { finish_reason: "stop" } }],
      llmOutput: { tokenUsage: { promptTokens: usage.input_tokens, completionTokens: usage.output_tokens, totalTokens: usage.total_tokens } },
    };
  }

  override async *_streamResponseChunks(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    const signal = options.signal;
    const answer = this.answerFor(messages);
    const pieces = splitIntoTokens(answer);
    await abortableDelay(this.ttftMs, signal);
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) await abortableDelay(this.tokenMs, signal);
      if (signal?.aborted) throw abortErrorFor(signal);
      const piece = pieces[i] ?? "";
      const chunk = new ChatGenerationChunk({ text: piece, message: new AIMessageChunk({ content: piece }) });
      yield chunk;
      await runManager?.handleLLMNewToken(piece, { prompt: 0, completion: 0 }, undefined, undefined, undefined, { chunk });
    }
    if (signal?.aborted) throw abortErrorFor(signal);
    // Providers send usage in a last, empty chunk (OpenAI's stream_options.include_usage); so does this model.
    yield new ChatGenerationChunk({
      text: "",
      message: new AIMessageChunk({
        content: "",
        usage_metadata: this.usageFor(messages, answer),
        response_metadata: { model_name: this.modelName, finish_reason: "stop" },
      }),
      generationInfo: { finish_reason: "stop" },
    });
  }
}
