import { z } from "zod";
import { apiError } from "../chat/chat-errors.js";
import { reservedSessionProblem } from "../chat/running-session.js";
import { isValidSessionId, SESSION_ID_RULE } from "../chat/session-id.js";
import { userIdProblem } from "../chat/user-id.js";
import { invalidRequest } from "./validation-issue.js";

export interface ChatRequestBody {
  message: string;
  user_id: string;
  session_id?: string;
}

/** A zod refinement from a "what is wrong" function (null: nothing). */
const checkedBy = (problemOf: (value: string) => string | null) => (value: string, ctx: z.RefinementCtx) => {
  const problem = problemOf(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
};

export const userIdSchema = z.string().superRefine(checkedBy(userIdProblem));
const sessionIdSchema = z
  .string()
  .superRefine(checkedBy((id) => (isValidSessionId(id) ? null : `must be ${SESSION_ID_RULE}`)));

function chatRequestSchema(maxMessageChars: number) {
  return z.object({
    message: z
      .string()
      .transform((s) => s.trim())
      .superRefine(
        checkedBy((m) =>
          m === ""
            ? "must not be empty"
            : m.length > maxMessageChars
              ? `is too long: ${m.length} characters, at most ${maxMessageChars}`
              : null,
        ),
      ),
    user_id: userIdSchema,
    // null is "no session yet", as JSON clients write an absent optional value.
    session_id: sessionIdSchema.nullish().transform((v) => v ?? undefined),
  });
}

/**
 * The schema for each message limit, built once: zod builds and compiles an object schema's
 * checks on its first parse, which per request was a large share of the request's CPU.
 */
const schemas = new Map<number, ReturnType<typeof chatRequestSchema>>();

/**
 * Validates a chat body; errors name the first offending field and what is wrong with it.
 * Invalid Unicode and prototype keys never get here: the JSON body parser refuses them.
 */
export function parseChatRequest(body: unknown, maxMessageChars: number): ChatRequestBody {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw apiError("invalid_body", "the body must be a JSON object");
  }
  let schema = schemas.get(maxMessageChars);
  if (!schema) {
    schema = chatRequestSchema(maxMessageChars);
    schemas.set(maxMessageChars, schema);
  }
  const result = schema.safeParse(body);
  if (!result.success) throw invalidRequest(result.error.issues[0]!, body);
  const { session_id, user_id } = result.data;
  const reserved = session_id === undefined ? null : reservedSessionProblem(session_id, user_id);
  if (reserved) throw apiError("invalid_request", `session_id ${reserved}`, "session_id");
  return result.data;
}
