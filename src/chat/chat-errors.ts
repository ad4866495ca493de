/** Errors of the chat API that map to a status and a stable code. */
export class ApiError extends Error {
  override name = "ApiError";
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

export const sessionBusy = () =>
  new ApiError(503, "session_busy", "the session is still busy with earlier turns; retry later");
