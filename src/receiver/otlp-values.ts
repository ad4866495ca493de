// Conversions shared by the JSON and protobuf decoders: ids, nanosecond timestamps, int64s.

const HEX_TRACE_ID = /^[0-9a-fA-F]{32}$/;
const HEX_SPAN_ID = /^[0-9a-fA-F]{16}$/;
const NANOS_PER_MILLI = 1_000_000n;

/** Lowercase hex of raw id bytes. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * An id from an OTLP JSON body. OTel JS exporters send hex (the OTLP/JSON spec's choice); the
 * generic protobuf JSON mapping sends base64. The lengths tell them apart: a 16-byte trace id is
 * 32 hex characters but 24 base64 characters.
 */
export function jsonIdToHex(value: unknown, byteLength: 8 | 16): string | null {
  if (typeof value !== "string" || value === "") return null;
  const hexPattern = byteLength === 16 ? HEX_TRACE_ID : HEX_SPAN_ID;
  if (hexPattern.test(value)) return value.toLowerCase();
  const bytes = Buffer.from(value, "base64");
  return bytes.byteLength === byteLength ? bytes.toString("hex") : null;
}

/** A protobufjs Long, or the plain `{low, high}` OTel's own encoder produces. */
interface LongBits {
  low: number;
  high: number;
}

function isLongBits(value: unknown): value is LongBits {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as LongBits).low === "number" &&
    typeof (value as LongBits).high === "number"
  );
}

/** Unsigned nanoseconds since the epoch as a BigInt, or null when absent or unreadable. */
export function toNanos(value: unknown): bigint | null {
  try {
    if (typeof value === "string") return value.trim() === "" ? null : BigInt(value);
    if (typeof value === "number") return Number.isFinite(value) ? BigInt(Math.trunc(value)) : null;
    if (typeof value === "bigint") return value;
    if (isLongBits(value)) return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  } catch {
    return null;
  }
  return null;
}

/** ISO 8601 (milliseconds) of a nanosecond timestamp; null for absent or zero. */
export function nanosToIso(value: unknown): string | null {
  const nanos = toNanos(value);
  if (nanos === null || nanos <= 0n) return null;
  const date = new Date(Number(nanos / NANOS_PER_MILLI));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** A signed int64 attribute value as a JS number (precision loss beyond 2^53 is accepted). */
export function int64ToNumber(value: unknown): number | string {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  }
  if (isLongBits(value)) return value.high * 4294967296 + (value.low >>> 0);
  return String(value);
}
