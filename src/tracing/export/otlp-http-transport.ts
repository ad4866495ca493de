import http from "node:http";
import https from "node:https";
import type { RequestBody } from "../encoding/span-format.js";
import { outcomeOfStatus, type ExportTransport, type SendOutcome } from "./send-outcome.js";

export interface OtlpHttpTransportOptions {
  /** Full URL of the OTLP traces endpoint, e.g. https://cloud.langfuse.com/api/public/otel/v1/traces. */
  url: string;
  /** Extra headers (Authorization, x-langfuse-*). */
  headers: Record<string, string>;
  /** One attempt's deadline, from the request to the end of the answer. */
  timeoutMs: number;
  /** Sockets kept open to the backend; matches the export concurrency. */
  maxSockets: number;
}

/**
 * One POST per call over a keep-alive agent, abandoned at its deadline. It never throws, and it
 * tells apart the failures after which Langfuse cannot have stored the batch (the body was not
 * completely written) from those where it may have (written, then no answer).
 */
export class OtlpHttpTransport implements ExportTransport {
  readonly #url: URL;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #headers: Record<string, string>;

  readonly #options: OtlpHttpTransportOptions;

  constructor(options: OtlpHttpTransportOptions) {
    this.#options = options;
    this.#url = new URL(options.url);
    const secure = this.#url.protocol === "https:";
    this.#agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: options.maxSockets })
      : new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
    this.#request = secure ? https.request : http.request;
    this.#headers = options.headers;
  }

  send(body: RequestBody, contentType: string): Promise<SendOutcome> {
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      let written = false;
      let answered = false;
      const finish = (outcome: SendOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      let req: http.ClientRequest;
      try {
        const pieces = (Array.isArray(body) ? body : [body]) as readonly (string | Uint8Array)[];
        let length = 0;
        for (const piece of pieces) length += typeof piece === "string" ? Buffer.byteLength(piece) : piece.byteLength;
        req = this.#request(this.#url, {
          method: "POST",
          agent: this.#agent,
          headers: { ...this.#headers, "content-type": contentType, "content-length": String(length) },
        });
        // Written in order, corked into one writev: the payload is never copied into a body buffer.
        req.cork();
        for (const piece of pieces) req.write(piece);
        req.end();
      } catch (err) {
        // e.g. an invalid header value: nothing went out.
        resolve({ kind: "not_stored", reason: "network", message: (err as Error).message });
        return;
      }
      // 'finish': the whole body was handed to the operating system.
      req.on("finish", () => (written = true));
      const timer = setTimeout(() => {
        const message = `no answer within ${this.#options.timeoutMs} ms`;
        finish(
          written
            ? { kind: "unknown", reason: "timeout", message }
            : { kind: "not_stored", reason: "timeout", message },
        );
        req.destroy();
      }, this.#options.timeoutMs);
      timer.unref();
      req.on("error", (err: NodeJS.ErrnoException) => {
        // A kept-alive socket the server had already closed: it never read this request.
        const staleSocket = req.reusedSocket && !answered && (err.code === "ECONNRESET" || err.code === "EPIPE");
        finish(
          written && !staleSocket
            ? { kind: "unknown", reason: "network", message: err.message }
            : { kind: "not_stored", reason: "network", message: err.message },
        );
      });
      req.on("response", (res) => {
        answered = true;
        const status = res.statusCode ?? 0;
        // Drain the body so the socket returns to the pool; its content does not matter.
        res.resume();
        res.on("error", () => {});
        res.on("end", () => finish(outcomeOfStatus(status, parseRetryAfter(headerValue(res.headers["retry-after"])))));
      });
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const HTTP_DATE = /^[A-Za-z]{3,9},? .*\b\d{2}:\d{2}:\d{2}\b/;

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // Only the HTTP-date forms (IMF-fixdate, RFC 850, asctime: a day name and a time of day).
  // Date.parse alone reads "-1" or "1 2" as dates in 2001, which would mean "retry now".
  if (!HTTP_DATE.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
