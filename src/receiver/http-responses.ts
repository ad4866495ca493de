// Writing answers on node:http responses, and the error type handlers throw to produce them.
import type { ServerResponse } from "node:http";

/** An error with the HTTP status and client-facing message it should be answered with. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Retry-After or WWW-Authenticate. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
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

/** Errors in Langfuse's shape: `{ message, error }`. */
export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { message: error.message, error: REASONS[error.status] ?? "Error" }, error.headers);
}

export function sendBytes(res: ServerResponse, status: number, contentType: string, body: Uint8Array): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": contentType, "content-length": body.byteLength });
  res.end(body);
}
