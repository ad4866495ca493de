// Errors of the OpenAI-compatible endpoints in OpenAI's shape, so OpenAI clients raise their
// usual error classes (BadRequestError, NotFoundError, ...) with a readable message.
import type { FastifyError } from "fastify";
import { apiError, traceIdOf } from "../../chat/chat-errors.js";
import type { ErrorCode } from "../../chat/error-catalog.js";
import { errorHeaders, toApiError } from "../error-response.js";

export interface OpenAiErrorBody {
  error: {
    message: string;
    /** OpenAI's error family: invalid_request_error for 4xx, server_error for 5xx. */
    type: string;
    /** The request field at fault, when one is (OpenAI's notation: `messages[2].role`). */
    param: string | null;
    /** A stable code: OpenAI's where one applies (invalid_type, unsupported_value, ...), else ours (session_not_found, model_unavailable). */
    code: ErrorCode | null;
    /** The trace of the turn that failed (null: not traced); only on errors of a turn. */
    trace_id?: string | null;
  };
}

export function openAiErrorBody(
  status: number,
  code: ErrorCode | null,
  message: string,
  param: string | null = null,
): OpenAiErrorBody {
  return { error: { message, type: status >= 500 ? "server_error" : "invalid_request_error", param, code } };
}

/** Maps any error to its status, OpenAI-shaped body and headers; `null` for bugs (answer 500 and log). */
export function toOpenAiError(
  err: FastifyError | Error,
): { status: number; body: OpenAiErrorBody; headers: Record<string, string> } | null {
  const api = toApiError(err);
  if (!api) return null;
  const body = openAiErrorBody(api.status, api.code, api.message, api.field ?? null);
  const traceId = traceIdOf(api);
  if (traceId !== undefined) body.error.trace_id = traceId;
  return { status: api.status, body, headers: errorHeaders(api) };
}

/** The 500 of a bug; `err` names its turn's trace when it ended one. */
export function internalErrorBody(requestId: string, err?: unknown): OpenAiErrorBody {
  const internal = apiError("internal_error", requestId);
  const body = openAiErrorBody(internal.status, internal.code, internal.message);
  const traceId = traceIdOf(err);
  if (traceId !== undefined) body.error.trace_id = traceId;
  return body;
}
