import { AIMessage, isBaseMessage, type BaseMessage } from "@langchain/core/messages";
import { Runnable, type RunnableConfig } from "@langchain/core/runnables";
import type { AgentCatalog } from "../agents/catalog.js";
import { buildClassifierMessages, parseClassification } from "./classifier-prompt.js";
import type { ClassifierInput, ClassifierResult } from "./model-provider.js";

/** What a classifier model call returns: the raw message, and what a structured-output parser made of it (if any). */
export interface ClassifierModelOutput {
  raw: BaseMessage;
  parsed?: unknown;
}

/** The model call of a classifier: a chat model (bound to `nostream`) answering a message, or a `withStructuredOutput(..., { includeRaw: true })` pipeline. */
export type ClassifierModel = Runnable<BaseMessage[], BaseMessage | ClassifierModelOutput>;

/** The text a model put its JSON in: the first tool call's arguments (function calling) or the content. */
function rawPayload(raw: BaseMessage): unknown {
  if (raw instanceof AIMessage || raw.getType() === "ai") {
    const ai = raw as AIMessage;
    const call = ai.tool_calls?.[0];
    if (call) return call.args;
    const invalid = ai.invalid_tool_calls?.[0];
    if (invalid?.args) return invalid.args;
  }
  return typeof raw.content === "string"
    ? raw.content
    : raw.content.map((part) => ("text" in part ? part.text : "")).join("");
}

/**
 * Prompt -> model -> Classification. It opens no run of its own (it is not a chain): the model
 * call is the only run it adds, so a trace shows the classifier generation directly under the
 * graph node that invoked it. Parsing never throws: unreadable output gives `parsed: null`.
 */
export class ClassifierRunnable extends Runnable<ClassifierInput, ClassifierResult> {
  lc_namespace = ["switchboard", "llm"];

  readonly #catalog: AgentCatalog;
  readonly #model: ClassifierModel;

  constructor(catalog: AgentCatalog, model: ClassifierModel) {
    super();
    this.#catalog = catalog;
    this.#model = model;
  }

  async invoke(input: ClassifierInput, options?: Partial<RunnableConfig>): Promise<ClassifierResult> {
    return this.classify(this.messagesFor(input), options);
  }

  /**
   * The messages the model is sent for `input` (callers that record the call read them first),
   * with the instructions compiled from `template` (a Langfuse prompt version) when given.
   */
  messagesFor(input: ClassifierInput, template?: string): BaseMessage[] {
    return buildClassifierMessages(this.#catalog, input, template);
  }

  /** Sends `messages` (from messagesFor) and reads the classification out of the answer. */
  async classify(messages: BaseMessage[], options?: Partial<RunnableConfig>): Promise<ClassifierResult> {
    const answer = await this.#model.invoke(messages, options);
    const output: ClassifierModelOutput = isBaseMessage(answer) ? { raw: answer } : answer;
    const parsed =
      parseClassification(output.parsed, this.#catalog) ?? parseClassification(rawPayload(output.raw), this.#catalog);
    return { raw: output.raw, parsed };
  }
}
