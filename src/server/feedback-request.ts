import { z } from "zod";
import { apiError } from "../chat/chat-errors.js";
import { userIdSchema } from "./chat-request.js";
import { invalidRequest } from "./validation-issue.js";

/** The score name when the body names none: what thumbs up/down in a chat product are. */
export const DEFAULT_FEEDBACK_NAME = "user_feedback";
const MAX_CATEGORY_CHARS = 500;
const MAX_COMMENT_CHARS = 2000;

export interface FeedbackRequestBody {
  /** The turn's trace, as every chat answer names it; or, for the Responses API, the response's id. */
  target: { traceId: string } | { responseId: string };
  /** true/false (thumbs), a number (a rating), or a category. */
  value: boolean | number | string;
  name: string;
  comment?: string;
  /** Whose feedback: the turn's user. Optional with response_id (the response knows its user). */
  userId?: string;
}

// Built once: zod compiles an object schema on its first parse.
const schema = z
  .object({
    trace_id: z
      .string()
      .regex(/^[0-9a-f]{32}$/, "must be a trace id: 32 lowercase hex characters, as chat answers return it")
      .optional(),
    response_id: z.string().min(1).max(200).optional(),
    value: z.union([
      z.boolean(),
      z.number().refine(Number.isFinite, "must be a finite number"),
      z
        .string()
        .min(1, "must not be empty")
        .max(MAX_CATEGORY_CHARS, `is too long: at most ${MAX_CATEGORY_CHARS} characters`),
    ]),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,100}$/, "must be 1-100 characters of A-Z a-z 0-9 _ . -")
      .optional(),
    comment: z.string().max(MAX_COMMENT_CHARS, `is too long: at most ${MAX_COMMENT_CHARS} characters`).optional(),
    user_id: userIdSchema.optional(),
  })
  .strict();

/** Validates a feedback body; errors name the offending field. */
export function parseFeedbackRequest(body: unknown): FeedbackRequestBody {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw apiError("invalid_body", "the body must be a JSON object");
  const result = schema.safeParse(body);
  if (!result.success) throw invalidRequest(result.error.issues[0]!, body);
  const { trace_id, response_id, value, name, comment, user_id } = result.data;
  if ((trace_id === undefined) === (response_id === undefined))
    throw apiError(
      "invalid_request",
      "give exactly one of trace_id (a chat answer's trace) and response_id (a Responses API response)",
      trace_id === undefined ? "trace_id" : "response_id",
    );
  if (trace_id !== undefined && user_id === undefined)
    throw apiError("invalid_request", "user_id is required: the turn's user gives its feedback", "user_id");
  return {
    target: trace_id !== undefined ? { traceId: trace_id } : { responseId: response_id! },
    value,
    name: name ?? DEFAULT_FEEDBACK_NAME,
    ...(comment !== undefined ? { comment } : {}),
    ...(user_id !== undefined ? { userId: user_id } : {}),
  };
}
