// One OTLP span, flattened out of ResourceSpans/ScopeSpans into plain JavaScript values: the
// common form both the JSON and the protobuf decoders produce, and the mapping consumes.

/** Attributes of a resource, scope, span or event, with OTLP AnyValues turned into JS values. */
export type OtlpAttributes = Record<string, unknown>;

/** The resource and instrumentation scope a span was sent under (shared by its siblings). */
export interface OtlpSpanOrigin {
  /** Resource attributes (service.name, telemetry.sdk.*, langfuse.environment, ...). */
  resourceAttributes: OtlpAttributes;
  /** Instrumentation scope name, e.g. "langfuse-sdk". Empty when absent. */
  scopeName: string;
  /** Instrumentation scope version. Empty when absent. */
  scopeVersion: string;
}

export interface OtlpSpan {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  spanId: string;
  /** 16 lowercase hex characters, or null for a span without a parent. */
  parentSpanId: string | null;
  name: string;
  /** OTLP SpanKind number (0 unspecified, 1 internal, 2 server, 3 client, ...). */
  kind: number;
  /** ISO 8601 with milliseconds, like Langfuse stores it. */
  startTime: string;
  /** ISO 8601 with milliseconds; equals startTime when the span carried no end time. */
  endTime: string;
  attributes: OtlpAttributes;
  /** OTLP StatusCode (0 unset, 1 ok, 2 error). */
  statusCode: number;
  statusMessage: string | null;
  origin: OtlpSpanOrigin;
}

/** A request body that is not a valid OTLP ExportTraceServiceRequest. Answered with 400. */
export class OtlpDecodeError extends Error {
  override readonly name = "OtlpDecodeError";
}
