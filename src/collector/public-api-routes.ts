// The read side of Langfuse's public API that tests and tools need: traces and observations,
// same paths, query parameters, auth and response shapes as Langfuse.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, sendJson } from "./http-responses.js";
import { toObservationView, toTraceListItem, toTraceWithFullDetails } from "./public-api-views.js";
import type { ReceiverContext } from "./receiver-context.js";
import type { ObservationSummaryRow, Page } from "./span-store.js";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

function positiveInt(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new HttpError(400, `query parameter ${name} must be an integer from 1 to ${max}, got "${raw}"`);
  }
  return n;
}

export function pageOf(query: URLSearchParams): Page {
  return {
    page: positiveInt(query, "page", 1, Number.MAX_SAFE_INTEGER),
    limit: positiveInt(query, "limit", DEFAULT_LIMIT, MAX_LIMIT),
  };
}

export function optional(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === "" ? undefined : value;
}

export function isoTimestamp(query: URLSearchParams, name: string): string | undefined {
  const raw = optional(query, name);
  if (raw === undefined) return undefined;
  const date = new Date(raw);
  if (Number.isNaN(date.getTime())) throw new HttpError(400, `query parameter ${name} must be an ISO 8601 date-time`);
  return date.toISOString();
}

export function meta(page: Page, totalItems: number) {
  return { page: page.page, limit: page.limit, totalItems, totalPages: Math.ceil(totalItems / page.limit) };
}

function listTraces(query: URLSearchParams, ctx: ReceiverContext): unknown {
  const page = pageOf(query);
  const { rows, totalItems } = ctx.store.listTraces(
    {
      userId: optional(query, "userId"),
      sessionId: optional(query, "sessionId"),
      name: optional(query, "name"),
      tags: query.getAll("tags").filter((t) => t !== ""),
      fromTimestamp: isoTimestamp(query, "fromTimestamp"),
      toTimestamp: isoTimestamp(query, "toTimestamp"),
    },
    page,
  );
  const byTrace = new Map<string, ObservationSummaryRow[]>();
  for (const summary of ctx.store.observationSummaries(rows.map((r) => r.id))) {
    const list = byTrace.get(summary.trace_id);
    if (list) list.push(summary);
    else byTrace.set(summary.trace_id, [summary]);
  }
  return { data: rows.map((row) => toTraceListItem(row, byTrace.get(row.id) ?? [])), meta: meta(page, totalItems) };
}

function listObservations(query: URLSearchParams, ctx: ReceiverContext): unknown {
  const page = pageOf(query);
  const { rows, totalItems } = ctx.store.listObservations(
    {
      traceId: optional(query, "traceId"),
      type: optional(query, "type"),
      name: optional(query, "name"),
      userId: optional(query, "userId"),
      parentObservationId: optional(query, "parentObservationId"),
    },
    page,
  );
  return { data: rows.map(toObservationView), meta: meta(page, totalItems) };
}

/** Handles GET /api/public/{traces,observations}[/:id]. Returns false for paths it does not own. */
export function handlePublicApi(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  ctx: ReceiverContext,
): boolean {
  const [, resource, id, extra] = /^\/api\/public\/(traces|observations)(?:\/([^/]+))?(\/.*)?$/.exec(path) ?? [];
  if (resource === undefined || extra !== undefined) return false;
  if (req.method !== "GET") throw new HttpError(405, `${req.method} is not allowed on ${path}`, { allow: "GET" });
  if (!ctx.auth.accepts(req.headers.authorization)) {
    throw new HttpError(401, "Invalid credentials: send Authorization: Basic base64(publicKey:secretKey)", {
      "www-authenticate": 'Basic realm="langfuse"',
    });
  }
  const decodedId = id === undefined ? undefined : decodeURIComponent(id);
  if (resource === "traces") {
    if (decodedId === undefined) {
      sendJson(res, 200, listTraces(query, ctx));
      return true;
    }
    const trace = ctx.store.getTrace(decodedId);
    if (!trace) throw new HttpError(404, `Trace ${decodedId} not found`);
    sendJson(res, 200, toTraceWithFullDetails(trace, ctx.store.observationsOfTrace(decodedId)));
    return true;
  }
  if (decodedId === undefined) {
    sendJson(res, 200, listObservations(query, ctx));
    return true;
  }
  const observation = ctx.store.getObservation(decodedId);
  if (!observation) throw new HttpError(404, `Observation ${decodedId} not found`);
  sendJson(res, 200, toObservationView(observation));
  return true;
}
