/** An attribute value as OTLP carries it. */
export type AttributeValue = string | number | boolean | readonly string[];

/** Encoded bytes of a format: text for OTLP/JSON, bytes for OTLP/protobuf. */
export type Encoded = string | Uint8Array;

/** A finished span, as the pipeline holds it until it is encoded. */
export interface SpanRecord<E extends Encoded = Encoded> {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  startMs: number;
  endMs: number;
  /**
   * Attributes already encoded with the format's `encodeAttributes`, shared by several spans
   * (the turn's trace context): encoded once per turn, joined into each span as they are.
   */
  shared?: readonly E[];
  /** This span's own attributes; undefined values are left out. */
  attributes: Record<string, AttributeValue | undefined>;
  /** Set when the observation failed: OTLP status ERROR with this message. */
  errorMessage?: string;
}

/** Who sends: the OTLP resource of every request. */
export interface ResourceInfo {
  serviceName: string;
  serviceVersion: string;
}

/**
 * One OTLP wire format, end to end: spans are encoded once when they end, a batch's payload is
 * its spans joined as they are (never re-encoded), and a request body is the payload inside the
 * envelope. The exporter handles payloads without knowing which format they are in.
 */
export interface SpanFormat<E extends Encoded = Encoded> {
  readonly name: "json" | "protobuf";
  /** The request's Content-Type. */
  readonly contentType: string;
  encodeAttributes(attributes: Record<string, AttributeValue | undefined>): E;
  encodeSpan(span: SpanRecord<E>): E;
  /** Size in bytes on the wire; for text an upper bound is enough (UTF-16 units, at most 3 bytes each). */
  sizeOf(encoded: E): number;
  /** Exact UTF-8 / byte size. */
  byteLength(encoded: E): number;
  /** A batch's payload: its spans, joined. */
  join(spans: readonly E[]): E;
  /** The spans of a payload again (to split a batch Langfuse found too large). */
  split(payload: E): E[];
  /** The request body for one payload. */
  body(payload: E): string | Uint8Array;
}
