import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { ClassifierRunnable } from "./classifier-runnable.js";

/** What the classifier decided for the latest user message. */
export interface Classification {
  /** One of the catalog's intents, or null when none fits. */
  intent: string | null;
  /** 0..1; below CLARIFY_THRESHOLD the router asks a clarifying question. */
  confidence: number;
}

/** The classifier's answer: `parsed` is null when the model's output could not be read as a Classification. */
export interface ClassifierResult {
  raw: BaseMessage;
  parsed: Classification | null;
}

/** Input of the classifier: the router builds it, the provider turns it into model messages. */
export interface ClassifierInput {
  /** Earlier turns of the session, oldest first (already trimmed to what the classifier should see). */
  history: BaseMessage[];
  /** The latest user message. */
  message: string;
  /** The intent of the agent currently holding the conversation, if any. */
  currentIntent: string | null;
}

/** The models the graph uses. One LangChain chat model answers (agents, clarify); the classifier is a runnable around a model. */
export interface ModelProvider {
  /** Chat model for agent replies and clarifying questions; supports streaming and usage_metadata. */
  chatModel: BaseChatModel;
  /** Classifies one message; its inner model call is a normal LangChain LLM run (visible to callbacks), tagged `nostream`. */
  classifier: ClassifierRunnable;
  /** Model name reported to traces and logs. */
  modelName: string;
}
