// Who is talking and in which session, for the OpenAI-compatible endpoints.
import { apiError } from "../../chat/chat-errors.js";
import { reservedSessionProblem, runningSessionOf } from "../../chat/running-session.js";
import { isValidSessionId, SESSION_ID_RULE } from "../../chat/session-id.js";

/** Owner of turns whose request names no user (no `user` field, no X-User-Id header). */
export const ANONYMOUS_USER = "anonymous";

/**
 * Longest `user` OpenAI accepts: it answers "Invalid 'user': string too long. Expected a string
 * with maximum length 64" above it (the same limit it documents for `safety_identifier`).
 */
export const MAX_USER_CHARS = 64;

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === "") return undefined;
  if (!isValidSessionId(first)) throw apiError("invalid_request", `header ${name} must be ${SESSION_ID_RULE}`, name);
  return first;
}

/**
 * The X-User-Id header: a deployment (a proxy, a chat UI's backend) names the end user with it,
 * on purpose, so where it is sent it names the caller. Undefined when absent or empty.
 */
export function userHeaderOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  return header(headers, "x-user-id");
}

export interface Caller {
  /** The X-User-Id header, else the `user` field, else null (the endpoint decides: anonymous, or the user of a continued response). */
  userId: string | null;
  /** The X-Session-Id header, if sent. */
  headerSession: string | undefined;
  /** The running session of the turn's user (runningSessionOf), when the `user` field was sent. */
  userSession: string | undefined;
}

/**
 * Reads the caller. Headers win over the body because a deployment (a proxy, a chat UI's backend)
 * sets them on purpose, while `user` is a free-form field many clients fill with anything. An
 * empty `user` counts as none. A `user` asks for a running session: the one of the turn's user
 * (X-User-Id when set), so a `user` field can never place a turn in another user's session. An
 * X-Session-Id of the running-session shape must be the turn's user's own.
 */
export function callerOf(
  headers: Record<string, string | string[] | undefined>,
  user: string | null | undefined,
): Caller {
  const named = user ? user : undefined;
  const userId = userHeaderOf(headers) ?? named ?? null;
  const headerSession = header(headers, "x-session-id");
  if (headerSession !== undefined) {
    const problem = reservedSessionProblem(headerSession, userId ?? ANONYMOUS_USER);
    if (problem) throw apiError("invalid_value", `header x-session-id ${problem}`, "x-session-id");
  }
  return {
    userId,
    headerSession,
    userSession: named === undefined ? undefined : runningSessionOf(userId ?? named),
  };
}
