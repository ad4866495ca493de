// Reads an OpenAI chat-completions request into one Switchboard turn. Switchboard keeps the
// conversation server-side (the session), so the last message, which must be the user's, is the
// turn's input; earlier messages are the client's copy of the history and are not re-read.
import { z } from "zod";
import { apiError } from "../../chat/chat-errors.js";
import type { ModelCallOptions } from "../../llm/model-options.js";
import { callerOf, type Caller } from "./caller.js";
import { integer, parseParams } from "./param-errors.js";
import { checkModel } from "./router-model.js";
import {
  penaltyParam,
  refuseJsonFormat,
  refuseLogprobs,
  refuseTools,
  sharedParams,
  unsupported,
} from "./shared-params.js";

const ROLES = ["system", "developer", "user", "assistant", "tool", "function"] as const;

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const message = z.looseObject({
  role: z.enum(ROLES),
  // Parts other than text (images, audio, files) are accepted and not read: the router reads text.
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
});

const bodySchema = z.looseObject({
  ...sharedParams,
  messages: z.array(message).min(1),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: integer(1).nullish(),
  max_completion_tokens: integer(1).nullish(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(4)]).nullish(),
  presence_penalty: penaltyParam,
  frequency_penalty: penaltyParam,
  seed: integer().nullish(),
  n: integer(1, 128).nullish(),
  logprobs: z.boolean().nullish(),
  logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullish(),
  response_format: z.looseObject({ type: z.enum(["text", "json_object", "json_schema"]) }).nullish(),
  functions: z.array(z.looseObject({})).nullish(),
  function_call: z.union([z.enum(["none", "auto"]), z.looseObject({})]).nullish(),
  modalities: z.array(z.enum(["text", "audio"])).nullish(),
  audio: z.looseObject({}).nullish(),
  web_search_options: z.looseObject({}).nullish(),
  prediction: z.looseObject({ type: z.string() }).nullish(),
  reasoning_effort: z.string().nullish(),
  verbosity: z.enum(["low", "medium", "high"]).nullish(),
});

type Body = z.infer<typeof bodySchema>;

export interface ChatCompletionsTurn {
  message: string;
  caller: Caller;
  stream: boolean;
  /** stream_options.include_usage: a final chunk carries the usage. */
  includeUsage: boolean;
  /** What reaches the answering model. */
  params: ModelCallOptions;
}

/** What the router cannot do is refused by name, so a client never mistakes a default for its request. */
function refuseUnsupported(body: Body): void {
  if ((body.n ?? 1) > 1)
    throw unsupported(
      "n",
      `Switchboard answers with one choice per request: 'n' must be 1, not ${body.n}.`,
      "unsupported_value",
    );
  refuseTools(body.tools, body.tool_choice);
  if (body.functions && body.functions.length > 0)
    throw unsupported(
      "functions",
      "Switchboard does not call functions: its agents answer in text. Send the request without 'functions'.",
    );
  if (body.function_call && typeof body.function_call === "object")
    throw unsupported(
      "function_call",
      "Switchboard does not call functions, so 'function_call' can only be 'none' or 'auto'.",
      "unsupported_value",
    );
  refuseJsonFormat("response_format", body.response_format?.type);
  refuseLogprobs("logprobs", body.logprobs === true);
  refuseLogprobs("top_logprobs", (body.top_logprobs ?? 0) > 0);
  if (body.logit_bias && Object.keys(body.logit_bias).length > 0)
    throw unsupported(
      "logit_bias",
      "Switchboard does not take 'logit_bias': token ids belong to one model, and the router's models are not the client's to know.",
    );
  if (body.modalities?.includes("audio") || body.audio)
    throw unsupported(
      body.audio ? "audio" : "modalities",
      "Switchboard answers in text only; audio output is not supported.",
    );
  if (body.web_search_options)
    throw unsupported(
      "web_search_options",
      "Switchboard does not search the web: its agents answer from their own knowledge.",
    );
  if (body.stream_options && body.stream !== true)
    throw apiError(
      "invalid_value",
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      "stream_options",
    );
}

function textOf(content: z.infer<typeof message>["content"]): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  return content.map((part) => (part.type === "text" && typeof part.text === "string" ? part.text : "")).join("\n");
}

/** The turn's input: the last message, which must be the user's (one that is not would be answered as if the user had said it again). */
function latestUserMessage(messages: Body["messages"], maxMessageChars: number): string {
  const index = messages.length - 1;
  const last = messages[index]!;
  if (last.role !== "user") {
    throw apiError(
      "invalid_value",
      `The last message must have role 'user', not '${last.role}': Switchboard answers the user's latest message and keeps the conversation itself, so there is nothing to answer after an ${last.role} message.`,
      `messages[${index}].role`,
    );
  }
  const text = textOf(last.content).trim();
  if (text === "")
    throw apiError("invalid_value", "The last user message has no text to answer.", `messages[${index}].content`);
  if (text.length > maxMessageChars) {
    throw apiError(
      "string_above_max_length",
      `The last user message must be at most ${maxMessageChars} characters, not ${text.length}.`,
      `messages[${index}].content`,
    );
  }
  return text;
}

/** The answering model's parameters; of max_tokens and max_completion_tokens, the smaller limit holds. */
function modelParamsOf(body: Body): ModelCallOptions {
  const limits = [body.max_tokens, body.max_completion_tokens].filter((n): n is number => typeof n === "number");
  const params: ModelCallOptions = {};
  if (limits.length) params.maxTokens = Math.min(...limits);
  if (typeof body.temperature === "number") params.temperature = body.temperature;
  if (typeof body.top_p === "number") params.topP = body.top_p;
  if (body.stop !== null && body.stop !== undefined)
    params.stop = typeof body.stop === "string" ? [body.stop] : body.stop;
  if (typeof body.presence_penalty === "number") params.presencePenalty = body.presence_penalty;
  if (typeof body.frequency_penalty === "number") params.frequencyPenalty = body.frequency_penalty;
  if (typeof body.seed === "number") params.seed = body.seed;
  return params;
}

export function parseChatCompletionsRequest(
  rawBody: unknown,
  headers: Record<string, string | string[] | undefined>,
  maxMessageChars: number,
): ChatCompletionsTurn {
  const body = parseParams(bodySchema, rawBody);
  checkModel(body.model);
  refuseUnsupported(body);
  return {
    message: latestUserMessage(body.messages, maxMessageChars),
    caller: callerOf(headers, body.user),
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
    params: modelParamsOf(body),
  };
}
