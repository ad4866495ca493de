import type { Socket } from "node:net";

const STATUS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, "headers_too_large", "the request headers are too large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "request_timeout", "the request took too long to arrive"],
};

/**
 * Answers requests Node's HTTP parser rejects before Fastify sees them (oversized headers,
 * malformed request lines) in the API's error shape instead of Fastify's default body, so every
 * 4xx a client can get looks the same. The connection is closed: its state is unknown.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || (err.code === "ECONNRESET")) {
    socket.destroy();
    return;
  }
  const [status, code, message] = STATUS[err.code ?? ""] ?? [400, "bad_request", "the request is not valid HTTP"];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request"}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
