import { LANGFUSE_SDK_VERSION, LANGFUSE_TRACER_NAME } from "@langfuse/core";
import { toUnixNanoString } from "./otlp-time.js";

export type AttributeValue = string | number | boolean | readonly string[];

/** A finished span, as the pipeline holds it until it is encoded. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  startMs: number;
  endMs: number;
  /**
   * Attributes already encoded with `encodeAttributes`, shared by several spans (the turn's
   * trace context): encoded once per turn, joined into each span as they are.
   */
  shared?: readonly string[];
  /** This span's own attributes; undefined values are left out. */
  attributes: Record<string, AttributeValue | undefined>;
  /** Set when the observation failed: OTLP status ERROR with this message. */
  errorMessage?: string;
}

const q = JSON.stringify;

function encodeValue(value: AttributeValue): string {
  switch (typeof value) {
    case "string":
      return `{"stringValue":${q(value)}}`;
    case "boolean":
      return `{"boolValue":${value}}`;
    case "number":
      return Number.isInteger(value) ? `{"intValue":"${value}"}` : `{"doubleValue":${value}}`;
    default:
      return `{"arrayValue":{"values":[${value.map((v) => `{"stringValue":${q(v)}}`).join(",")}]}}`;
  }
}

/** Attributes as comma-separated OTLP/JSON KeyValues (no brackets), so fragments can be joined. */
export function encodeAttributes(attributes: Record<string, AttributeValue | undefined>): string {
  let out = "";
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    out += `${out ? "," : ""}{"key":${q(key)},"value":${encodeValue(value)}}`;
  }
  return out;
}

/**
 * One span as an element of OTLP/JSON `scopeSpans[].spans`, built as a string once when the
 * observation ends. Batches are then joined, never re-serialized: the exporter's work per
 * batch is a string concatenation, whatever the payload sizes.
 */
export function encodeSpan(span: SpanRecord): string {
  let attrs = encodeAttributes(span.attributes);
  if (span.shared) for (const fragment of span.shared) if (fragment) attrs = attrs ? `${fragment},${attrs}` : fragment;
  const parent = span.parentSpanId ? `,"parentSpanId":"${span.parentSpanId}"` : "";
  const status = span.errorMessage === undefined ? `{"code":0}` : `{"code":2,"message":${q(span.errorMessage)}}`;
  return (
    `{"traceId":"${span.traceId}","spanId":"${span.spanId}"${parent},"name":${q(span.name)},"kind":1,` +
    `"startTimeUnixNano":"${toUnixNanoString(span.startMs)}","endTimeUnixNano":"${toUnixNanoString(span.endMs)}",` +
    `"attributes":[${attrs}],"status":${status}}`
  );
}

export interface ResourceInfo {
  serviceName: string;
  serviceVersion: string;
}

/**
 * The envelope around encoded spans. The instrumentation scope is Langfuse's own
 * (`langfuse-sdk` with the SDK version installed), so Langfuse reads our spans exactly as it
 * reads the SDK's: the attributes are the same ones the SDK writes.
 */
export function createBatchEnvelope(resource: ResourceInfo): { prefix: string; suffix: string } {
  const resourceAttrs = [
    `{"key":"service.name","value":{"stringValue":${q(resource.serviceName)}}}`,
    `{"key":"service.version","value":{"stringValue":${q(resource.serviceVersion)}}}`,
    `{"key":"telemetry.sdk.language","value":{"stringValue":"nodejs"}}`,
    `{"key":"telemetry.sdk.name","value":{"stringValue":"switchboard"}}`,
  ].join(",");
  return {
    prefix: `{"resourceSpans":[{"resource":{"attributes":[${resourceAttrs}]},"scopeSpans":[{"scope":{"name":"${LANGFUSE_TRACER_NAME}","version":"${LANGFUSE_SDK_VERSION}"},"spans":[`,
    suffix: `]}]}]}`,
  };
}
