import { z } from "zod";
import { ApiError } from "../chat/chat-errors.js";

const ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const idField = z.string({ error: "must be a string" }).regex(ID, "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -");

export interface ChatRequestBody {
  message: string;
  user_id: string;
  session_id?: string;
}

/** Validates a chat body; errors name the first offending field. */
export function parseChatRequest(body: unknown, maxMessageChars: number): ChatRequestBody {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "invalid_body", "the body must be a JSON object");
  }
  const schema = z.object({
    message: z
      .string({ error: "must be a string" })
      .transform((s) => s.trim())
      .pipe(z.string().min(1, "must not be empty").max(maxMessageChars, `must be at most ${maxMessageChars} characters`)),
    user_id: idField,
    session_id: idField.optional(),
  });
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = String(issue.path[0] ?? "body");
    const message = issue.code === "invalid_type" && issue.input === undefined ? "is required" : issue.message;
    throw new ApiError(400, "invalid_request", `${field} ${message}`, field);
  }
  return result.data;
}
