import type { Socket } from "node:net";
import { Counter, Histogram, collectDefaultMetrics, type Registry } from "prom-client";
import type { FastifyInstance } from "fastify";

/**
 * Status recorded for a request whose client closed the connection before the response was
 * complete (nginx's "client closed request"): an aborted stream, a client that gave up waiting.
 */
export const CLIENT_CLOSED = 499;

interface InFlight {
  route: string;
  method: string;
  started: number;
  /** Set when the connection layer answered for the request (a 408 when its body was too slow). */
  status?: number;
}

/**
 * Request count and latency by route, method and status, plus prom-client's process metrics
 * (CPU, memory, event-loop lag) in the app's own registry. Every request is counted once, when
 * its response closes, however it ended: answered, streamed, aborted by its client (499), or cut
 * off by the request timeout (408). Requests refused before they could be routed (malformed,
 * headers too large or too slow) count under route "unmatched", method "unknown".
 */
export class HttpMetrics {
  readonly #requests: Counter<"route" | "method" | "status">;
  readonly #duration: Histogram<"route" | "method" | "status">;
  /** The request being received on each connection, so the connection layer can report on it. */
  readonly #inFlight = new WeakMap<Socket, InFlight>();

  constructor(registry: Registry) {
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
    this.#requests = new Counter({
      name: "http_requests_total",
      help: "HTTP requests by route, method and status (499: the client closed the connection first; 408: the request arrived too slowly)",
      labelNames: ["route", "method", "status"],
      registers: [registry],
    });
    this.#duration = new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request latency by route, method and status",
      labelNames: ["route", "method", "status"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }

  /** Counts every request of `app`; register before any hook that can refuse a request. */
  register(app: FastifyInstance): void {
    app.addHook("onRequest", (request, reply, done) => {
      const record: InFlight = {
        route: request.routeOptions.url ?? "unmatched",
        method: request.method,
        started: performance.now(),
      };
      const socket = request.raw.socket;
      this.#inFlight.set(socket, record);
      // 'close' comes for every response (after 'finish' when it completed), hijacked streams included.
      reply.raw.once("close", () => {
        if (this.#inFlight.get(socket) === record) this.#inFlight.delete(socket);
        const status = record.status ?? (reply.raw.writableFinished ? reply.raw.statusCode : CLIENT_CLOSED);
        this.#count(record.route, record.method, status, performance.now() - record.started);
      });
      done();
    });
  }

  /**
   * The connection layer refused a request with `status` (see clientErrorHandler). When it was
   * one already routed (its body arrived too slowly), that request is counted with this status
   * when it closes; otherwise the refusal is counted as an unmatched request.
   */
  connectionRefused(socket: Socket, status: number): void {
    const record = this.#inFlight.get(socket);
    if (record) record.status = status;
    else this.#count("unmatched", "unknown", status, 0);
  }

  #count(route: string, method: string, status: number, ms: number): void {
    const labels = { route, method, status: String(status) };
    this.#requests.inc(labels);
    this.#duration.observe(labels, ms / 1000);
  }
}
