/** Where finished observations go, as encoded spans: batched, journaled and delivered (SpanExporter). */
export interface TraceExporter {
  /** One encoded span. The only call on the request path: never throws, never does I/O. */
  push(span: Uint8Array): void;
  /** Seals what is pending and sends what can be sent, waiting up to `timeoutMs`. */
  forceFlush(timeoutMs: number): Promise<void>;
  /** Flushes within `timeoutMs`, then stops; undelivered batches stay in a durable journal. */
  shutdown(timeoutMs: number): Promise<void>;
}
