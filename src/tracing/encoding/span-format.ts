/** Encoded bytes of a format: text for OTLP/JSON, bytes for OTLP/protobuf. */
export type Encoded = string | Uint8Array;

/** A request body: one piece, or pieces sent in order. */
export type RequestBody = string | Uint8Array | readonly (string | Uint8Array)[];

/** Who sends: the OTLP resource of every request, and the instrumentation scope its spans are under. */
export interface ResourceInfo {
  serviceName: string;
  /** The application's version: `service.version`, `telemetry.sdk.version` and the scope's version. */
  serviceVersion: string;
}

/**
 * An OTLP wire format's payloads: a batch's payload is its encoded spans joined as they are
 * (never re-encoded), and a request body is the payload inside the envelope. Our spans are
 * protobuf (OtlpSpanWriter); a journal written by an older version may still hold OTLP/JSON
 * batches, which are sent as what they are.
 */
export interface SpanFormat<E extends Encoded = Encoded> {
  readonly name: "json" | "protobuf";
  /** The request's Content-Type. */
  readonly contentType: string;
  /** Size in bytes on the wire; for text an upper bound is enough (UTF-16 units, at most 3 bytes each). */
  sizeOf(encoded: E): number;
  /** Exact UTF-8 / byte size. */
  byteLength(encoded: E): number;
  /** A batch's payload: its spans, joined. */
  join(spans: readonly E[]): E;
  /** The spans of a payload again (to split a batch Langfuse found too large). */
  split(payload: E): E[];
  /** The request body for one payload, in pieces written one after the other (the payload itself is not copied). */
  body(payload: E): RequestBody;
}
