import type { ProtobufWriter } from "../encoding/protobuf-writer.js";

/**
 * Where finished observations go: each is written as its OTLP span straight into the open
 * batch's buffer, then batched, journaled and delivered (SpanExporter). The span calls are the
 * only ones on the request path: they never throw and never do I/O.
 */
export interface TraceExporter {
  /** Where the next span is written, or null when it is dropped (counted: shutdown, memory bound). */
  beginSpan(): ProtobufWriter | null;
  /** The span written since `beginSpan` is complete. */
  commitSpan(): void;
  /** The span written since `beginSpan` is abandoned (it could not be encoded). */
  abortSpan(): void;
  /** Seals what is pending and sends what can be sent, waiting up to `timeoutMs`. */
  forceFlush(timeoutMs: number): Promise<void>;
  /** Flushes within `timeoutMs`, then stops; undelivered batches stay in a durable journal. */
  shutdown(timeoutMs: number): Promise<void>;
}
