import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { ChatModelStreamEvent } from "@langchain/core/language_models/event";
import type { BaseMessage } from "@langchain/core/messages";
import type { ChatGenerationChunk, ChatResult } from "@langchain/core/outputs";
import { ChatOpenAICompletions, OpenAIClient, wrapOpenAIClientError } from "@langchain/openai";
import { toProviderError } from "./model-errors.js";

type CreateParams = OpenAIClient.Chat.ChatCompletionCreateParams;
type StreamingParams = OpenAIClient.Chat.ChatCompletionCreateParamsStreaming;
type NonStreamingParams = OpenAIClient.Chat.ChatCompletionCreateParamsNonStreaming;

/**
 * The Chat Completions half of ChatOpenAI with two changes, handed to ChatOpenAI through its
 * documented `completions` field (which survives `withConfig`/`withStructuredOutput`, unlike a
 * ChatOpenAI subclass):
 * - provider failures (HTTP errors, timeouts, refused connections) become ModelUnavailableError,
 *   a caller's abort stays an AbortError;
 * - `json_schema` answers are fetched with `create`, not the SDK's `parse`: `parse` JSON.parses
 *   the content inside the HTTP call, so one malformed classifier answer would surface as a
 *   (retried) transport error instead of reaching our tolerant parser.
 */
export class ProviderChatCompletions extends ChatOpenAICompletions {
  override async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    try {
      return await super._generate(messages, options, runManager);
    } catch (err) {
      throw toProviderError(err, options.signal, `model ${this.model}`);
    }
  }

  override async *_streamResponseChunks(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    try {
      yield* super._streamResponseChunks(messages, options, runManager);
    } catch (err) {
      throw toProviderError(err, options.signal, `model ${this.model}`);
    }
  }

  override async *_streamChatModelEvents(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatModelStreamEvent> {
    try {
      yield* super._streamChatModelEvents(messages, options, runManager);
    } catch (err) {
      throw toProviderError(err, options.signal, `model ${this.model}`);
    }
  }

  override completionWithRetry(request: StreamingParams, requestOptions?: OpenAIClient.RequestOptions): Promise<AsyncIterable<OpenAIClient.Chat.Completions.ChatCompletionChunk>>;
  override completionWithRetry(request: NonStreamingParams, requestOptions?: OpenAIClient.RequestOptions): Promise<OpenAIClient.Chat.Completions.ChatCompletion>;
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
