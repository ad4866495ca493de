import { LANGFUSE_SDK_VERSION, LANGFUSE_TRACER_NAME } from "@langfuse/core";
import { toUnixNanoString } from "../otlp-time.js";
import type { AttributeValue, ResourceInfo, SpanFormat, SpanRecord } from "./span-format.js";

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

/** Encoded spans of a batch are joined with this: valid JSON between array items, and never inside an encoded span (JSON escapes newlines), so a batch can be split again. */
const SPAN_SEPARATOR = ",\n";

/**
 * OTLP/JSON: each span a string built once when the observation ends; a batch is those strings
 * joined inside a fixed envelope. Readable on the wire, at the price of escaping every
 * JSON-valued attribute (input, output) a second time.
 */
export class OtlpJsonFormat implements SpanFormat<string> {
  readonly name = "json";
  readonly contentType = "application/json";
  readonly #prefix: string;
  readonly #suffix = `]}]}]}`;

  constructor(resource: ResourceInfo) {
    const resourceAttrs = [
      `{"key":"service.name","value":{"stringValue":${q(resource.serviceName)}}}`,
      `{"key":"service.version","value":{"stringValue":${q(resource.serviceVersion)}}}`,
      `{"key":"telemetry.sdk.language","value":{"stringValue":"nodejs"}}`,
      `{"key":"telemetry.sdk.name","value":{"stringValue":"switchboard"}}`,
    ].join(",");
    // Langfuse's own instrumentation scope: Langfuse reads our spans exactly as it reads its SDK's.
    this.#prefix = `{"resourceSpans":[{"resource":{"attributes":[${resourceAttrs}]},"scopeSpans":[{"scope":{"name":"${LANGFUSE_TRACER_NAME}","version":"${LANGFUSE_SDK_VERSION}"},"spans":[`;
  }

  /** Attributes as comma-separated OTLP/JSON KeyValues (no brackets), so fragments can be joined. */
  encodeAttributes(attributes: Record<string, AttributeValue | undefined>): string {
    let out = "";
    for (const key in attributes) {
      const value = attributes[key];
      if (value === undefined) continue;
      out += `${out ? "," : ""}{"key":${q(key)},"value":${encodeValue(value)}}`;
    }
    return out;
  }

  encodeSpan(span: SpanRecord<string>): string {
    // Shared fragments first, in order, then the span's own attributes (as the protobuf format writes them).
    let attrs = "";
    if (span.shared)
      for (const fragment of span.shared) if (fragment) attrs = attrs ? `${attrs},${fragment}` : fragment;
    const own = this.encodeAttributes(span.attributes);
    if (own) attrs = attrs ? `${attrs},${own}` : own;
    const parent = span.parentSpanId ? `,"parentSpanId":"${span.parentSpanId}"` : "";
    const status = span.errorMessage === undefined ? `{"code":0}` : `{"code":2,"message":${q(span.errorMessage)}}`;
    return (
      `{"traceId":"${span.traceId}","spanId":"${span.spanId}"${parent},"name":${q(span.name)},"kind":1,` +
      `"startTimeUnixNano":"${toUnixNanoString(span.startMs)}","endTimeUnixNano":"${toUnixNanoString(span.endMs)}",` +
      `"attributes":[${attrs}],"status":${status}}`
    );
  }

  sizeOf(encoded: string): number {
    return encoded.length;
  }

  byteLength(encoded: string): number {
    return Buffer.byteLength(encoded);
  }

  join(spans: readonly string[]): string {
    return spans.join(SPAN_SEPARATOR);
  }

  split(payload: string): string[] {
    return payload.split(SPAN_SEPARATOR);
  }

  body(payload: string): string {
    return this.#prefix + payload + this.#suffix;
  }
}
