import type { SpanFormat } from "../encoding/span-format.js";

/**
 * A score's payload: the JSON body of one `POST /api/public/scores` (Langfuse takes one score per
 * request), sent as it is. A batch is one score, so there is nothing to join or split: a score
 * Langfuse finds too large is dropped, counted.
 */
export const SCORE_PAYLOAD_FORMAT: SpanFormat<string> = {
  name: "json",
  contentType: "application/json",
  sizeOf: (payload) => payload.length,
  byteLength: (payload) => Buffer.byteLength(payload),
  join: (payloads) => payloads.join(""),
  split: (payload) => [payload],
  body: (payload) => payload,
};
