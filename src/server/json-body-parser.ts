import { apiError } from "../chat/chat-errors.js";
import { inspectJsonBody } from "./json-body-inspection.js";
import { assertNestingWithin } from "./json-nesting.js";
import { contentEncodingOf, decodeBody } from "./request-content-encoding.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The service's only body parser (application/json). Beyond JSON.parse:
 * - a compressed body is decompressed, bounded by `maxBodyBytes` once decompressed;
 * - bytes that are not UTF-8 are refused rather than turned into U+FFFD and stored;
 * - nesting deeper than `maxJsonDepth` is refused before parsing, naming the top-level field;
 * - prototype keys, invalid Unicode and numbers past a double's range are refused with a 400
 *   naming where they are.
 */
export async function parseJsonBody(
  raw: Buffer,
  headers: Record<string, string | string[] | undefined>,
  limits: { maxBodyBytes: number; maxJsonDepth: number },
): Promise<unknown> {
  const bytes = await decodeBody(raw, contentEncodingOf(headers), limits.maxBodyBytes);
  if (bytes.length === 0) throw apiError("invalid_json", "empty");
  let text: string;
  try {
    // A leading byte order mark is dropped, as JSON readers commonly allow.
    text = utf8.decode(bytes);
  } catch {
    throw apiError("invalid_body", "the body is not valid UTF-8", "body");
  }
  assertNestingWithin(text, limits.maxJsonDepth);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // V8's message quotes part of the body; only its position is repeated.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw apiError("invalid_json", at ? Number(at) + 1 : undefined);
  }
  inspectJsonBody(value, text);
  return value;
}
