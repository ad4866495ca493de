import type { SpanFacts } from "../span-facts.js";

/** Where finished observations go: encoded and exported in this thread (EncodingExporter) or in the export worker (WorkerExporter). */
export interface TraceExporter {
  /** One finished observation. The only call on the request path: never throws, never does I/O. */
  push(span: SpanFacts): void;
  /** Seals what is pending and sends what can be sent, waiting up to `timeoutMs`. */
  forceFlush(timeoutMs: number): Promise<void>;
  /** Flushes within `timeoutMs`, then stops; undelivered batches stay in a durable journal. */
  shutdown(timeoutMs: number): Promise<void>;
}
