import type { Socket } from "node:net";
import { apiError, type ApiError } from "../chat/chat-errors.js";

/** Node's error codes the answer names; any other is a request that is not valid HTTP. */
const REFUSAL: Record<string, () => ApiError> = {
  HPE_HEADER_OVERFLOW: () => apiError("headers_too_large"),
  ERR_HTTP_REQUEST_TIMEOUT: () => apiError("request_timeout"),
};

const REASON: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

/**
 * Answers requests Node's HTTP server refuses before or while Fastify handles them (oversized
 * headers, malformed request lines, a request not received within HEADERS_TIMEOUT_MS or
 * REQUEST_TIMEOUT_MS) in the API's error shape instead of Fastify's default body, so every 4xx a
 * client can get looks the same. The connection is closed: its state is unknown. `refused` is
 * told of each refusal, for /metrics.
 */
export function createClientErrorHandler(refused: (socket: Socket, status: number) => void) {
  return function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
    // A connection that never sent a byte (a preconnect left idle) made no request: just close it.
    if (!socket.writable || err.code === "ECONNRESET" || socket.bytesRead === 0) {
      socket.destroy();
      return;
    }
    const { status, code, message } =
      err.code !== undefined && Object.hasOwn(REFUSAL, err.code)
        ? REFUSAL[err.code]!()
        : apiError("bad_request", "the request is not valid HTTP");
    refused(socket, status);
    // A response already under way on this connection cannot be replaced, only cut (the check
    // Node's own default handler makes, on the same field).
    const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (current?.headersSent) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${REASON[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    // Nothing more is read from a client that was too slow or sent garbage.
    socket.destroySoon();
  };
}
