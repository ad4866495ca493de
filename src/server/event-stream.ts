import type { FastifyReply, FastifyRequest } from "fastify";
import type { ServerResponse } from "node:http";

/** One event of a stream: `data: <json>`, preceded by `event: <name>` when named. */
export interface StreamEvent {
  data: unknown;
  event?: string;
}

/**
 * One Server-Sent Events answer, taken over from Fastify (hijacked): the one writer of every SSE
 * route. Its 200 and headers go out only with the first event (`open()`), so a turn that fails
 * before producing anything (unknown session, model down) can still be answered with a real
 * status code and a JSON error, which every client (OpenAI's included) turns into its usual error.
 * A route that uses it declares itself a stream (route-kinds.ts), so it counts against
 * MAX_STREAMS_PER_KEY.
 */
export class EventStream {
  readonly #res: ServerResponse;
  readonly #gone = new AbortController();
  readonly #headers: Record<string, string>;

  /** `headers` go out with the 200 (the request id is added). */
  constructor(request: FastifyRequest, reply: FastifyReply, headers: Record<string, string>) {
    reply.hijack();
    this.#res = reply.raw;
    this.#headers = { ...headers, "x-request-id": request.id };
    this.#res.on("close", () => {
      if (!this.#res.writableFinished) this.#gone.abort();
    });
  }

  /** Aborted when the client goes away before the answer is complete. */
  get clientSignal(): AbortSignal {
    return this.#gone.signal;
  }

  get opened(): boolean {
    return this.#res.headersSent;
  }

  /** Sends the 200 and headers unless already sent; true when this call sent them. */
  open(): boolean {
    if (this.#res.headersSent || this.#res.destroyed) return false;
    this.#res.writeHead(200, {
      // The turn's Server-Timing is only known at the end: sent as a trailer.
      trailer: "Server-Timing",
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      ...this.#headers,
    });
    return true;
  }

  /** One event: `data: <json>`, preceded by `event: <name>` when named (the Responses API names its events). */
  send(data: unknown, event?: string): void {
    if (!this.#res.destroyed) this.#res.write(frame({ data, event }));
  }

  /** Several events in one write (one chunk on the wire), so a client reads them together. */
  sendAll(events: readonly StreamEvent[]): void {
    if (!this.#res.destroyed) this.#res.write(events.map(frame).join(""));
  }

  sendRaw(text: string): void {
    if (!this.#res.destroyed) this.#res.write(text);
  }

  /** Before the stream opened: answers the error as a plain JSON response with its status. */
  failBeforeOpen(status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (this.#res.headersSent || this.#res.destroyed) return;
    const text = JSON.stringify(body);
    this.#res.writeHead(status, {
      ...headers,
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
      "x-request-id": this.#headers["x-request-id"] ?? "",
    });
    this.#res.write(text);
  }

  /** Ends the stream; `serverTiming`, when given and the stream is open, goes out as the trailer. */
  end(serverTiming?: string): void {
    if (serverTiming && this.#res.headersSent && !this.#res.destroyed)
      this.#res.addTrailers({ "Server-Timing": serverTiming });
    this.#res.end();
  }
}

function frame({ data, event }: StreamEvent): string {
  return event ? `event: ${event}\ndata: ${JSON.stringify(data)}\n\n` : `data: ${JSON.stringify(data)}\n\n`;
}
