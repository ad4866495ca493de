import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ApiError, apiError, traceIdOf } from "../chat/chat-errors.js";
import type { ErrorCode } from "../chat/error-catalog.js";

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string; request_id?: string; trace_id?: string | null };
}

export function errorBody(
  code: ErrorCode,
  message: string,
  field?: string,
  requestId?: string,
  traceId?: string | null,
): ErrorBody {
  const error: ErrorBody["error"] = { code, message };
  if (field) error.field = field;
  if (requestId) error.request_id = requestId;
  // Every turn's error names its trace (null when the turn was not traced), where the cause is.
  if (traceId !== undefined) error.trace_id = traceId;
  return { error };
}

/** Headers of an error answer: `x-should-retry: false` when the same request will fail again (OpenAI's clients obey it). */
export function errorHeaders(err: unknown): Record<string, string> {
  return err instanceof ApiError && !err.retryable ? { "x-should-retry": "false" } : {};
}

/** Fastify's own errors (parsing, limits) and ours, mapped to the API's error shape. */
export function toApiError(err: FastifyError | Error): ApiError | null {
  if (err instanceof ApiError) return err;
  const code = (err as FastifyError).code;
  switch (code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return apiError("body_too_large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return apiError("unsupported_media_type");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return apiError("invalid_json");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return apiError("invalid_body", "the content length does not match the body");
  }
  const status = (err as FastifyError).statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) return apiError("bad_request", err.message, status);
  return null;
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: FastifyError | Error): FastifyReply {
  const api = toApiError(err);
  if (api)
    return reply
      .status(api.status)
      .headers(errorHeaders(api))
      .send(errorBody(api.code, api.message, api.field, undefined, traceIdOf(api)));
  request.log.error({ err }, "unhandled error");
  const internal = apiError("internal_error");
  return reply
    .status(internal.status)
    .send(errorBody(internal.code, internal.message, undefined, request.id, traceIdOf(err)));
}
