import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { ChatModelStreamEvent } from "@langchain/core/language_models/event";
import type { BaseMessage } from "@langchain/core/messages";
import type { ChatGenerationChunk, ChatResult } from "@langchain/core/outputs";
import { ChatOpenAICompletions, OpenAIClient, wrapOpenAIClientError } from "@langchain/openai";
import { toProviderError } from "./model-errors.js";
import type { ModelCallOptions } from "./model-options.js";

type CreateParams = OpenAIClient.Chat.ChatCompletionCreateParams;
type StreamingParams = OpenAIClient.Chat.ChatCompletionCreateParamsStreaming;
type NonStreamingParams = OpenAIClient.Chat.ChatCompletionCreateParamsNonStreaming;

/**
 * The Chat Completions half of ChatOpenAI with three changes, handed to ChatOpenAI through its
 * documented `completions` field (which survives `withConfig`/`withStructuredOutput`, unlike a
 * ChatOpenAI subclass):
 * - the call options of ModelCallOptions (a client's max tokens, temperature, top_p, penalties)
 *   reach the request; ChatOpenAI itself only takes them as constructor fields, and one model
 *   instance serves every turn;
 * - provider failures (HTTP errors, timeouts, refused connections) become ModelUnavailableError,
 *   a caller's abort stays an AbortError;
 * - `json_schema` answers are fetched with `create`, not the SDK's `parse`: `parse` JSON.parses
 *   the content inside the HTTP call, so one malformed classifier answer would surface as a
 *   (retried) transport error instead of reaching our tolerant parser.
 */
export class ProviderChatCompletions extends ChatOpenAICompletions {
  override invocationParams(
    options?: this["ParsedCallOptions"],
    extra?: { streaming?: boolean },
  ): ReturnType<ChatOpenAICompletions["invocationParams"]> {
    const params = super.invocationParams(options, extra);
    const asked = (options ?? {}) as ModelCallOptions;
    if (asked.maxTokens !== undefined) {
      // The parent picks the field by model (max_completion_tokens for reasoning models); keep its choice.
      if ("max_completion_tokens" in params) params.max_completion_tokens = asked.maxTokens;
      else params.max_tokens = asked.maxTokens;
    }
    if (asked.temperature !== undefined) params.temperature = asked.temperature;
    if (asked.topP !== undefined) params.top_p = asked.topP;
    if (asked.presencePenalty !== undefined) params.presence_penalty = asked.presencePenalty;
    if (asked.frequencyPenalty !== undefined) params.frequency_penalty = asked.frequencyPenalty;
    return params;
  }

  override async _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    try {
      return await super._generate(messages, options, runManager);
    } catch (err) {
      throw toProviderError(err, options.signal, `model ${this.model}`);
    }
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    try {
      yield* super._streamResponseChunks(messages, options, runManager);
    } catch (err) {
      throw toProviderError(err, options.signal, `model ${this.model}`);
    }
  }

  override async *_streamChatModelEvents(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatModelStreamEvent> {
    try {
      yield* super._streamChatModelEvents(messages, options, runManager);
    } catch (err) {
      throw toProviderError(err, options.signal, `model ${this.model}`);
    }
  }

  override completionWithRetry(
    request: StreamingParams,
    requestOptions?: OpenAIClient.RequestOptions,
  ): Promise<AsyncIterable<OpenAIClient.Chat.Completions.ChatCompletionChunk>>;
  override completionWithRetry(
    request: NonStreamingParams,
    requestOptions?: OpenAIClient.RequestOptions,
  ): Promise<OpenAIClient.Chat.Completions.ChatCompletion>;
  override completionWithRetry(request: CreateParams, requestOptions?: OpenAIClient.RequestOptions): Promise<unknown> {
    if (request.stream || request.response_format?.type !== "json_schema") {
      return super.completionWithRetry(request as NonStreamingParams, requestOptions);
    }
    // Same as the parent's non-streaming path, minus `parse`.
    const { maxRetries, ...sdkOptions } = requestOptions ?? {};
    const clientOptions = this._getClientOptions(sdkOptions);
    return this.caller.callWithOptions({ maxRetries }, async () => {
      try {
        return await this.client.chat.completions.create(request as NonStreamingParams, clientOptions);
      } catch (err) {
        throw wrapOpenAIClientError(err);
      }
    });
  }
}
