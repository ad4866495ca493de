import { otlpScope, resourceAttributes } from "./otlp-scope.js";
import type { ResourceInfo, SpanFormat } from "./span-format.js";

const q = JSON.stringify;

/** Encoded spans of a batch are joined with this: valid JSON between array items, and never inside an encoded span (JSON escapes newlines), so a batch can be split again. */
const SPAN_SEPARATOR = ",\n";

/**
 * OTLP/JSON payloads: spans as JSON text joined inside a fixed envelope. Our pipeline writes
 * protobuf; this format sends what a journal of an older version (LANGFUSE_EXPORT_FORMAT=json)
 * still holds, and gives the delivery tests payloads they can read.
 */
export class OtlpJsonFormat implements SpanFormat<string> {
  readonly name = "json";
  readonly contentType = "application/json";
  readonly #prefix: string;
  readonly #suffix = `]}]}]}`;

  constructor(resource: ResourceInfo) {
    const resourceAttrs = Object.entries(resourceAttributes(resource))
      .map(([key, value]) => `{"key":${q(key)},"value":{"stringValue":${q(value)}}}`)
      .join(",");
    const scope = otlpScope(resource);
    this.#prefix = `{"resourceSpans":[{"resource":{"attributes":[${resourceAttrs}]},"scopeSpans":[{"scope":{"name":${q(scope.name)},"version":${q(scope.version)}},"spans":[`;
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

  body(payload: string): readonly string[] {
    return [this.#prefix, payload, this.#suffix];
  }
}
