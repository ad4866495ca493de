// Reads an OTLP/JSON ExportTraceServiceRequest (what @opentelemetry/exporter-trace-otlp-http and
// the Langfuse SDK send) into flat OtlpSpans.
import { OtlpDecodeError, type OtlpAttributes, type OtlpSpan, type OtlpSpanOrigin } from "./otlp-span.js";
import { int64ToNumber, jsonIdToHex, nanosToIso } from "./otlp-values.js";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function arrayAt(parent: JsonObject, key: string, where: string): unknown[] {
  const value = parent[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpDecodeError(`${where}.${key} must be an array`);
  return value;
}

function anyValueToJs(value: unknown): unknown {
  if (!isObject(value)) return null;
  if ("stringValue" in value) return value.stringValue;
  if ("boolValue" in value) return value.boolValue;
  if ("intValue" in value) return int64ToNumber(value.intValue);
  if ("doubleValue" in value) return Number(value.doubleValue);
  if ("arrayValue" in value) {
    const values = isObject(value.arrayValue) ? value.arrayValue.values : undefined;
    return Array.isArray(values) ? values.map(anyValueToJs) : [];
  }
  if ("kvlistValue" in value) {
    const values = isObject(value.kvlistValue) ? value.kvlistValue.values : undefined;
    return Array.isArray(values) ? keyValuesToAttributes(values) : {};
  }
  if ("bytesValue" in value) return value.bytesValue;
  return null;
}

function keyValuesToAttributes(keyValues: unknown[]): OtlpAttributes {
  const attributes: OtlpAttributes = {};
  for (const kv of keyValues) {
    if (isObject(kv) && typeof kv.key === "string") attributes[kv.key] = anyValueToJs(kv.value);
  }
  return attributes;
}

/** Decodes an already JSON.parse'd body. Throws OtlpDecodeError when it is not OTLP. */
export function decodeOtlpJson(body: unknown): OtlpSpan[] {
  if (!isObject(body)) throw new OtlpDecodeError("body must be a JSON object (ExportTraceServiceRequest)");
  const spans: OtlpSpan[] = [];
  const resourceSpansList = arrayAt(body, "resourceSpans", "body");
  for (let r = 0; r < resourceSpansList.length; r++) {
    const resourceSpans = resourceSpansList[r];
    const rWhere = `resourceSpans[${r}]`;
    if (!isObject(resourceSpans)) throw new OtlpDecodeError(`${rWhere} must be an object`);
    const resource = isObject(resourceSpans.resource) ? resourceSpans.resource : {};
    const resourceAttributes = keyValuesToAttributes(arrayAt(resource, "attributes", `${rWhere}.resource`));
    const scopeSpansList = arrayAt(resourceSpans, "scopeSpans", rWhere);
    for (let s = 0; s < scopeSpansList.length; s++) {
      const scopeSpans = scopeSpansList[s];
      const sWhere = `${rWhere}.scopeSpans[${s}]`;
      if (!isObject(scopeSpans)) throw new OtlpDecodeError(`${sWhere} must be an object`);
      const scope = isObject(scopeSpans.scope) ? scopeSpans.scope : {};
      const origin: OtlpSpanOrigin = {
        resourceAttributes,
        scopeName: typeof scope.name === "string" ? scope.name : "",
        scopeVersion: typeof scope.version === "string" ? scope.version : "",
      };
      const spanList = arrayAt(scopeSpans, "spans", sWhere);
      for (let i = 0; i < spanList.length; i++) {
        spans.push(decodeSpan(spanList[i], `${sWhere}.spans[${i}]`, origin));
      }
    }
  }
  return spans;
}

function decodeSpan(span: unknown, where: string, origin: OtlpSpanOrigin): OtlpSpan {
  if (!isObject(span)) throw new OtlpDecodeError(`${where} must be an object`);
  const traceId = jsonIdToHex(span.traceId, 16);
  if (traceId === null) throw new OtlpDecodeError(`${where}.traceId must be 16 bytes as hex or base64`);
  const spanId = jsonIdToHex(span.spanId, 8);
  if (spanId === null) throw new OtlpDecodeError(`${where}.spanId must be 8 bytes as hex or base64`);
  let parentSpanId: string | null = null;
  if (span.parentSpanId !== undefined && span.parentSpanId !== null && span.parentSpanId !== "") {
    parentSpanId = jsonIdToHex(span.parentSpanId, 8);
    if (parentSpanId === null) throw new OtlpDecodeError(`${where}.parentSpanId must be 8 bytes as hex or base64`);
  }
  const start = nanosToIso(span.startTimeUnixNano);
  const end = nanosToIso(span.endTimeUnixNano);
  const fallback = start ?? end ?? new Date().toISOString();
  const status = isObject(span.status) ? span.status : {};
  return {
    traceId,
    spanId,
    parentSpanId,
    name: typeof span.name === "string" ? span.name : "",
    kind: typeof span.kind === "number" ? span.kind : 0,
    startTime: start ?? fallback,
    endTime: end ?? fallback,
    attributes: keyValuesToAttributes(arrayAt(span, "attributes", where)),
    statusCode: typeof status.code === "number" ? status.code : 0,
    statusMessage: typeof status.message === "string" && status.message !== "" ? status.message : null,
    origin,
  };
}
