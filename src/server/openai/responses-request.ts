// Reads an OpenAI Responses API request (POST /v1/responses) into one Switchboard turn. As with
// chat completions, Switchboard keeps the conversation: the last input item, which must be the
// user's message, is the turn's input; earlier items are the client's copy of the history.
import { z } from "zod";
import { apiError } from "../../chat/chat-errors.js";
import type { ModelCallOptions } from "../../llm/model-options.js";
import { callerOf, type Caller } from "./caller.js";
import { integer, parseParams } from "./param-errors.js";
import { checkModel } from "./router-model.js";
import { refuseJsonFormat, refuseLogprobs, refuseTools, sharedParams, unsupported } from "./shared-params.js";

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
/**
 * An input item: a message (`{role, content}`, `type` "message" or absent), or any other item a
 * client replays from earlier responses (item_reference, function_call_output, reasoning...),
 * which is part of the client's history and not read.
 */
const inputItem = z.looseObject({
  type: z.string().optional(),
  role: z.enum(["user", "assistant", "system", "developer"]).optional(),
  content: z.union([z.string(), z.array(contentPart)]).optional(),
});

const bodySchema = z.looseObject({
  ...sharedParams,
  input: z.union([z.string(), z.array(inputItem).min(1)]),
  instructions: z.string().nullish(),
  previous_response_id: z.string().min(1).max(256).nullish(),
  max_output_tokens: integer(16).nullish(),
  stream_options: z.looseObject({ include_obfuscation: z.boolean().nullish() }).nullish(),
  text: z
    .looseObject({
      format: z.looseObject({ type: z.enum(["text", "json_schema", "json_object"]) }).nullish(),
      verbosity: z.enum(["low", "medium", "high"]).nullish(),
    })
    .nullish(),
  include: z.array(z.string()).nullish(),
  truncation: z.enum(["auto", "disabled"]).nullish(),
  reasoning: z.looseObject({}).nullish(),
  max_tool_calls: integer(0).nullish(),
  background: z.boolean().nullish(),
  conversation: z.union([z.string(), z.looseObject({})]).nullish(),
  prompt: z.looseObject({}).nullish(),
});

type Body = z.infer<typeof bodySchema>;

/** The request's own settings, echoed on the Response object as OpenAI does. */
export interface ResponseSettings {
  instructions: string | null;
  max_output_tokens: number | null;
  temperature: number | null;
  top_p: number | null;
  previous_response_id: string | null;
  user: string | null;
  metadata: Record<string, string>;
  store: boolean;
}

export interface ResponsesTurn {
  message: string;
  caller: Caller;
  stream: boolean;
  /** false: the response is not kept, so it cannot be retrieved or continued later. */
  store: boolean;
  previousResponseId: string | null;
  settings: ResponseSettings;
  /** What reaches the answering model. */
  params: ModelCallOptions;
}

function refuseUnsupported(body: Body): void {
  refuseTools(body.tools, body.tool_choice);
  refuseJsonFormat("text.format", body.text?.format?.type);
  refuseLogprobs("top_logprobs", (body.top_logprobs ?? 0) > 0);
  if (body.include?.includes("message.output_text.logprobs")) refuseLogprobs("include", true);
  if (body.background === true)
    throw unsupported(
      "background",
      "Switchboard answers every response in the foreground: 'background' must be false.",
      "unsupported_value",
    );
  if (body.conversation !== null && body.conversation !== undefined) {
    throw unsupported(
      "conversation",
      "Switchboard does not offer the Conversations API: continue a conversation with 'previous_response_id', or name it with the X-Session-Id header.",
    );
  }
  if (body.prompt)
    throw unsupported("prompt", "Switchboard has no stored prompt templates: its agents have their own prompts.");
}

function textOf(content: z.infer<typeof inputItem>["content"]): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  return content
    .map((part) =>
      (part.type === "input_text" || part.type === "text") && typeof part.text === "string" ? part.text : "",
    )
    .join("\n");
}

/** The turn's input: the whole input when it is a string, else the last item, which must be a user message. */
function latestUserInput(input: Body["input"], maxMessageChars: number): string {
  let text: string;
  let param = "input";
  if (typeof input === "string") {
    text = input.trim();
  } else {
    const index = input.length - 1;
    const last = input[index]!;
    param = `input[${index}]`;
    const isMessage = last.type === undefined || last.type === "message";
    if (!isMessage || last.role !== "user") {
      const what = isMessage ? `a message with role '${last.role ?? "(none)"}'` : `an item of type '${last.type}'`;
      throw apiError(
        "invalid_value",
        `The last input item must be a user message, not ${what}: Switchboard answers the user's latest message and keeps the conversation itself, so there is nothing to answer after it.`,
        param,
      );
    }
    text = textOf(last.content).trim();
    param = `${param}.content`;
  }
  if (text === "") throw apiError("invalid_value", "The user's input has no text to answer.", param);
  if (text.length > maxMessageChars)
    throw apiError(
      "string_above_max_length",
      `The user's input must be at most ${maxMessageChars} characters, not ${text.length}.`,
      param,
    );
  return text;
}

function modelParamsOf(body: Body): ModelCallOptions {
  const params: ModelCallOptions = {};
  if (typeof body.max_output_tokens === "number") params.maxTokens = body.max_output_tokens;
  if (typeof body.temperature === "number") params.temperature = body.temperature;
  if (typeof body.top_p === "number") params.topP = body.top_p;
  return params;
}

export function parseResponsesRequest(
  rawBody: unknown,
  headers: Record<string, string | string[] | undefined>,
  maxMessageChars: number,
): ResponsesTurn {
  const body = parseParams(bodySchema, rawBody);
  checkModel(body.model);
  refuseUnsupported(body);
  const store = body.store !== false;
  return {
    message: latestUserInput(body.input, maxMessageChars),
    caller: callerOf(headers, body.user),
    stream: body.stream === true,
    store,
    previousResponseId: body.previous_response_id ?? null,
    settings: {
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      temperature: body.temperature ?? null,
      top_p: body.top_p ?? null,
      previous_response_id: body.previous_response_id ?? null,
      user: body.user ?? null,
      metadata: body.metadata ?? {},
      store,
    },
    params: modelParamsOf(body),
  };
}
