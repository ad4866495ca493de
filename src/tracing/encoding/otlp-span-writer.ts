import { ProtobufWriter, tag, WIRE_I64, WIRE_LEN, WIRE_VARINT } from "./protobuf-writer.js";

// One OTLP span, written once, straight into bytes (opentelemetry-proto trace/v1, common/v1):
//
//   ScopeSpans.spans (2): Span { 1: trace_id, 2: span_id, 4: parent_span_id, 5: name, 6: kind,
//                                7: start fixed64, 8: end fixed64, 9: KeyValue*, 15: Status }
//   KeyValue { 1: key, 2: AnyValue { 1: string | 2: bool | 3: int64 | 5: ArrayValue { 1: AnyValue* } } }
//   Status { 2: message, 3: code }
//
// A span comes out as a complete `ScopeSpans.spans` entry, so a batch's payload is its spans
// concatenated and a request is a small envelope in front of it (OtlpProtobufFormat).

const SPAN_KIND_INTERNAL = 1;
const STATUS_CODE_ERROR = 2;

/** An attribute key as its KeyValue.key field (tag, length, UTF-8), encoded once per key. */
export type AttributeKey = Uint8Array;

const keys = new Map<string, AttributeKey>();

/** The encoded key field for `name`, cached: keys are a small fixed set plus per-key metadata names. */
export function attributeKey(name: string): AttributeKey {
  let key = keys.get(name);
  if (!key) {
    const w = new ProtobufWriter(name.length * 3 + 8);
    const mark = w.open(1, name.length);
    w.utf8(name);
    w.close(mark);
    key = w.takeFrom(0);
    // Metadata keys come from code, not from requests; the bound only guards against a caller that makes them up per call.
    if (keys.size < 4096) keys.set(name, key);
  }
  return key;
}

/**
 * Writes one span at a time into the buffer `begin` is given (a batch's): `begin`, attributes,
 * optionally `errorStatus`, then `end`. Between spans it writes attribute fragments
 * (`encodeAttributes`) into a scratch buffer of its own.
 */
export class OtlpSpanWriter {
  readonly scratch = new ProtobufWriter(8 * 1024);
  w = this.scratch;
  #span = 0;
  // The open string attribute's three nested lengths (KeyValue, AnyValue, string).
  #kv = 0;
  #any = 0;
  #str = 0;

  /** Starts a span at `target`'s position. `expectedBytes`: a lower bound of its size (a closer guess moves fewer bytes). */
  begin(
    target: ProtobufWriter,
    traceId: string,
    spanId: string,
    parentSpanId: string | undefined,
    name: string,
    startMs: number,
    endMs: number,
    expectedBytes = 128,
  ): void {
    const w = (this.w = target);
    this.#span = w.open(2, expectedBytes);
    w.ensure(3 + 16 + 2 + 8 + 2 + 8);
    w.byte(tag(1, WIRE_LEN));
    w.byte(16);
    w.hex(traceId);
    w.ensure(2);
    w.byte(tag(2, WIRE_LEN));
    w.byte(8);
    w.hex(spanId);
    if (parentSpanId) {
      w.ensure(2);
      w.byte(tag(4, WIRE_LEN));
      w.byte(8);
      w.hex(parentSpanId);
    }
    const nameMark = w.open(5, name.length);
    w.utf8(name);
    w.close(nameMark);
    w.ensure(2);
    w.byte(tag(6, WIRE_VARINT));
    w.byte(SPAN_KIND_INTERNAL);
    w.ensure(1);
    w.byte(tag(7, WIRE_I64));
    w.fixed64Nanos(startMs);
    w.ensure(1);
    w.byte(tag(8, WIRE_I64));
    w.fixed64Nanos(endMs);
  }

  /** Attribute entries encoded earlier (`encodeAttributes`), copied in as they are. */
  fragment(bytes: Uint8Array): void {
    if (bytes.length > 0) this.w.bytes(bytes);
  }

  /** A string attribute whose value is written by the caller (`this.w`) between `openString` and `closeString`. */
  openString(key: AttributeKey, expectedChars: number): void {
    const w = this.w;
    this.#kv = w.open(9, key.length + expectedChars + 3);
    w.bytes(key);
    this.#any = w.open(2, expectedChars + 2);
    this.#str = w.open(1, expectedChars);
  }

  closeString(): void {
    const w = this.w;
    w.close(this.#str);
    w.close(this.#any);
    w.close(this.#kv);
  }

  string(key: AttributeKey, value: string): void {
    this.openString(key, value.length);
    this.w.utf8(value);
    this.closeString();
  }

  /** A string attribute whose value is bytes already encoded as UTF-8. */
  stringBytes(key: AttributeKey, value: Uint8Array): void {
    this.openString(key, value.length);
    this.w.bytes(value);
    this.closeString();
  }

  bool(key: AttributeKey, value: boolean): void {
    const w = this.w;
    const kv = w.open(9, key.length + 4);
    w.bytes(key);
    w.ensure(4);
    w.byte(tag(2, WIRE_LEN));
    w.byte(2);
    w.byte(tag(2, WIRE_VARINT));
    w.byte(value ? 1 : 0);
    w.close(kv);
  }

  /** A string-array attribute (tags). */
  strings(key: AttributeKey, values: readonly string[]): void {
    const w = this.w;
    const kv = w.open(9, key.length + 8);
    w.bytes(key);
    const any = w.open(2, 4);
    const array = w.open(5, 4);
    for (const v of values) {
      const element = w.open(1, v.length + 2);
      const str = w.open(1, v.length);
      w.utf8(v);
      w.close(str);
      w.close(element);
    }
    w.close(array);
    w.close(any);
    w.close(kv);
  }

  /** OTLP status ERROR with `message`. */
  errorStatus(message: string): void {
    const w = this.w;
    const status = w.open(15, message.length + 4);
    const m = w.open(2, message.length);
    w.utf8(message);
    w.close(m);
    w.ensure(2);
    w.byte(tag(3, WIRE_VARINT));
    w.byte(STATUS_CODE_ERROR);
    w.close(status);
  }

  /** Ends the span: a complete `ScopeSpans.spans` entry in the target buffer. */
  end(): void {
    this.w.close(this.#span);
    this.w = this.scratch;
  }
}

/**
 * Attributes written once and copied into many spans (a turn's trace context): complete
 * `Span.attributes` entries. `write` uses the span writer's attribute methods.
 */
export function encodeAttributes(writer: OtlpSpanWriter, write: (w: OtlpSpanWriter) => void): Buffer {
  const w = (writer.w = writer.scratch);
  w.pos = 0;
  write(writer);
  return w.takeFrom(0);
}
