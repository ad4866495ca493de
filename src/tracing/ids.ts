import { randomFillSync } from "node:crypto";

// Random bytes are drawn in blocks: one syscall per 512 spans instead of one per id.
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

function take(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString("hex", offset, offset + bytes);
  offset += bytes;
  return hex;
}

/** 16 random bytes as 32 hex characters, the W3C / OpenTelemetry trace id. */
export const newTraceId = (): string => take(16);
/** 8 random bytes as 16 hex characters, the OpenTelemetry span id. */
export const newSpanId = (): string => take(8);
