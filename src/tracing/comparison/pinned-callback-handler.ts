import { CallbackHandler } from "@langfuse/langchain";
import type { Context } from "@opentelemetry/api";
import { context } from "@opentelemetry/api";

export interface PinnedCallbackHandlerParams {
  /** The official handler's own parameters (userId, sessionId, tags ...), as its docs show. */
  handlerParams?: ConstructorParameters<typeof CallbackHandler>[0];
  /** The OTel context whose active span (node span, or root) becomes the parent of root runs. */
  parentContext: Context;
  /** Called once per LLM/chat-model run, i.e. per generation the handler creates. */
  onGeneration: () => void;
  /** Called when our wrapper itself fails; the official handler swallows its own errors. */
  onFault: (where: string, err: unknown) => void;
}

/**
 * The official Langfuse CallbackHandler, with every run-start pinned to the context it was built
 * for.
 *
 * Why: the handler parents root runs on `context.active()` at the moment the handler runs. By
 * default LangChain JS runs handlers in the background, through ONE global p-queue with
 * concurrency 1 (LANGCHAIN_CALLBACKS_BACKGROUND unset). A job that waits in that queue runs
 * later, from whatever async context finished the previous job, so under concurrent turns a
 * generation can land in another turn's node or become a trace of its own. Running the start
 * methods inside the context captured at construction gives the parent the SDK's docs intend
 * (the observation the model was invoked in) regardless of queueing. Nothing else changes: same
 * attributes, same span processor, same export.
 *
 * Field names mirror the params so LangChain's `copy()` (`new this.constructor(this)`) still works.
 */
export class PinnedCallbackHandler extends CallbackHandler {
  readonly parentContext: Context;
  readonly onGeneration: () => void;
  readonly onFault: (where: string, err: unknown) => void;

  constructor(params: PinnedCallbackHandlerParams) {
    super(params.handlerParams);
    this.parentContext = params.parentContext;
    this.onGeneration = params.onGeneration;
    this.onFault = params.onFault;
  }

  #pinned(where: string, start: () => Promise<void>): Promise<void> {
    try {
      return context.with(this.parentContext, start);
    } catch (err) {
      this.onFault(where, err);
      return Promise.resolve();
    }
  }

  override handleChatModelStart(...args: Parameters<CallbackHandler["handleChatModelStart"]>): Promise<void> {
    this.#count();
    return this.#pinned("sdk_handler_chat_model_start", () => super.handleChatModelStart(...args));
  }

  override handleLLMStart(...args: Parameters<CallbackHandler["handleLLMStart"]>): Promise<void> {
    this.#count();
    return this.#pinned("sdk_handler_llm_start", () => super.handleLLMStart(...args));
  }

  override handleChainStart(...args: Parameters<CallbackHandler["handleChainStart"]>): Promise<void> {
    return this.#pinned("sdk_handler_chain_start", () => super.handleChainStart(...args));
  }

  override handleToolStart(...args: Parameters<CallbackHandler["handleToolStart"]>): Promise<void> {
    return this.#pinned("sdk_handler_tool_start", () => super.handleToolStart(...args));
  }

  override handleRetrieverStart(...args: Parameters<CallbackHandler["handleRetrieverStart"]>): Promise<void> {
    return this.#pinned("sdk_handler_retriever_start", () => super.handleRetrieverStart(...args));
  }

  override handleAgentAction(...args: Parameters<CallbackHandler["handleAgentAction"]>): Promise<void> {
    return this.#pinned("sdk_handler_agent_action", () => super.handleAgentAction(...args));
  }

  #count(): void {
    try {
      this.onGeneration();
    } catch (err) {
      this.onFault("sdk_handler_metrics", err);
    }
  }
}
