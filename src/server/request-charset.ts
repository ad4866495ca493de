// The charset of a JSON body. JSON on the wire is UTF-8 (RFC 8259); a client that says its body
// is UTF-16 or Latin-1 would otherwise have it read as UTF-8 and get a confusing "not valid
// UTF-8" (or, for Latin-1 text that happens to be ASCII, silently different text). Such bodies are
// refused by name, before they are read.
import { apiError } from "../chat/chat-errors.js";

const CHARSET = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i;
const UTF8 = new Set(["utf-8", "utf8"]);

/** Throws 415 `unsupported_charset` unless the Content-Type names no charset or UTF-8. */
export function assertUtf8Charset(contentType: string | undefined): void {
  if (contentType === undefined) return;
  const charset = CHARSET.exec(contentType)?.[2];
  if (charset === undefined || UTF8.has(charset.toLowerCase())) return;
  throw apiError("unsupported_charset", charset);
}
