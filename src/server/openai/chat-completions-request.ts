// Reads an OpenAI chat-completions request into one Switchboard turn. Switchboard keeps the
// conversation server-side (the session), so only the latest user message is the turn's input;
// earlier messages in `messages` are the client's copy of the history and are not re-read.
import { z } from "zod";
import { ApiError } from "../chat/chat-errors.js";

/** The one model Switchboard offers: the router, which picks an agent per turn. */
export const ROUTER_MODEL_ID = "switchboard-router";

/** Owner of turns whose request names no user (no `user` field, no X-User-Id header). */
export const ANONYMOUS_USER = "anonymous";

const ID = /^[A-Za-z0-9._:@-]{1,128}$/;
/** A session derived from `user` is "openai:<user>", which must still fit the 128-character ids. */
const USER = /^[A-Za-z0-9._:@-]{1,120}$/;

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const message = z.object({
  role: z.string({ error: "must be a string" }),
  // Other part types (images, audio) are accepted and ignored: the router reads text.
  content: z.union([z.string(), z.array(z.union([textPart, z.looseObject({ type: z.string() })])), z.null()]).optional(),
});

const bodySchema = z.object({
  model: z.string({ error: "must be a string" }).optional(),
  messages: z.array(message, { error: "must be an array of messages" }).min(1, "must contain at least one message"),
  stream: z.boolean({ error: "must be a boolean" }).nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  user: z.string({ error: "must be a string" }).regex(USER, "must be 1-120 characters of A-Z a-z 0-9 . _ : @ -").optional(),
});

export interface OpenAiTurnRequest {
  message: string;
  userId: string;
  /** Absent: a new session (its id is answered in the X-Session-Id response header). */
  sessionId?: string;
  stream: boolean;
  /** stream_options.include_usage: a final chunk carries the usage. */
  includeUsage: boolean;
}

function textOf(content: z.infer<typeof message>["content"]): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  return content.map((part) => (part.type === "text" && typeof part.text === "string" ? part.text : "")).join("\n");
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === "" ? undefined : first;
}

function checkedHeader(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = header(headers, name);
  if (value !== undefined && !ID.test(value)) {
    throw new ApiError(400, "invalid_request", `header ${name} must be 1-128 characters of A-Z a-z 0-9 . _ : @ -`, name);
  }
  return value;
}

/**
 * Who and which session, in this order:
 * - user: the X-User-Id header, else the `user` field, else "anonymous";
 * - session: the X-Session-Id header, else "openai:<user field>" (one running conversation per
 *   end user, for clients that only send `user`), else a new session.
 * Headers win because a deployment (a proxy, a chat UI's backend) sets them on purpose, while
 * `user` is a free-form field many clients fill with anything.
 */
export function parseOpenAiRequest(
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
  maxMessageChars: number,
): OpenAiTurnRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "invalid_body", "the body must be a JSON object");
  }
  const result = bodySchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = String(issue.path[0] ?? "body");
    const message = issue.code === "invalid_type" && issue.input === undefined ? "is required" : issue.message;
    throw new ApiError(400, "invalid_request", `${field} ${message}`, field);
  }
  const parsed = result.data;
  if (parsed.model !== undefined && parsed.model !== ROUTER_MODEL_ID) {
    throw new ApiError(404, "model_not_found", `the model ${JSON.stringify(parsed.model)} does not exist; use "${ROUTER_MODEL_ID}"`, "model");
  }
  const latest = [...parsed.messages].reverse().find((m) => m.role === "user");
  if (!latest) throw new ApiError(400, "invalid_request", "messages must contain a message with role user", "messages");
  const text = textOf(latest.content).trim();
  if (text === "") throw new ApiError(400, "invalid_request", "the latest user message must not be empty", "messages");
  if (text.length > maxMessageChars) {
    throw new ApiError(400, "invalid_request", `the latest user message must be at most ${maxMessageChars} characters`, "messages");
  }
  const headerUser = checkedHeader(headers, "x-user-id");
  const headerSession = checkedHeader(headers, "x-session-id");
  return {
    message: text,
    userId: headerUser ?? parsed.user ?? ANONYMOUS_USER,
    sessionId: headerSession ?? (parsed.user !== undefined ? `openai:${parsed.user}` : undefined),
    stream: parsed.stream === true,
    includeUsage: parsed.stream_options?.include_usage === true,
  };
}
