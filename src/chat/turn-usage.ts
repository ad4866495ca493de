import type { UsageMetadata } from "@langchain/core/messages";

/**
^ * Token usage of every model call of one turn (classifier and answer), summed. The graph adds
 * what each call reports; endpoints that promise usage to their clients (the OpenAI-compatible
 * one) read the sum. Calls whose model reports nothing add nothing.
 */
export class TurnUsage {
  inputTokens = 0;
  outputTokens = 0;

  add(usage: UsageMetadata | undefined): void {
    if (!usage) return;
    this.inputTokens += usage.input_tokens ?? 0;
    this.outputTokens += usage.output_tokens ?? 0;
  }

  get totalTokens(): number {
    return this.inputTokens + this.outputTokens;
  }
}
