import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";

/**
 * A real LangChain chat model (goes through CallbackManager like any provider) that answers a
 * fixed reply with usage_metadata and a model name, so the official handler emits a generation
 * with model and usage. FakeListChatModel reports no usage, hence this one.
 */
export class UsageChatModel extends BaseChatModel {
  readonly #reply: string;
  readonly #delayMs: number;

  constructor(reply: string, delayMs = 0) {
    super({});
    this.#reply = reply;
    this.#delayMs = delayMs;
  }

  _llmType(): string {
    return "usage-test";
  }

  async _generate(
    _messages: BaseMessage[],
    _options: this["ParsedCallOptions"],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    if (this.#delayMs > 0) await new Promise((r) => setTimeout(r, this.#delayMs));
    const message = new AIMessage({
      content: this.#reply,
      usage_metadata: { input_tokens: 12, output_tokens: 5, total_tokens: 17 },
      response_metadata: { model_name: "usage-test-model" },
    });
    return { generations: [{ text: this.#reply, message }] };
  }
}
