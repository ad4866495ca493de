/**
 * Errors of the model layer. The graph maps a ModelUnavailableError to HTTP 503; an AbortError
 * means the caller gave up (client disconnect) and is not the provider's fault.
 */

/** The model provider could not answer: HTTP error, timeout, connection refused or reset. */
export class ModelUnavailableError extends Error {
  override name = "ModelUnavailableError";
  /** HTTP status of the provider's answer, when there was one. */
  readonly status: number | undefined;
  /** What went wrong, for logging once per kind: `http_401`, `timeout`, `ECONNREFUSED`, `unreachable`. */
  readonly kind: string;

  constructor(message: string, options: { cause?: unknown; status?: number; kind?: string } = {}) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.kind = options.kind ?? (options.status !== undefined ? `http_${options.status}` : "unreachable");
  }

  /**
   * True when the endpoint refused the request itself (a 4xx other than 408, 409 and 429): the
   * same request will be refused again, so retrying cannot help. 401, 403 and 404 mean the
   * service's model settings (key, base URL, model name) are wrong.
   */
  get refused(): boolean {
    const s = this.status;
    return s !== undefined && s >= 400 && s < 500 && s !== 408 && s !== 409 && s !== 429;
  }
}

/** Builds the error to throw when `signal` aborted: its reason when that is an Error, else a DOMException named AbortError. */
export function abortErrorFor(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(typeof reason === "string" ? reason : "The operation was aborted", "AbortError");
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}

const NETWORK_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

function errorCode(err: unknown): string | undefined {
  for (
    let e: unknown = err, depth = 0;
    e && typeof e === "object" && depth < 4;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_ERROR_CODES.has(code)) return code;
  }
  return undefined;
}

function httpStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/**
 * Classifies an error thrown by a provider call made with `callerSignal`:
 * - the caller aborted (its signal's reason is not a timeout) -> an AbortError, unchanged;
 * - HTTP status, connection failure, timeout, or an abort nobody asked for -> ModelUnavailableError;
 * - anything else (a bug, a parse error) -> unchanged.
 */
export function toProviderError(
  err: unknown,
  callerSignal: AbortSignal | undefined,
  describe = "model provider",
): unknown {
  if (err instanceof ModelUnavailableError) return err;
  if (callerSignal?.aborted) {
    const reason: unknown = callerSignal.reason;
    const timedOut = reason instanceof Error && reason.name === "TimeoutError";
    if (!timedOut) return isAbortError(err) ? err : abortErrorFor(callerSignal);
    return new ModelUnavailableError(`${describe} timed out`, { cause: err, kind: "timeout" });
  }
  const status = httpStatus(err);
  if (status !== undefined)
    return new ModelUnavailableError(`${describe} answered HTTP ${status}`, { cause: err, status });
  const name = err instanceof Error ? err.name : "";
  const constructorName = (err as { constructor?: { name?: string } } | null)?.constructor?.name ?? "";
  if (name === "TimeoutError" || name === "AbortError" || constructorName.startsWith("APIConnection")) {
    return new ModelUnavailableError(`${describe} unreachable or timed out: ${(err as Error).message}`, {
      cause: err,
      kind:
        errorCode(err) ??
        (constructorName === "APIConnectionTimeoutError" || name === "TimeoutError" ? "timeout" : "unreachable"),
    });
  }
  const code = errorCode(err);
  if (code) return new ModelUnavailableError(`${describe} unreachable (${code})`, { cause: err, kind: code });
  return err;
}
