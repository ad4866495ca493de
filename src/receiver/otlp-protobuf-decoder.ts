// Reads an OTLP/protobuf ExportTraceServiceRequest (what @opentelemetry/exporter-trace-otlp-proto
// sends) into flat OtlpSpans.
import { exportTraceServiceRequestType } from "./otlp-trace-proto.js";
import { OtlpDecodeError, type OtlpAttributes, type OtlpSpan, type OtlpSpanOrigin } from "./otlp-span.js";
import { bytesToHex, int64ToNumber, nanosToIso } from "./otlp-values.js";

// Shapes of the protobufjs-decoded message. Unset scalar fields read as the proto3 default
// (from the prototype), so emptiness is tested by value, not by presence.
interface PbAnyValue {
  value?: string; // name of the oneof member that is set
  stringValue: string;
  boolValue: boolean;
  intValue: unknown;
  doubleValue: number;
  arrayValue?: { values: PbAnyValue[] };
  kvlistValue?: { values: PbKeyValue[] };
  bytesValue: Uint8Array;
}
interface PbKeyValue {
  key: string;
  value?: PbAnyValue;
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: unknown;
  endTimeUnixNano: unknown;
  attributes: PbKeyValue[];
  status?: { code: number; message: string };
}
interface PbRequest {
  resourceSpans: Array<{
    resource?: { attributes: PbKeyValue[] };
    scopeSpans: Array<{ scope?: { name: string; version: string }; spans: PbSpan[] }>;
  }>;
}

function anyValueToJs(value: PbAnyValue | undefined): unknown {
  switch (value?.value) {
    case "stringValue":
      return value.stringValue;
    case "boolValue":
      return value.boolValue;
    case "intValue":
      return int64ToNumber(value.intValue);
    case "doubleValue":
      return value.doubleValue;
    case "arrayValue":
      return (value.arrayValue?.values ?? []).map(anyValueToJs);
    case "kvlistValue":
      return keyValuesToAttributes(value.kvlistValue?.values ?? []);
    case "bytesValue":
      return Buffer.from(value.bytesValue).toString("base64");
    default:
      return null;
  }
}

function keyValuesToAttributes(keyValues: PbKeyValue[]): OtlpAttributes {
  const attributes: OtlpAttributes = {};
  for (const kv of keyValues) attributes[kv.key] = anyValueToJs(kv.value);
  return attributes;
}

/** Decodes a protobuf body. Throws OtlpDecodeError when the bytes are not a valid request. */
export function decodeOtlpProtobuf(body: Uint8Array): OtlpSpan[] {
  let request: PbRequest;
  try {
    request = exportTraceServiceRequestType.decode(body) as unknown as PbRequest;
  } catch (err) {
    throw new OtlpDecodeError(`invalid protobuf ExportTraceServiceRequest: ${(err as Error).message}`);
  }
  const spans: OtlpSpan[] = [];
  request.resourceSpans.forEach((resourceSpans, r) => {
    const resourceAttributes = keyValuesToAttributes(resourceSpans.resource?.attributes ?? []);
    resourceSpans.scopeSpans.forEach((scopeSpans, s) => {
      const origin: OtlpSpanOrigin = {
        resourceAttributes,
        scopeName: scopeSpans.scope?.name ?? "",
        scopeVersion: scopeSpans.scope?.version ?? "",
      };
      scopeSpans.spans.forEach((span, i) => {
        spans.push(decodeSpan(span, `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`, origin));
      });
    });
  });
  return spans;
}

function decodeSpan(span: PbSpan, where: string, origin: OtlpSpanOrigin): OtlpSpan {
  if (span.traceId.length !== 16) throw new OtlpDecodeError(`${where}.traceId must be 16 bytes`);
  if (span.spanId.length !== 8) throw new OtlpDecodeError(`${where}.spanId must be 8 bytes`);
  const parentLength = span.parentSpanId.length;
  if (parentLength !== 0 && parentLength !== 8) {
    throw new OtlpDecodeError(`${where}.parentSpanId must be empty or 8 bytes`);
  }
  const start = nanosToIso(span.startTimeUnixNano);
  const end = nanosToIso(span.endTimeUnixNano);
  const fallback = start ?? end ?? new Date().toISOString();
  return {
    traceId: bytesToHex(span.traceId),
    spanId: bytesToHex(span.spanId),
    parentSpanId: parentLength === 0 ? null : bytesToHex(span.parentSpanId),
    name: span.name,
    kind: span.kind,
    startTime: start ?? fallback,
    endTime: end ?? fallback,
    attributes: keyValuesToAttributes(span.attributes),
    statusCode: span.status?.code ?? 0,
    statusMessage: span.status?.message ? span.status.message : null,
    origin,
  };
}
