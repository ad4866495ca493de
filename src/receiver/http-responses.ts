// Writing answers on node:http responses, and the error type handlers throw to produce them.
import type { ServerResponse } from "node:http";
import type { z } from "zod";

/** An error with the HTTP status and client-facing message it should be answered with. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Retry-After or WWW-Authenticate. */
    readonly headers: Record<string, string> = {},
    /**
     * The body's `error`: Langfuse puts its error class there (`InvalidRequestError`), zod's
     * issues for a query that does not parse, and leaves it out of a 401. Undefined: the HTTP
     * reason phrase; null: no `error` field.
     */
    readonly error?: unknown,
  ) {
    super(message);
  }
}

/** Langfuse's 400 for a query its zod schema refuses: `{ message: "Invalid request data", error: issues }`. */
export function invalidRequestData(issues: unknown): HttpError {
  return new HttpError(400, "Invalid request data", {}, issues);
}

/** A query or body read with a Langfuse route's zod schema; refused as Langfuse refuses it. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequestData(parsed.error.issues);
  return parsed.data;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Errors in Langfuse's shape: `{ message, error }`, or `{ message }` where Langfuse sends only that. */
export function sendError(res: ServerResponse, error: HttpError): void {
  const body: Record<string, unknown> = { message: error.message };
  if (error.error === undefined) body["error"] = REASONS[error.status] ?? "Error";
  else if (error.error !== null) body["error"] = error.error;
  sendJson(res, error.status, body, error.headers);
}

export function sendBytes(res: ServerResponse, status: number, contentType: string, body: Uint8Array): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": contentType, "content-length": body.byteLength });
  res.end(body);
}

/** A percent-encoded path segment, decoded; a malformed encoding (`%E0%A4%A`) is a 400, not a 500. */
export function decodePathSegment(segment: string, error?: unknown): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in the path segment "${segment}"`, {}, error);
  }
}
