// The protobuf wire format's few primitives, written straight into one growing buffer: varints,
// fixed64, raw bytes, UTF-8 strings and length-delimited fields. A nested field's length is
// reserved before its body is written (sized for a lower bound of the body) and fixed when the
// body ends: text is written in one pass, never measured first (V8's UTF-8 length costs about
// as much as the UTF-8 write itself), and the rare length that needs a longer varint than
// reserved moves its body by a byte or two.

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;

export const tag = (field: number, wire: number): number => (field << 3) | wire;

/** Bytes the varint of `n` takes. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

type Utf8Write = (this: Buffer, s: string, offset: number, length: number) => number;
// Buffer's own utf8Write, as protobufjs uses it: write() without the argument checks.
const utf8Write: Utf8Write =
  (Buffer.prototype as unknown as { utf8Write?: Utf8Write }).utf8Write ??
  function (this: Buffer, s: string, offset: number, length: number) {
    return this.write(s, offset, length, "utf8");
  };

/**
 * A reusable byte buffer with the protobuf primitives. Callers `ensure` room before the
 * unchecked single-byte writes; the methods that take variable input ensure their own.
 */
export class ProtobufWriter {
  buf: Buffer;
  pos = 0;

  constructor(capacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.#grow(n);
  }

  #grow(n: number): void {
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
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

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** `s` as UTF-8 (lone surrogates become U+FFFD, as protobuf strings must be valid UTF-8). */
  utf8(s: string): void {
    this.ensure(s.length * 3);
    this.pos += utf8Write.call(this.buf, s, this.pos, this.buf.length - this.pos);
  }

  /** A hex string's bytes (ids). */
  hex(s: string): void {
    this.ensure(s.length >> 1);
    this.pos += this.buf.write(s, this.pos, s.length >> 1, "hex");
  }

  /** Epoch milliseconds (sub-millisecond fraction kept) as fixed64 nanoseconds, exactly. */
  fixed64Nanos(ms: number): void {
    this.ensure(8);
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

  /**
   * Starts length-delimited field `field`, its length's varint sized for a body of at least
   * `expected` bytes. Returns the mark `close` takes.
   */
  open(field: number, expected: number): number {
    const size = varintSize(expected);
    this.ensure(1 + size);
    this.buf[this.pos++] = tag(field, WIRE_LEN);
    const mark = this.pos * 8 + size;
    this.pos += size;
    return mark;
  }

  /** Ends the field `mark` opened: writes its length, moving the body when the varint's size was guessed wrong. */
  close(mark: number): void {
    const reserved = mark % 8;
    const at = (mark - reserved) / 8;
    const bodyStart = at + reserved;
    const length = this.pos - bodyStart;
    const size = varintSize(length);
    if (size !== reserved) {
      if (size > reserved) this.ensure(size - reserved);
      this.buf.copyWithin(at + size, bodyStart, this.pos);
      this.pos += size - reserved;
    }
    let p = at;
    let n = length;
    while (n >= 0x80) {
      this.buf[p++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[p] = n;
  }

  /** A copy of what was written since `from`, in a buffer of its own; the writer is rewound to `from`. */
  takeFrom(from: number): Buffer {
    const out = Buffer.allocUnsafe(this.pos - from);
    this.buf.copy(out, 0, from, this.pos);
    this.pos = from;
    return out;
  }
}
