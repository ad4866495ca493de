import http from "node:http";
import https from "node:https";
import type { FailureReason } from "./tracing-metrics.js";

export interface OtlpHttpSenderOptions {
  /** Full URL of the OTLP traces endpoint, e.g. https://cloud.langfuse.com/api/public/otel/v1/traces. */
  url: string;
  /** Extra headers (Authorization, x-langfuse-*). */
  headers: Record<string, string>;
  /** One attempt's deadline, connection and response included. */
  timeoutMs: number;
  /** Sockets kept open to the backend; matches the export concurrency. */
  maxSockets: number;
}

export type SendResult =
  | { ok: true; status: number }
  | { ok: false; retryable: boolean; reason: FailureReason; status?: number; retryAfterMs?: number; message: string };

/** Anything that can deliver one encoded OTLP/JSON body. Tests and the spool swap it. */
export interface SpanSender {
  send(body: string): Promise<SendResult>;
  close(): void;
}

/**
 * One POST per call over a keep-alive agent, abandoned at its deadline. It never throws:
 * every outcome is a SendResult, classified for the retry policy.
 */
export class OtlpHttpSender implements SpanSender {
  readonly #url: URL;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #headers: Record<string, string>;

  constructor(private readonly options: OtlpHttpSenderOptions) {
    this.#url = new URL(options.url);
    const secure = this.#url.protocol === "https:";
    this.#agent = secure ? new https.Agent({ keepAlive: true, maxSockets: options.maxSockets }) : new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
    this.#request = secure ? https.request : http.request;
    this.#headers = { ...options.headers, "content-type": "application/json" };
  }

  send(body: string): Promise<SendResult> {
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (result: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const payload = Buffer.from(body, "utf8");
      const req = this.#request(this.#url, {
        method: "POST",
        agent: this.#agent,
        headers: { ...this.#headers, "content-length": String(payload.length) },
      });
      const timer = setTimeout(() => {
        finish({ ok: false, retryable: true, reason: "timeout", message: `no answer within ${this.options.timeoutMs} ms` });
        req.destroy();
      }, this.options.timeoutMs);
      timer.unref();
      req.on("error", (err) => finish({ ok: false, retryable: true, reason: "network", message: err.message }));
      req.on("response", (res) => {
        const status = res.statusCode ?? 0;
        // Drain the body so the socket returns to the pool; its content does not matter.
        res.resume();
        res.on("error", () => {});
        res.on("end", () => finish(classify(status, res.headers["retry-after"])));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function classify(status: number, retryAfter: string | string[] | undefined): SendResult {
  if (status >= 200 && status < 300) return { ok: true, status };
  const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
  if (status === 429) return { ok: false, retryable: true, reason: "http_429", status, retryAfterMs, message: "429 Too Many Requests" };
  if (status >= 500) return { ok: false, retryable: true, reason: "http_5xx", status, retryAfterMs, message: `HTTP ${status}` };
  // 408 is a timeout by another name; every other 4xx will fail the same way again.
  if (status === 408) return { ok: false, retryable: true, reason: "timeout", status, message: "HTTP 408" };
  return { ok: false, retryable: false, reason: "http_4xx", status, message: `HTTP ${status}` };
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
