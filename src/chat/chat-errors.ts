import { ERROR_CATALOG, type ErrorCode, type ErrorEntry, type MessageArgs, type Problem } from "./error-catalog.js";

/** Errors of the chat API that map to a status and a stable code. */
export class ApiError extends Error {
  override name = "ApiError";
  /** False when the same request will fail again: answered with `x-should-retry: false`, which OpenAI's clients obey. */
  retryable = true;
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The error of `code` (status and message from the catalog), raised by every route, hook and the chat layer. */
export function apiError<C extends ErrorCode>(code: C, ...args: MessageArgs<C>): ApiError {
  const entry: ErrorEntry = ERROR_CATALOG[code];
  const problem = (entry.message as (...a: MessageArgs<C>) => Problem)(...args);
  const { message, field, status } = typeof problem === "string" ? { message: problem } : problem;
  const err = new ApiError(status ?? entry.status, code, message, field);
  if (entry.retryable === false) err.retryable = false;
  return err;
}

export const sessionNotFound = () => apiError("session_not_found");

export const traceNotFound = (field: string) => apiError("trace_not_found", field);

export const scoresUnavailable = () => apiError("feedback_unavailable");

export const sessionBusy = () => apiError("session_busy");

export const shuttingDown = () => apiError("shutting_down");

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
