// The running session of one end user on the OpenAI-compatible endpoints, and the rule that
// keeps its id theirs. Those endpoints derive a session from the user (a chat UI sends only a
// `user`), so an id of that shape names somebody's running session: a client that could pick it
// (a native `session_id`, an `X-Session-Id` header) could create it first and lock the user out
// of their own conversation, or learn from the 404 that the user has one.
import { createHash } from "node:crypto";
import { isValidSessionId } from "./session-id.js";

/** Prefixes of derived session ids: readable users, and users hashed into an id. */
export const RUNNING_SESSION_PREFIXES = ["openai:", "openai-sha256:"] as const;

/** Longest user kept readable in the session id (OpenAI's own limit for `user`). */
const MAX_PLAIN_USER_CHARS = 64;

/**
 * The running session of `user`: `openai:<user>` when the user is made of session-id characters
 * (A-Z a-z 0-9 . _ : @ -, at most 64), else `openai-sha256:<hex of sha256(user as UTF-8)>`, so any
 * user id names exactly one session. The two prefixes differ, so no plain user can name the
 * session of a hashed one.
 */
export function runningSessionOf(user: string): string {
  return user.length <= MAX_PLAIN_USER_CHARS && isValidSessionId(user)
    ? `openai:${user}`
    : `openai-sha256:${createHash("sha256").update(user, "utf8").digest("hex")}`;
}

export function isRunningSessionId(sessionId: string): boolean {
  return RUNNING_SESSION_PREFIXES.some((prefix) => sessionId.startsWith(prefix));
}

/**
 * What is wrong with `sessionId` chosen by a client for a turn of `userId` (phrased to follow
 * the field's name), or null: an id of the running-session shape is only the user's own.
 */
export function reservedSessionProblem(sessionId: string, userId: string): string | null {
  if (!isRunningSessionId(sessionId) || sessionId === runningSessionOf(userId)) return null;
  return `is reserved: ids starting with ${RUNNING_SESSION_PREFIXES.join(" or ")} name the running session of a user of the OpenAI-compatible endpoints, and only that user's own (${JSON.stringify(runningSessionOf(userId))}) may be used; choose another id`;
}
