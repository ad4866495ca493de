import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { BaseMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import type { Serialized } from "@langchain/core/load/serializable";
import type { SwitchboardPipeline } from "./switchboard-pipeline.js";
import { nowMs } from "./otlp-time.js";

interface OpenGeneration {
  spanId: string;
  name: string;
  startMs: number;
  model: string | undefined;
  input: unknown;
  completionStartMs: number | undefined;
}

/**
 * Turns the LangChain model calls of one node into Langfuse generations under that node. Only
 * LLM runs are handled (chains, parsers and graph internals are ignored, so no framework noise
 * reaches the trace), and the handler runs inline (`awaitHandlers`): LangChain's background
 * callback queue is global with concurrency 1 and would serialize every request's tracing.
 */
export class GenerationHandler extends BaseCallbackHandler {
  name = "switchboard_generation_handler";
  override awaitHandlers = true;
  override ignoreChain = true;
  override ignoreAgent = true;
  override ignoreRetriever = true;
  readonly #open = new Map<string, OpenGeneration>();

  constructor(
    private readonly pipeline: SwitchboardPipeline,
    private readonly traceId: string,
    private readonly parentSpanId: string,
  ) {
    super();
  }

  override handleChatModelStart(llm: Serialized, messages: BaseMessage[][], runId: string, _parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>, runName?: string): void {
    this.#start(llm, runId, messages[0] ?? [], extraParams, metadata, runName);
  }

  override handleLLMStart(llm: Serialized, prompts: string[], runId: string, _parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>, runName?: string): void {
    this.#start(llm, runId, prompts.length === 1 ? prompts[0] : prompts, extraParams, metadata, runName);
  }

  override handleLLMNewToken(_token: string, _idx: unknown, runId: string): void {
    const gen = this.#open.get(runId);
    if (gen && gen.completionStartMs === undefined) gen.completionStartMs = nowMs();
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    const gen = this.#open.get(runId);
    if (!gen) return;
    this.#open.delete(runId);
    try {
      const first = output.generations[0]?.[0] as { text?: string; message?: BaseMessage } | undefined;
      const message = first?.message as (BaseMessage & { usage_metadata?: { input_tokens?: number; output_tokens?: number; total_tokens?: number } }) | undefined;
      const usage = message?.usage_metadata;
      const model = ((message?.response_metadata as Record<string, unknown> | undefined)?.["model_name"] as string | undefined) ?? (output.llmOutput?.["model_name"] as string | undefined) ?? gen.model;
      this.pipeline.emitGeneration({
        traceId: this.traceId,
        spanId: gen.spanId,
        parentSpanId: this.parentSpanId,
        name: gen.name,
        startMs: gen.startMs,
        endMs: nowMs(),
        model,
        input: gen.input,
        output: message ? messageOutput(message) : first?.text,
        usage: usage ? { input: usage.input_tokens ?? 0, output: usage.output_tokens ?? 0, total: usage.total_tokens ?? 0 } : undefined,
        completionStartMs: gen.completionStartMs,
      });
    } catch (err) {
      this.pipeline.faults.report("generation_end", err);
    }
  }

  override handleLLMError(err: unknown, runId: string): void {
    const gen = this.#open.get(runId);
    if (!gen) return;
    this.#open.delete(runId);
    try {
      this.pipeline.emitGeneration({
        traceId: this.traceId,
        spanId: gen.spanId,
        parentSpanId: this.parentSpanId,
        name: gen.name,
        startMs: gen.startMs,
        endMs: nowMs(),
        model: gen.model,
        input: gen.input,
        output: undefined,
        usage: undefined,
        completionStartMs: gen.completionStartMs,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
    } catch (e) {
      this.pipeline.faults.report("generation_error", e);
    }
  }

  #start(llm: Serialized, runId: string, input: unknown, extraParams: Record<string, unknown> | undefined, metadata: Record<string, unknown> | undefined, runName: string | undefined): void {
    try {
      const invocation = extraParams?.["invocation_params"] as Record<string, unknown> | undefined;
      const model = (invocation?.["model"] as string | undefined) ?? (invocation?.["model_name"] as string | undefined) ?? (metadata?.["ls_model_name"] as string | undefined);
      this.#open.set(runId, {
        spanId: this.pipeline.newSpanId(),
        name: runName ?? llm.id?.[llm.id.length - 1] ?? "llm",
        startMs: nowMs(),
        model,
        input: Array.isArray(input) && input.length && typeof input[0] === "object" ? (input as BaseMessage[]).map((m) => this.#messageInput(m)) : input,
        completionStartMs: undefined,
      });
      this.pipeline.metrics.observationsCreated.inc({ type: "generation" });
    } catch (err) {
      this.pipeline.faults.report("generation_start", err);
    }
  }

  /** The chat-message shape Langfuse renders, not LangChain's serialization envelope; long contents pre-cut. */
  #messageInput(message: BaseMessage): { role: string; content: unknown } {
    const content = message.content;
    return { role: ROLES[message.type] ?? message.type, content: typeof content === "string" ? this.pipeline.serializer.capText(content) : content };
  }
}

const ROLES: Record<string, string> = { human: "user", ai: "assistant", system: "system", tool: "tool", function: "function" };

function messageOutput(message: BaseMessage): unknown {
  const toolCalls = (message as { tool_calls?: unknown[] }).tool_calls;
  if (toolCalls && toolCalls.length) return { role: "assistant", content: message.content, tool_calls: toolCalls };
  return message.content;
}
