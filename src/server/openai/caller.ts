// Who is talking and in which session, for the OpenAI-compatible endpoints.
import { createHash } from "node:crypto";
import { ApiError } from "../../chat/chat-errors.js";
import { isValidSessionId, SESSION_ID_RULE } from "../../chat/session-id.js";

/** Owner of turns whose request names no user (no `user` field, no X-User-Id header). */
export const ANONYMOUS_USER = "anonymous";

/**
 * Longest `user` OpenAI accepts: it answers "Invalid 'user': string too long. Expected a string
 * with maximum length 64" above it (the same limit it documents for `safety_identifier`).
 */
export const MAX_USER_CHARS = 64;

/** Users that can appear in a session id as they are: session-id characters, at most 64 of them. */
const isPlainUser = (user: string) => user.length <= MAX_USER_CHARS && isValidSessionId(user);

/**
 * The running session of one end user: `openai:<user>` when the user is made of session-id
 * characters (A-Z a-z 0-9 . _ : @ -), else `openai-sha256:<hex of sha256(user as UTF-8)>`, so
 * any string OpenAI accepts as `user` (spaces, accents, emoji) names exactly one session. The two
 * prefixes differ, so no plain user can name the session of a hashed one.
 */
export function sessionOfUser(user: string): string {
  return isPlainUser(user)
    ? `openai:${user}`
    : `openai-sha256:${createHash("sha256").update(user, "utf8").digest("hex")}`;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === "") return undefined;
  if (!isValidSessionId(first))
    throw new ApiError(400, "invalid_request", `header ${name} must be ${SESSION_ID_RULE}`, name);
  return first;
}

export interface Caller {
  /** The X-User-Id header, else the `user` field, else null (the endpoint decides: anonymous, or the user of a continued response). */
  userId: string | null;
  /** The X-Session-Id header, if sent. */
  headerSession: string | undefined;
  /** The session the `user` field names (sessionOfUser), if it was sent. */
  userSession: string | undefined;
}

/**
 * Reads the caller. Headers win over the body because a deployment (a proxy, a chat UI's backend)
 * sets them on purpose, while `user` is a free-form field many clients fill with anything. An
 * empty `user` counts as none.
 */
export function callerOf(
  headers: Record<string, string | string[] | undefined>,
  user: string | null | undefined,
): Caller {
  const named = user ? user : undefined;
  return {
    userId: header(headers, "x-user-id") ?? named ?? null,
    headerSession: header(headers, "x-session-id"),
    userSession: named === undefined ? undefined : sessionOfUser(named),
  };
}
