// POST /api/public/otel/v1/traces: Langfuse's OTLP/HTTP ingestion endpoint. Answers like an
// OTLP collector: 200 with an empty ExportTraceServiceResponse (`{}` for JSON, zero bytes for
// protobuf), 4xx with a JSON message the sender can act on.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, sendBytes, sendError, sendJson } from "./http-responses.js";
import { decodeContentEncoding, readBody } from "./http-request-body.js";
import { decodeOtlpJson } from "./otlp-json-decoder.js";
import { decodeOtlpProtobuf } from "./otlp-protobuf-decoder.js";
import { OtlpDecodeError, type OtlpSpan } from "./otlp-span.js";
import { unauthorized } from "./receiver-access.js";
import type { ReceiverContext } from "./receiver-context.js";

const EMPTY = new Uint8Array(0);

type BodyFormat = "json" | "protobuf";

function bodyFormat(contentType: string | undefined): BodyFormat {
  const mediaType = (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
  if (mediaType === "application/json") return "json";
  if (mediaType === "application/x-protobuf" || mediaType === "application/protobuf") return "protobuf";
  throw new HttpError(415, `unsupported Content-Type "${mediaType}": send application/json or application/x-protobuf`);
}

function decodeBody(body: Buffer, format: BodyFormat): OtlpSpan[] {
  if (format === "protobuf") return decodeOtlpProtobuf(body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new OtlpDecodeError(`malformed JSON: ${(err as Error).message}`);
  }
  return decodeOtlpJson(parsed);
}

export const INGESTION_VERSION_HEADER = "x-langfuse-ingestion-version";
/** The highest `x-langfuse-ingestion-version` Langfuse accepts. */
export const MAX_INGESTION_VERSION = 4;

/**
 * The ingestion-version header as Langfuse reads it (getLangfuseHeaderValue: the hyphenated name,
 * else the underscored one; empty = absent). Null when absent.
 */
function ingestionVersionOf(req: IncomingMessage): string | null {
  for (const name of [INGESTION_VERSION_HEADER, INGESTION_VERSION_HEADER.replaceAll("-", "_")]) {
    const value = req.headers[name];
    if (typeof value === "string" && value !== "") return value;
  }
  return null;
}

function respond(ctx: ReceiverContext, res: ServerResponse, status: number, send: () => void): void {
  ctx.stats.countStatus(status);
  send();
}

export async function handleIngest(req: IncomingMessage, res: ServerResponse, ctx: ReceiverContext): Promise<void> {
  ctx.stats.requestsTotal++;
  const ingestionVersion = ingestionVersionOf(req);
  ctx.stats.countIngestionVersion(ingestionVersion);
  try {
    if (!ctx.auth.accepts(req.headers.authorization)) throw unauthorized(req);
    // Like Langfuse's route: a version it does not know is refused; lower ones take its
    // dual-write path there (same rows here).
    if (ingestionVersion !== null) {
      const parsed = parseInt(ingestionVersion, 10);
      if (Number.isNaN(parsed) || parsed > MAX_INGESTION_VERSION) {
        throw new HttpError(
          400,
          `Unsupported ${INGESTION_VERSION_HEADER}: "${ingestionVersion}". Maximum supported: "${MAX_INGESTION_VERSION}".`,
        );
      }
    }
    const format = bodyFormat(req.headers["content-type"]);
    const wire = await readBody(req, ctx.bodyLimitBytes);
    ctx.stats.bytesReceived += wire.byteLength;

    const decision = ctx.faults.decide("ingestion");
    if (decision.kind === "hang") {
      ctx.stats.requestsHung++;
      ctx.holdForever(res);
      return;
    }
    if (decision.kind === "fail") {
      await ctx.sleep(decision.delayMs);
      const headers: Record<string, string> =
        decision.retryAfterSeconds === null ? {} : { "retry-after": String(decision.retryAfterSeconds) };
      throw new HttpError(decision.status, "injected failure (receiver fault)", headers);
    }

    const body = await decodeContentEncoding(wire, req.headers["content-encoding"], ctx.bodyLimitBytes);
    ctx.stats.bytesDecoded += body.byteLength;
    const spans = decodeBody(body, format);
    if (ctx.isClosing()) return;
    const result = ctx.store.ingest(spans, ingestionVersion);
    ctx.usageBackfill.enqueue(result.toCount);
    ctx.stats.spansReceived += result.spans;
    ctx.stats.spansDuplicate += result.duplicates;

    await ctx.sleep(decision.delayMs);
    if (decision.afterStore === "hang") {
      ctx.stats.afterStoreHung++;
      ctx.holdForever(res);
      return;
    }
    if (decision.afterStore === "reset") {
      ctx.stats.afterStoreReset++;
      req.socket.destroy();
      return;
    }
    if (format === "protobuf") respond(ctx, res, 200, () => sendBytes(res, 200, "application/x-protobuf", EMPTY));
    else respond(ctx, res, 200, () => sendJson(res, 200, {}));
  } catch (err) {
    const httpError =
      err instanceof HttpError
        ? err
        : err instanceof OtlpDecodeError
          ? new HttpError(400, err.message)
          : new HttpError(500, "internal error while storing spans");
    if (httpError.status === 500) ctx.logger.error({ err }, "ingestion failed");
    else ctx.logger.debug({ status: httpError.status, reason: httpError.message }, "ingestion rejected");
    respond(ctx, res, httpError.status, () => sendError(res, httpError));
  }
}
