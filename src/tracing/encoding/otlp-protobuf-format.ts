import { LANGFUSE_SDK_VERSION, LANGFUSE_TRACER_NAME } from "@langfuse/core";
import type { AttributeValue, ResourceInfo, SpanFormat, SpanRecord } from "./span-format.js";

// OTLP/protobuf, written by hand for the handful of fields we send (opentelemetry-proto
// trace/v1 and common/v1). A generic protobuf library would build an object tree per span and
// walk it again to encode; here each span is written once, straight into bytes, and its
// JSON-valued attributes (input, output) are copied as UTF-8 instead of being escaped again.
//
//   ExportTraceServiceRequest { 1: ResourceSpans { 1: Resource { 1: KeyValue* }
//                                                  2: ScopeSpans { 1: InstrumentationScope { 1: name, 2: version }
//                                                                  2: Span* } } }
//   Span { 1: trace_id bytes, 2: span_id bytes, 4: parent_span_id bytes, 5: name, 6: kind,
//          7: start fixed64, 8: end fixed64, 9: KeyValue*, 15: Status { 2: message, 3: code } }
//   KeyValue { 1: key, 2: AnyValue { 1: string | 2: bool | 3: int64 | 4: double | 5: ArrayValue { 1: AnyValue* } } }

const LEN = 2; // wire type: length-delimited
const VARINT = 0;
const I64 = 1;
const tag = (field: number, wire: number) => (field << 3) | wire;

/** Bytes a varint takes. */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

const utf8Write = (Buffer.prototype as unknown as { utf8Write?: (s: string, offset: number, length: number) => number })
  .utf8Write;

/** A growing byte buffer, reused for every span: one span's bytes are copied out once. */
class Writer {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  /** `len` bytes of `s` as UTF-8 (the caller knows the length). */
  utf8(s: string, len: number): void {
    // Buffer's own utf8Write, as protobufjs uses it: write() without the argument checks.
    if (utf8Write) utf8Write.call(this.buf, s, this.pos, len);
    else this.buf.write(s, this.pos, len, "utf8");
    this.pos += len;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  hex(s: string): void {
    this.pos += this.buf.write(s, this.pos, s.length >> 1, "hex");
  }

  /** Epoch milliseconds (sub-millisecond fraction kept) as fixed64 nanoseconds, exactly. */
  fixed64Nanos(ms: number): void {
    const whole = Math.floor(ms);
    const frac = Math.round((ms - whole) * 1e6);
    // whole * 1e6 needs ~61 bits: split it so every step stays exact in a double.
    const hi32 = Math.floor(whole / 0x100000000);
    const lo32 = whole - hi32 * 0x100000000;
    const low = lo32 * 1e6 + frac;
    const carry = Math.floor(low / 0x100000000);
    this.buf.writeUInt32LE(low - carry * 0x100000000, this.pos);
    this.buf.writeUInt32LE(hi32 * 1e6 + carry, this.pos + 4);
    this.pos += 8;
  }

  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }
}

const writer = new Writer();

/** A key's encoded prefix (tag, length, UTF-8), cached: keys are a small fixed set. */
const keyCache = new Map<string, Buffer>();
function keyBytes(key: string): Buffer {
  let cached = keyCache.get(key);
  if (!cached) {
    const k = Buffer.from(key, "utf8");
    cached = Buffer.concat([Buffer.from([tag(1, LEN)]), varintBuffer(k.length), k]);
    if (keyCache.size < 1000) keyCache.set(key, cached);
  }
  return cached;
}

function varintBuffer(n: number): Buffer {
  const w = new Writer();
  w.varint(n);
  return w.take();
}

/** Size of an AnyValue holding `value` (its bytes counted into `strings` for the write). */
function anyValueSize(value: AttributeValue, lengths: number[]): number {
  switch (typeof value) {
    case "string": {
      const n = Buffer.byteLength(value);
      lengths.push(n);
      return 1 + varintSize(n) + n;
    }
    case "boolean":
      return 2;
    case "number":
      return Number.isSafeInteger(value) && value >= 0 ? 1 + varintSize(value) : 9;
    default: {
      let inner = 0;
      for (const v of value) {
        const n = Buffer.byteLength(v);
        lengths.push(n);
        const element = 1 + varintSize(n) + n;
        inner += 1 + varintSize(element) + element;
      }
      return 1 + varintSize(inner) + inner;
    }
  }
}

function writeAnyValue(w: Writer, value: AttributeValue, lengths: number[], at: { i: number }): void {
  switch (typeof value) {
    case "string": {
      const n = lengths[at.i++]!;
      w.byte(tag(1, LEN));
      w.varint(n);
      w.utf8(value, n);
      return;
    }
    case "boolean":
      w.byte(tag(2, VARINT));
      w.byte(value ? 1 : 0);
      return;
    case "number":
      if (Number.isSafeInteger(value) && value >= 0) {
        w.byte(tag(3, VARINT));
        w.varint(value);
      } else {
        w.byte(tag(4, I64));
        w.buf.writeDoubleLE(value, w.pos);
        w.pos += 8;
      }
      return;
    default: {
      const start = at.i;
      let inner = 0;
      for (let k = 0; k < value.length; k++) {
        const n = lengths[start + k]!;
        const element = 1 + varintSize(n) + n;
        inner += 1 + varintSize(element) + element;
      }
      w.byte(tag(5, LEN));
      w.varint(inner);
      for (const v of value) {
        const n = lengths[at.i++]!;
        const element = 1 + varintSize(n) + n;
        w.byte(tag(1, LEN));
        w.varint(element);
        w.byte(tag(1, LEN));
        w.varint(n);
        w.utf8(v, n);
      }
    }
  }
}

/** Writes `attributes` as repeated field `field` KeyValues. */
function writeAttributes(w: Writer, field: number, attributes: Record<string, AttributeValue | undefined>): void {
  const lengths: number[] = [];
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    lengths.length = 0;
    const k = keyBytes(key);
    const any = anyValueSize(value, lengths);
    const kv = k.length + 1 + varintSize(any) + any;
    w.reserve(1 + 5 + kv);
    w.byte(tag(field, LEN));
    w.varint(kv);
    w.buf.set(k, w.pos);
    w.pos += k.length;
    w.byte(tag(2, LEN));
    w.varint(any);
    writeAnyValue(w, value, lengths, { i: 0 });
  }
}

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

/**
 * OTLP/protobuf (`application/x-protobuf`, which Langfuse's OTel endpoint accepts). A span is
 * encoded as a complete `ScopeSpans.spans` entry (tag, length, Span), so a batch's payload is its
 * spans concatenated and the request is a small header in front of it.
 */
export class OtlpProtobufFormat implements SpanFormat<Uint8Array> {
  readonly name = "protobuf";
  readonly contentType = "application/x-protobuf";
  readonly #resource: Buffer;
  readonly #scope: Buffer;

  constructor(resource: ResourceInfo) {
    const w = new Writer();
    writeAttributes(w, 1, {
      "service.name": resource.serviceName,
      "service.version": resource.serviceVersion,
      "telemetry.sdk.language": "nodejs",
      "telemetry.sdk.name": "switchboard",
    });
    const resourceBody = w.take();
    // ResourceSpans.resource (field 1): Resource { attributes }.
    this.#resource = Buffer.concat([Buffer.from([tag(1, LEN)]), varintBuffer(resourceBody.length), resourceBody]);
    // Langfuse's own instrumentation scope: Langfuse reads our spans exactly as it reads its SDK's.
    const name = Buffer.from(LANGFUSE_TRACER_NAME);
    const version = Buffer.from(LANGFUSE_SDK_VERSION);
    const scopeBody = Buffer.concat([
      Buffer.from([tag(1, LEN)]),
      varintBuffer(name.length),
      name,
      Buffer.from([tag(2, LEN)]),
      varintBuffer(version.length),
      version,
    ]);
    this.#scope = Buffer.concat([Buffer.from([tag(1, LEN)]), varintBuffer(scopeBody.length), scopeBody]);
  }

  /** Attributes as complete `Span.attributes` entries, to be copied into spans as they are. */
  encodeAttributes(attributes: Record<string, AttributeValue | undefined>): Uint8Array {
    writeAttributes(writer, 9, attributes);
    return writer.take();
  }

  encodeSpan(span: SpanRecord<Uint8Array>): Uint8Array {
    const w = writer;
    // The Span, then its ScopeSpans.spans tag and length in front (sizes are known only after).
    const start = 6;
    w.pos = start;
    w.reserve(128 + span.name.length * 3);
    w.byte(tag(1, LEN));
    w.byte(16);
    w.hex(span.traceId);
    w.byte(tag(2, LEN));
    w.byte(8);
    w.hex(span.spanId);
    if (span.parentSpanId) {
      w.byte(tag(4, LEN));
      w.byte(8);
      w.hex(span.parentSpanId);
    }
    const nameLength = Buffer.byteLength(span.name);
    w.byte(tag(5, LEN));
    w.varint(nameLength);
    w.utf8(span.name, nameLength);
    w.byte(tag(6, VARINT));
    w.byte(1); // SPAN_KIND_INTERNAL
    w.byte(tag(7, I64));
    w.fixed64Nanos(span.startMs);
    w.byte(tag(8, I64));
    w.fixed64Nanos(span.endMs);
    if (span.shared) for (const fragment of span.shared) if (fragment.length) w.bytes(fragment);
    writeAttributes(w, 9, span.attributes);
    if (span.errorMessage !== undefined) {
      const m = Buffer.byteLength(span.errorMessage);
      const status = 1 + varintSize(m) + m + 2;
      w.reserve(6 + status);
      w.byte(tag(15, LEN));
      w.varint(status);
      w.byte(tag(2, LEN));
      w.varint(m);
      w.utf8(span.errorMessage, m);
      w.byte(tag(3, VARINT));
      w.byte(2); // STATUS_CODE_ERROR
    }
    const length = w.pos - start;
    const head = 1 + varintSize(length);
    const out = Buffer.allocUnsafe(head + length);
    out[0] = tag(2, LEN);
    let p = 1;
    let n = length;
    while (n >= 0x80) {
      out[p++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 0x80);
    }
    out[p] = n;
    w.buf.copy(out, head, start, w.pos);
    w.pos = 0;
    return out;
  }

  sizeOf(encoded: Uint8Array): number {
    return encoded.length;
  }

  byteLength(encoded: Uint8Array): number {
    return encoded.length;
  }

  /** One buffer of its own (never a slice of Node's shared pool), so it can be handed to another thread. */
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

  body(payload: Uint8Array): Uint8Array {
    const scopeSpans = this.#scope.length + payload.length;
    const scopeSpansField = 1 + varintSize(scopeSpans) + scopeSpans;
    const resourceSpans = this.#resource.length + scopeSpansField;
    const out = Buffer.allocUnsafe(1 + varintSize(resourceSpans) + resourceSpans);
    const w = { buf: out, pos: 0 };
    const put = (b: number) => (w.buf[w.pos++] = b);
    const varint = (n: number) => {
      while (n >= 0x80) {
        put((n & 0x7f) | 0x80);
        n = Math.floor(n / 0x80);
      }
      put(n);
    };
    put(tag(1, LEN));
    varint(resourceSpans);
    out.set(this.#resource, w.pos);
    w.pos += this.#resource.length;
    put(tag(2, LEN));
    varint(scopeSpans);
    out.set(this.#scope, w.pos);
    w.pos += this.#scope.length;
    out.set(payload, w.pos);
    return out;
  }
}
