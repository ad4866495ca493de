// /_receiver/*: the receiver's own control surface for tests and benchmarks (identity, faults,
// counters, wiping, raw rows). Not part of Langfuse. The identity check is open (it says what
// listens on the port, and whether the caller's key pair is accepted); the rest takes the key
// pair (receiver.ts checks it), and the routes that change what the receiver does (faults, wipe)
// answer only when the receiver was started with them enabled (tests, benchmarks).
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { receiverFaultsPatchSchema } from "./faults.js";
import { HttpError, sendJson } from "./http-responses.js";
import { readBody } from "./http-request-body.js";
import { parsePayload } from "./public-api-views.js";
import type { ReceiverContext } from "./receiver-context.js";
import { LF } from "./langfuse-attributes.js";
import { OMITTED_ATTRIBUTES_KEY } from "./langfuse-span-mapping.js";
import { PACKAGE_VERSION } from "./package-info.js";
import type { ObservationRow } from "./span-store.js";
import { MAX_INGESTION_VERSION } from "./ingest-handler.js";

const CONTROL_BODY_LIMIT = 64 * 1024;

/**
 * `GET /_receiver/info`: lets a service check that what listens on a port is this receiver, and
 * whether it is its own (it accepts the key pair of the service's data folder).
 */
export interface ReceiverInfo {
  receiver: "switchboard";
  /** The package version of the checkout the receiver runs from. */
  version: string;
  /** The `x-langfuse-ingestion-version` it stores as (Langfuse v4: rows, no dedup). */
  ingestionVersion: number;
  /** True when the request's Authorization carries a key pair this receiver accepts. */
  authorized: boolean;
}

export const RECEIVER_INFO: Readonly<Omit<ReceiverInfo, "authorized">> = Object.freeze({
  receiver: "switchboard",
  version: PACKAGE_VERSION,
  ingestionVersion: MAX_INGESTION_VERSION,
});

export const INFO_PATH = "/_receiver/info";

/** Handles GET /_receiver/info (no credentials needed). Returns false for other paths. */
export function handleInfo(req: IncomingMessage, res: ServerResponse, path: string, ctx: ReceiverContext): boolean {
  if (path !== INFO_PATH) return false;
  if (req.method !== "GET") methodNotAllowed(req, path, "GET");
  sendJson(res, 200, { ...RECEIVER_INFO, authorized: ctx.access.hasApiKey(req) } satisfies ReceiverInfo);
  return true;
}

/** Faults and wipes change what the receiver does: only when started with control routes on. */
function requireControlRoutes(ctx: ReceiverContext, path: string): void {
  if (!ctx.controlRoutes) {
    throw new HttpError(
      403,
      `${path} is a test control route and is off: start the receiver with RECEIVER_CONTROL_ROUTES=true (or controlRoutes: true) to use it`,
    );
  }
}

export interface ControlActions {
  stats(): unknown;
  /** Wipes the store and zeroes the counters. */
  reset(): void;
}

/** The span's attributes as received, with the payloads the store keeps in columns put back. */
function restoreRawAttributes(row: ObservationRow): Record<string, unknown> {
  const attributes = JSON.parse(row.attributes) as Record<string, unknown>;
  const omitted = attributes[OMITTED_ATTRIBUTES_KEY];
  if (!Array.isArray(omitted)) return attributes;
  delete attributes[OMITTED_ATTRIBUTES_KEY];
  for (const key of omitted) {
    if (key === LF.OBSERVATION_INPUT) attributes[key] = row.input;
    if (key === LF.OBSERVATION_OUTPUT) attributes[key] = row.output;
  }
  return attributes;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, CONTROL_BODY_LIMIT);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new HttpError(400, `malformed JSON: ${(err as Error).message}`);
  }
}

function methodNotAllowed(req: IncomingMessage, path: string, allow: string): never {
  throw new HttpError(405, `${req.method} is not allowed on ${path}`, { allow });
}

/** Handles /_receiver/* paths. Returns false for paths it does not own. */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  ctx: ReceiverContext,
  actions: ControlActions,
): Promise<boolean> {
  switch (path) {
    case "/_receiver/stats":
      if (req.method !== "GET") methodNotAllowed(req, path, "GET");
      sendJson(res, 200, actions.stats());
      return true;
    case "/_receiver/faults": {
      if (req.method === "GET") {
        sendJson(res, 200, ctx.faults.get());
        return true;
      }
      if (req.method !== "PUT") methodNotAllowed(req, path, "GET, PUT");
      requireControlRoutes(ctx, path);
      const parsed = receiverFaultsPatchSchema.safeParse(await readJson(req));
      if (!parsed.success) throw new HttpError(400, `invalid faults: ${z.prettifyError(parsed.error)}`);
      sendJson(res, 200, ctx.faults.set(parsed.data));
      return true;
    }
    case "/_receiver/data":
      if (req.method !== "DELETE") methodNotAllowed(req, path, "DELETE");
      requireControlRoutes(ctx, path);
      actions.reset();
      sendJson(res, 200, { ok: true });
      return true;
    case "/_receiver/spans": {
      if (req.method !== "GET") methodNotAllowed(req, path, "GET");
      const traceId = query.get("traceId");
      if (!traceId) throw new HttpError(400, "query parameter traceId is required");
      const rows = ctx.store.rowsOfTrace(traceId).map((row) => ({
        ...row,
        input: parsePayload(row.input),
        output: parsePayload(row.output),
        attributes: restoreRawAttributes(row),
        resource_attributes: JSON.parse(row.resource_attributes) as unknown,
        tags: JSON.parse(row.tags) as unknown,
        metadata: parsePayload(row.metadata),
        trace_metadata: parsePayload(row.trace_metadata),
      }));
      sendJson(res, 200, { data: rows });
      return true;
    }
    default:
      return false;
  }
}
