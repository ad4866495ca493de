import { otlpScope, resourceAttributes } from "./otlp-scope.js";
import { ProtobufWriter, tag, varintSize, WIRE_LEN } from "./protobuf-writer.js";
import type { ResourceInfo, SpanFormat } from "./span-format.js";

// The envelope of OTLP/protobuf batches (opentelemetry-proto collector/trace/v1):
//
//   ExportTraceServiceRequest { 1: ResourceSpans { 1: Resource { 1: KeyValue* }
//                                                  2: ScopeSpans { 1: InstrumentationScope { 1: name, 2: version }
//                                                                  2: Span* } } }
//
// A span is encoded (OtlpSpanWriter) as a complete `ScopeSpans.spans` entry, so a payload is
// spans concatenated and a request is this envelope in front of it.

/** Reads one varint at `pos`; returns [value, next position]. */
function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 0x80;
  }
}

/** OTLP/protobuf (`application/x-protobuf`, which Langfuse's OTel endpoint accepts). */
export class OtlpProtobufFormat implements SpanFormat<Uint8Array> {
  readonly name = "protobuf";
  readonly contentType = "application/x-protobuf";
  /** ResourceSpans.resource, and ScopeSpans.scope: the same for every request. */
  readonly #resource: Buffer;
  readonly #scope: Buffer;

  constructor(resource: ResourceInfo) {
    const w = new ProtobufWriter(1024);
    const resourceField = w.open(1, 64);
    for (const [key, value] of Object.entries(resourceAttributes(resource))) {
      const kv = w.open(1, key.length + value.length + 6);
      const k = w.open(1, key.length);
      w.utf8(key);
      w.close(k);
      const any = w.open(2, value.length + 2);
      const str = w.open(1, value.length);
      w.utf8(value);
      w.close(str);
      w.close(any);
      w.close(kv);
    }
    w.close(resourceField);
    this.#resource = w.takeFrom(0);
    const scope = otlpScope(resource);
    const scopeField = w.open(1, scope.name.length + scope.version.length + 4);
    for (const [field, text] of [
      [1, scope.name],
      [2, scope.version],
    ] as const) {
      const m = w.open(field, text.length);
      w.utf8(text);
      w.close(m);
    }
    w.close(scopeField);
    this.#scope = w.takeFrom(0);
  }

  sizeOf(encoded: Uint8Array): number {
    return encoded.length;
  }

  byteLength(encoded: Uint8Array): number {
    return encoded.length;
  }

  /** One buffer of its own (never a slice of Node's shared pool), so it can be kept as long as the batch lives. */
  join(spans: readonly Uint8Array[]): Uint8Array {
    let total = 0;
    for (const s of spans) total += s.length;
    const out = Buffer.allocUnsafeSlow(total);
    let p = 0;
    for (const s of spans) {
      out.set(s, p);
      p += s.length;
    }
    return out;
  }

  split(payload: Uint8Array): Uint8Array[] {
    const spans: Uint8Array[] = [];
    let pos = 0;
    while (pos < payload.length) {
      const [length, body] = readVarint(payload, pos + 1);
      spans.push(payload.subarray(pos, body + length));
      pos = body + length;
    }
    return spans;
  }

  /** The envelope's head, then the payload as it is (sent without a copy). */
  body(payload: Uint8Array): readonly Uint8Array[] {
    const scopeSpans = this.#scope.length + payload.length;
    const scopeSpansField = 1 + varintSize(scopeSpans) + scopeSpans;
    const resourceSpans = this.#resource.length + scopeSpansField;
    const w = new ProtobufWriter(this.#resource.length + this.#scope.length + 16);
    w.byte(tag(1, WIRE_LEN));
    w.varint(resourceSpans);
    w.bytes(this.#resource);
    w.byte(tag(2, WIRE_LEN));
    w.varint(scopeSpans);
    w.bytes(this.#scope);
    return [w.buf.subarray(0, w.pos), payload];
  }
}
