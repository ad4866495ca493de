// Errors of the OpenAI-compatible endpoints in OpenAI's shape, so OpenAI clients raise their
// usual error classes (BadRequestError, NotFoundError, ...) with a readable message.
import type { FastifyError } from "fastify";
import { toApiError } from "../error-response.js";

export interface OpenAiErrorBody {
  error: {
    message: string;
    /** OpenAI's error family: invalid_request_error for 4xx, server_error for 5xx. */
    type: string;
    /** The request field at fault, when one is (OpenAI's notation: `messages[2].role`). */
    param: string | null;
    /** A stable code: OpenAI's where one applies (invalid_type, unsupported_value, ...), else ours (session_not_found, model_unavailable). */
    code: string | null;
  };
}

export function openAiErrorBody(
  status: number,
  code: string | null,
  message: string,
  param: string | null = null,
): OpenAiErrorBody {
  return { error: { message, type: status >= 500 ? "server_error" : "invalid_request_error", param, code } };
}

/** Maps any error to its status and OpenAI-shaped body; `null` for bugs (answer 500 and log). */
export function toOpenAiError(err: FastifyError | Error): { status: number; body: OpenAiErrorBody } | null {
  const api = toApiError(err);
  if (!api) return null;
  return { status: api.status, body: openAiErrorBody(api.status, api.code, api.message, api.field ?? null) };
}

export function internalErrorBody(requestId: string): OpenAiErrorBody {
  return openAiErrorBody(
    500,
    "internal_error",
    `an internal error occurred; quote the request id ${requestId} when reporting it`,
  );
}
