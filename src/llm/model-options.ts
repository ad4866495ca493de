/**
 * Sampling and length parameters a client asked for, as LangChain call options of the answering
 * model (agent or clarify). Both providers read them: the OpenAI-compatible one sends them to its
 * endpoint, the simulated one honours the length limits. Absent fields keep the model's defaults.
 */
export interface ModelCallOptions {
  /** Most tokens the answer may have; the model stops there with finish reason "length". */
  maxTokens?: number;
  /** 0..2. */
  temperature?: number;
  /** 0..1. */
  topP?: number;
  /** Up to 4 sequences; the answer ends before the first one it would contain. */
  stop?: string[];
  /** -2..2. */
  presencePenalty?: number;
  /** -2..2. */
  frequencyPenalty?: number;
  seed?: number;
}

/** Why the answering model stopped, in OpenAI's chat-completions terms. */
export type FinishReason = "stop" | "length" | "content_filter";

/** What one turn asks of its answering model call, and where it hears back how that call ended. */
export interface ModelOptions {
  params: ModelCallOptions;
  /**
   * Called with the `finish_reason` of every message (or stream chunk) the answering call yields:
   * the provider's own value, or undefined for chunks without one. Map it with normalizeFinishReason.
   */
  onFinish?: (reason: unknown) => void;
}

/** A provider's finish reason in OpenAI's three values; anything unknown (tool_calls, eos) is a normal stop. */
export function normalizeFinishReason(reason: unknown): FinishReason {
  if (reason === "length" || reason === "max_tokens") return "length";
  if (reason === "content_filter") return "content_filter";
  return "stop";
}

/** ModelOptions that remember how the answering call finished, for endpoints that report it. */
export class RecordedModelOptions implements ModelOptions {
  /** "stop" until the model says otherwise. */
  finishReason: FinishReason = "stop";

  constructor(readonly params: ModelCallOptions) {}

  readonly onFinish = (reason: unknown): void => {
    if (reason !== undefined && reason !== null) this.finishReason = normalizeFinishReason(reason);
  };
}
