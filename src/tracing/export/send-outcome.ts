import type { RequestBody } from "../encoding/span-format.js";
/**
 * What one export attempt tells us about the batch it carried. The distinction that matters is
 * whether Langfuse can have stored it: Langfuse v4 keeps every record it receives, so a batch
 * sent again after it was stored is stored twice.
 */
export type SendOutcome =
  /** 2xx: stored. */
  | { kind: "stored"; status: number }
  /**
   * Cannot have been stored: no connection, refused, reset or timed out before the whole body
   * was written, or an answer saying so (429, 502, 503, 504). Safe to send again.
   */
  | {
      kind: "not_stored";
      reason: "network" | "timeout" | "http_429" | "http_5xx";
      status?: number;
      retryAfterMs?: number;
      message: string;
    }
  /**
   * The whole body was written and then no usable answer came: timed out waiting, connection
   * cut, or an answer that does not say (500). Langfuse may or may not have stored it.
   */
  | { kind: "unknown"; reason: "timeout" | "network" | "http_5xx"; status?: number; message: string }
  /** 401 / 403: the keys or the base URL are wrong. Nothing will be stored until they are fixed. */
  | { kind: "auth_failed"; status: number; message: string }
  /** 413: the body is too large; a smaller one may pass. */
  | { kind: "too_large"; status: number; message: string }
  /** Any other 4xx: the batch is malformed for this backend and will never be stored. */
  | { kind: "rejected"; status: number; message: string };

/** Anything that can deliver one OTLP request body. Tests and the model-based test swap it. */
export interface ExportTransport {
  /** Never throws: every outcome is a SendOutcome. */
  send(body: RequestBody, contentType: string): Promise<SendOutcome>;
  /** Cuts open connections (attempts in flight end as unknown or not_stored). */
  close(): void;
}

/** Reads an HTTP status (and Retry-After) into an outcome. */
export function outcomeOfStatus(status: number, retryAfterMs: number | undefined): SendOutcome {
  if (status >= 200 && status < 300) return { kind: "stored", status };
  if (status === 401 || status === 403) return { kind: "auth_failed", status, message: `HTTP ${status}` };
  if (status === 413) return { kind: "too_large", status, message: "HTTP 413 Payload Too Large" };
  if (status === 429)
    return { kind: "not_stored", reason: "http_429", status, retryAfterMs, message: "HTTP 429 Too Many Requests" };
  if (status === 502 || status === 503 || status === 504)
    return { kind: "not_stored", reason: "http_5xx", status, retryAfterMs, message: `HTTP ${status}` };
  // 408 Request Timeout: the server gave up reading the request, so it did not store it.
  if (status === 408) return { kind: "not_stored", reason: "timeout", status, message: "HTTP 408" };
  // 500 and the other 5xx do not say whether the batch was stored before the failure.
  if (status >= 500) return { kind: "unknown", reason: "http_5xx", status, message: `HTTP ${status}` };
  return { kind: "rejected", status, message: `HTTP ${status}` };
}
