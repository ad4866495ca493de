// The legacy read side of Langfuse's public API (deprecated in Langfuse v4, kept for older
// clients): traces and observations, same paths, query parameters, auth and response shapes as
// Langfuse, derived from the stored rows. The v4 read API is observations-v2-route.ts.
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodePathSegment, HttpError, sendJson } from "./http-responses.js";
import { OBSERVATION_LEVELS, OBSERVATION_TYPES } from "./langfuse-attributes.js";
import { toObservationView, toTraceListItem, toTraceWithFullDetails } from "./public-api-views.js";
import { unauthorized } from "./receiver-access.js";
import type { ReceiverContext } from "./receiver-context.js";
import { LISTABLE_SCORE_TYPES } from "./scores/score-schemas.js";
import type { ScoreRow } from "./scores/score-store.js";
import { toScoreV1 } from "./scores/score-views.js";
import type { Page } from "./span-store.js";
import { loadRollups } from "./trace-rollup.js";

const DEFAULT_LIMIT = 50;

/** The scores a legacy trace lists: those of the listable types (getScoresForTraces), all but CORRECTION. */
function isLegacyTraceScore(score: ScoreRow): boolean {
  return LISTABLE_SCORE_TYPES.includes(score.data_type);
}
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

/** A value from a fixed list, compared case-insensitively, returned as the list spells it. */
export function oneOf(query: URLSearchParams, name: string, allowed: readonly string[]): string | undefined {
  const raw = optional(query, name);
  if (raw === undefined) return undefined;
  const found = allowed.find((v) => v === raw.toUpperCase());
  if (!found) throw new HttpError(400, `query parameter ${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
  return found;
}

/** 401 `{ message }` (Langfuse's) unless the request carries an accepted key pair. */
export function requireApiAuth(req: IncomingMessage, ctx: ReceiverContext): void {
  if (!ctx.auth.accepts(req.headers.authorization)) throw unauthorized(req);
}

/** Langfuse's 405 on its public API: `{ message: "Method not allowed", error: "MethodNotAllowedError" }`. */
export function methodNotAllowed(allow: string): HttpError {
  return new HttpError(405, "Method not allowed", { allow }, "MethodNotAllowedError");
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
  const { traces, totalItems } = ctx.store.listTraceIds(
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
  const ids = traces.map((t) => t.id);
  const rollups = loadRollups(ctx.store, ids);
  const scoreIds = new Map<string, string[]>();
  for (const score of ctx.scores.ofTraceIds(ids).filter(isLegacyTraceScore)) {
    scoreIds.set(score.trace_id!, [...(scoreIds.get(score.trace_id!) ?? []), score.id]);
  }
  return {
    data: traces.map((t) => toTraceListItem(rollups.get(t.id)!, scoreIds.get(t.id) ?? [])),
    meta: meta(page, totalItems),
  };
}

function listObservations(query: URLSearchParams, ctx: ReceiverContext): unknown {
  const page = pageOf(query);
  const environments = query.getAll("environment").filter((e) => e !== "");
  const { rows, totalItems } = ctx.store.listRowsPaged(
    {
      traceId: optional(query, "traceId"),
      type: oneOf(query, "type", OBSERVATION_TYPES),
      name: optional(query, "name"),
      level: oneOf(query, "level", OBSERVATION_LEVELS),
      userId: optional(query, "userId"),
      version: optional(query, "version"),
      parentObservationId: optional(query, "parentObservationId"),
      environments: environments.length > 0 ? environments : undefined,
      fromStartTime: isoTimestamp(query, "fromStartTime"),
      toStartTime: isoTimestamp(query, "toStartTime"),
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
  if (req.method !== "GET") throw methodNotAllowed("GET");
  requireApiAuth(req, ctx);
  const decodedId = id === undefined ? undefined : decodePathSegment(id, "InvalidRequestError");
  if (resource === "traces") {
    if (decodedId === undefined) {
      sendJson(res, 200, listTraces(query, ctx));
      return true;
    }
    const rows = ctx.store.rowsOfTrace(decodedId);
    if (rows.length === 0) throw new HttpError(404, `Trace ${decodedId} not found`, {}, "LangfuseNotFoundError");
    const scores = ctx.scores.ofTraceIds([decodedId]).filter(isLegacyTraceScore).map(toScoreV1);
    sendJson(res, 200, toTraceWithFullDetails(loadRollups(ctx.store, [decodedId]).get(decodedId)!, rows, scores));
    return true;
  }
  if (decodedId === undefined) {
    sendJson(res, 200, listObservations(query, ctx));
    return true;
  }
  // Langfuse v4 keeps every row of an id; one id answers with the latest of them.
  const observation = ctx.store.latestRowOfId(decodedId);
  if (!observation) throw new HttpError(404, `Observation ${decodedId} not found`, {}, "LangfuseNotFoundError");
  sendJson(res, 200, toObservationView(observation));
  return true;
}
