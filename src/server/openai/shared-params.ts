// Request parameters both OpenAI endpoints take, with OpenAI's types and ranges. Fields OpenAI
// allows to be null accept null as "not set". Keys neither endpoint knows are ignored, as chat UIs
// send provider-specific extras (top_k, repetition_penalty) that change nothing essential here.
import { z } from "zod";
import { apiError, type ApiError } from "../../chat/chat-errors.js";
import { userIdProblem } from "../../chat/user-id.js";
import { MAX_USER_CHARS } from "./caller.js";
import { integer } from "./param-errors.js";

const decimal = (min: number, max: number) => z.number().min(min).max(max).nullish();

/** A user id, by the rule every endpoint applies (chat/user-id.ts), at most OpenAI's 64 characters. */
const userParam = z
  .string()
  .max(MAX_USER_CHARS)
  .superRefine((user, ctx) => {
    // An empty `user` is no user, as OpenAI clients send it.
    const problem = user === "" ? null : userIdProblem(user);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .nullish();

export const sharedParams = {
  model: z.string().optional(),
  stream: z.boolean().nullish(),
  temperature: decimal(0, 2),
  top_p: decimal(0, 1),
  user: userParam,
  safety_identifier: z.string().max(MAX_USER_CHARS).nullish(),
  prompt_cache_key: z.string().nullish(),
  store: z.boolean().nullish(),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, "at most 16 key-value pairs")
    .nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  service_tier: z.string().nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
  tool_choice: z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.string() })]).nullish(),
  top_logprobs: integer(0, 20).nullish(),
};

export const penaltyParam = decimal(-2, 2);

/** A parameter the router cannot honour: a 400 that says so, never a silent default. */
export function unsupported(
  param: string,
  message: string,
  code: "unsupported_parameter" | "unsupported_value" = "unsupported_parameter",
): ApiError {
  return apiError(code, message, param);
}

/**
 * Tools: the router's agents answer in text and never call a client's tools, so a request that
 * offers tools, or demands a tool call, is refused. An empty list and tool_choice "none" / "auto"
 * ask for nothing the router cannot do.
 */
export function refuseTools(tools: unknown[] | null | undefined, toolChoice: unknown): void {
  if (tools && tools.length > 0) {
    throw unsupported(
      "tools",
      "Switchboard does not call tools: its agents answer in text. Send the request without 'tools'.",
    );
  }
  if (toolChoice !== undefined && toolChoice !== null && toolChoice !== "none" && toolChoice !== "auto") {
    throw unsupported(
      "tool_choice",
      `Switchboard does not call tools, so 'tool_choice' can only be 'none' or 'auto', not ${JSON.stringify(toolChoice)}.`,
      "unsupported_value",
    );
  }
}

export function refuseLogprobs(param: string, asked: boolean): void {
  if (asked)
    throw unsupported(
      param,
      `Switchboard does not return log probabilities ('${param}'): the router's answer is not one model's sampling.`,
      "unsupported_value",
    );
}

/** A JSON output format cannot be promised: the agents answer in prose. */
export function refuseJsonFormat(param: string, type: string | undefined): void {
  if (type !== undefined && type !== "text") {
    throw unsupported(
      param,
      `Switchboard answers in prose and cannot guarantee JSON output: '${param}' must be 'text', not '${type}'. Structured output (json_schema, json_object) is not supported.`,
      "unsupported_value",
    );
  }
}
