// Compressed request bodies (Content-Encoding: gzip, deflate, br). The size limit applies twice:
// to the bytes as sent (Fastify's bodyLimit) and to what they decompress to, so a small "zip
// bomb" cannot make the service inflate gigabytes. Decompression runs on libuv's thread pool.
import { promisify } from "node:util";
import { brotliDecompress, gunzip, inflate, inflateRaw, type ZlibOptions } from "node:zlib";
import { apiError } from "../chat/chat-errors.js";

type Decoder = (data: Buffer, options: ZlibOptions) => Promise<Buffer>;

const gunzipAsync = promisify(gunzip) as Decoder;
const inflateAsync = promisify(inflate) as Decoder;
const inflateRawAsync = promisify(inflateRaw) as Decoder;
const brotliAsync = promisify(brotliDecompress) as Decoder;

/** Encodings accepted, by their Content-Encoding token (lower case). */
const DECODERS: Record<string, { name: string; decode: Decoder }> = {
  gzip: { name: "gzip", decode: gunzipAsync },
  "x-gzip": { name: "gzip", decode: gunzipAsync },
  // RFC 9110 "deflate" is zlib-wrapped; some clients send the raw stream: both are read.
  deflate: {
    name: "deflate",
    decode: (data, options) =>
      inflateAsync(data, options).catch((err: unknown) =>
        isTooLarge(err) ? Promise.reject(err) : inflateRawAsync(data, options),
      ),
  },
  br: { name: "br", decode: brotliAsync },
};

function isTooLarge(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
}

export const SUPPORTED_ENCODINGS = "gzip, deflate, br";

/** The request's Content-Encoding, lower-cased; undefined for none or identity. */
export function contentEncodingOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers["content-encoding"];
  const value = (Array.isArray(raw) ? raw.join(",") : raw)?.trim().toLowerCase();
  return value === undefined || value === "" || value === "identity" ? undefined : value;
}

/** Throws 415 for an encoding Switchboard cannot read (checked before the body is read). */
export function assertSupportedEncoding(encoding: string | undefined): void {
  if (encoding !== undefined && !Object.hasOwn(DECODERS, encoding)) {
    throw apiError("unsupported_content_encoding", encoding, SUPPORTED_ENCODINGS);
  }
}

/** The body as sent, decompressed and bounded by `maxBytes`. */
export async function decodeBody(body: Buffer, encoding: string | undefined, maxBytes: number): Promise<Buffer> {
  if (encoding === undefined) return body;
  assertSupportedEncoding(encoding);
  const { name, decode } = DECODERS[encoding]!;
  try {
    return await decode(body, { maxOutputLength: maxBytes });
  } catch (err) {
    if (isTooLarge(err)) {
      throw apiError("body_too_large", maxBytes);
    }
    throw apiError("invalid_body", `the body is not valid ${name} data (Content-Encoding: ${name})`, "body");
  }
}
