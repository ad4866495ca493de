/** Errors of the chat API that map to a status and a stable code. */
export class ApiError extends Error {
  override name = "ApiError";
  /** False when the same request will fail again: answered with `x-should-retry: false`, which OpenAI's clients obey. */
  retryable = true;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const sessionNotFound = () => new ApiError(404, "session_not_found", "no such session for this user");

export const traceNotFound = (field: string) =>
  new ApiError(
    404,
    "trace_not_found",
    `no such trace for this user (only a turn's own user can give it feedback)`,
    field,
  );

export const scoresUnavailable = () =>
  new ApiError(
    503,
    "feedback_unavailable",
    "feedback needs tracing: this service sends no traces (LANGFUSE_ENABLED=false, or a comparison pipeline)",
  );

export const sessionBusy = () =>
  new ApiError(503, "session_busy", "the session is still busy with earlier turns; retry later");

export const shuttingDown = () =>
  new ApiError(
    503,
    "shutting_down",
    "the service is shutting down and could not finish this turn in time; retry it (another instance, or this one once restarted, will answer)",
  );

/** The trace of the turn each error ended (null: the turn was not traced); absent for errors of no turn. */
const traceIds = new WeakMap<object, string | null>();

/** Records that `err` ended the turn traced as `traceId`, so its error body can name the trace. */
export function rememberTraceId(err: unknown, traceId: string | null): void {
  if (typeof err === "object" && err !== null) traceIds.set(err, traceId);
}

/** The trace id of the turn `err` ended: a string, null for an untraced turn, undefined when no turn ran. */
export function traceIdOf(err: unknown): string | null | undefined {
  return typeof err === "object" && err !== null ? traceIds.get(err) : undefined;
}
