// Reading a request body with a size cap, and undoing its Content-Encoding, without ever holding
// more than the cap in memory (a gzip bomb stops at the cap too).
import type { IncomingMessage } from "node:http";
import { gunzip, inflate } from "node:zlib";
import { promisify } from "node:util";
import { HttpError } from "./http-responses.js";

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limitBytes) {
    return Promise.reject(new HttpError(413, `request body exceeds ${limitBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limitBytes) {
        req.removeAllListeners("data");
        req.resume();
        reject(new HttpError(413, `request body exceeds ${limitBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on("error", reject);
    // A client that goes away mid-body (or close() cutting it off) ends neither with "end" nor "error".
    req.on("close", () => {
      if (!req.complete) reject(new HttpError(400, "request aborted before its body was complete"));
    });
  });
}

/** Decompresses per Content-Encoding (gzip, deflate, identity). */
export async function decodeContentEncoding(
  body: Buffer,
  contentEncoding: string | undefined,
  limitBytes: number,
): Promise<Buffer> {
  const encoding = (contentEncoding ?? "identity").trim().toLowerCase();
  try {
    if (encoding === "identity" || encoding === "") return body;
    if (encoding === "gzip" || encoding === "x-gzip") return await gunzipAsync(body, { maxOutputLength: limitBytes });
    if (encoding === "deflate") return await inflateAsync(body, { maxOutputLength: limitBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new HttpError(413, `decompressed request body exceeds ${limitBytes} bytes`);
    }
    throw new HttpError(400, `request body is not valid ${encoding}: ${(err as Error).message}`);
  }
  throw new HttpError(415, `unsupported Content-Encoding "${encoding}" (use gzip or none)`);
}

/** Next.js' default body size limit for API routes ("1mb"), which Langfuse's prompts and scores routes keep. */
export const API_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * A request body as Next.js' API routes parse it: JSON when the Content-Type says so (an empty
 * body is `{}`), else the text itself (which the route's schema then refuses). Malformed JSON is
 * a 400, a body over the limit a 413.
 */
export async function readApiBody(req: IncomingMessage, limitBytes = API_BODY_LIMIT_BYTES): Promise<unknown> {
  const raw = await readBody(req, limitBytes);
  const text = raw.toString("utf8");
  const mediaType = (req.headers["content-type"] ?? "text/plain").split(";", 1)[0]!.trim().toLowerCase();
  if (mediaType !== "application/json" && mediaType !== "application/ld+json") return text;
  if (text.length === 0) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, "Invalid JSON", {}, "InvalidRequestError");
  }
}
