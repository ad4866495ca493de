// Langfuse's public scores API (web/src/pages/api/public/scores, v2/scores, v3/scores):
//   POST   /api/public/scores            create or replace a score by id; 200 `{ id }`
//   GET    /api/public/scores            v1 list (trace scores, page by page; deprecated in Langfuse)
//   GET    /api/public/scores/{id}       v1 score;   DELETE: 202 `{ message }`
//   GET    /api/public/v2/scores         v2 list (trace, observation and session scores, with their trace)
//   GET    /api/public/v2/scores/{id}    v2 score
//   GET    /api/public/v3/scores         v3 list (Langfuse v4's read API: cursor pages, field groups)
// All built on createAuthedProjectAPIRoute: a 401 is `{ message }`, a query or body its zod
// schema refuses is `{ message: "Invalid request data", error: issues }`.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { answerUnderFaults, type ApiAnswer } from "../fault-answer.js";
import { decodePathSegment, HttpError, parseRequest, sendJson } from "../http-responses.js";
import { readApiBody } from "../http-request-body.js";
import { methodNotAllowed, requireApiAuth } from "../public-api-routes.js";
import { queryObject } from "../query-object.js";
import type { ReceiverContext } from "../receiver-context.js";
import { loadRollups } from "../trace-rollup.js";
import { planV2List, planV3List } from "./score-queries.js";
import {
  encodeV3Cursor,
  inflateScore,
  LISTABLE_SCORE_TYPES,
  listScoresV1QuerySchema,
  listScoresV2QuerySchema,
  listScoresV3QuerySchema,
  postScoreSchema,
} from "./score-schemas.js";
import type { ScoreRow } from "./score-store.js";
import { toScoreV1, toScoreV2, toScoreV3, withTraceV1, withTraceV2, type ScoreTraceView } from "./score-views.js";

const ROUTE = /^\/api\/public\/(?:(v2|v3)\/)?scores(?:\/([^/]+))?$/;
const NOT_FOUND = () => new HttpError(404, "Score not found", {}, "LangfuseNotFoundError");

/**
 * createAuthedProjectAPIRoute: the key pair, or on the create route (allowedAccessLevels
 * ["project", "scores"]) also `Bearer <public key>`; a public key elsewhere is a 403.
 */
function requireScoresAuth(req: IncomingMessage, ctx: ReceiverContext, publicKeyAllowed: boolean): void {
  const header = req.headers.authorization;
  if (ctx.auth.accepts(header)) return;
  if (ctx.auth.acceptsPublicKey(header)) {
    if (publicKeyAllowed) return;
    throw new HttpError(403, "Access denied - insufficient permissions for this endpoint", {}, null);
  }
  requireApiAuth(req, ctx);
}

async function createScore(req: IncomingMessage, ctx: ReceiverContext): Promise<ApiAnswer> {
  const body = parseRequest(postScoreSchema, await readApiBody(req));
  // Langfuse: `body.id || randomUUID()`, so an empty id gets a new one too.
  const id = body.id || randomUUID();
  const score = inflateScore(body, id);
  if (score.configId !== null) {
    // Langfuse answers, then its worker drops the score: the project has no such config.
    ctx.stats.scoresDropped++;
    ctx.logger.warn(
      { scoreId: id, configId: score.configId },
      "score not stored: the configId you provided does not match a valid config in this project (the receiver keeps no score configs)",
    );
    return { status: 200, body: { id } };
  }
  const { created } = ctx.scores.put(score);
  if (created) ctx.stats.scoresCreated++;
  else ctx.stats.scoresUpdated++;
  return { status: 200, body: { id } };
}

/** Each listed score's trace, as the v1/v2 lists join it. */
function tracesOf(rows: ScoreRow[], ctx: ReceiverContext): Map<string, ScoreTraceView> {
  const ids = [...new Set(rows.flatMap((row) => (row.trace_id ? [row.trace_id] : [])))];
  const views = new Map<string, ScoreTraceView>();
  for (const [id, trace] of loadRollups(ctx.store, ids)) {
    views.set(id, {
      userId: trace.userId,
      tags: trace.tags,
      environment: trace.environment,
      sessionId: trace.sessionId,
    });
  }
  return views;
}

function listV1V2(query: URLSearchParams, ctx: ReceiverContext, version: "v1" | "v2"): unknown {
  const q = parseRequest(version === "v1" ? listScoresV1QuerySchema : listScoresV2QuerySchema, queryObject(query));
  const plan = planV2List(q, version);
  const { rows, totalItems } = ctx.scores.page(plan.conditions, q.limit, (q.page - 1) * q.limit);
  const traces = plan.includeTrace ? tracesOf(rows, ctx) : new Map<string, ScoreTraceView>();
  const traceOf = (row: ScoreRow) => (row.trace_id ? (traces.get(row.trace_id) ?? null) : null);
  const data =
    version === "v2"
      ? rows.map((row) => withTraceV2(row, plan.includeTrace ? traceOf(row) : null))
      : // Langfuse validates v1 items against a schema that needs the trace: without it they are left out.
        rows.flatMap((row) => {
          const trace = traceOf(row);
          return trace ? [withTraceV1(row, trace)] : [];
        });
  return { data, meta: { page: q.page, limit: q.limit, totalItems, totalPages: Math.ceil(totalItems / q.limit) } };
}

function listV3(query: URLSearchParams, ctx: ReceiverContext): unknown {
  const q = parseRequest(listScoresV3QuerySchema, queryObject(query));
  const cursor = q.cursor && { timestamp: q.cursor.lastTimestamp.toISOString(), id: q.cursor.lastId };
  const rows = ctx.scores.after(planV3List(q), cursor, q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    data: page.map((row) => toScoreV3(row, q.fields)),
    meta: {
      limit: q.limit,
      ...(rows.length > q.limit && last ? { cursor: encodeV3Cursor(last.timestamp, last.id) } : {}),
    },
  };
}

function getOne(id: string, ctx: ReceiverContext, version: "v1" | "v2"): unknown {
  const row = ctx.scores.get(id);
  if (!row) throw NOT_FOUND();
  if (version === "v2") return toScoreV2(row);
  // v1: trace and observation scores of the listable types only.
  const listable = row.trace_id !== null && row.session_id === null && row.dataset_run_id === null;
  if (!listable || !LISTABLE_SCORE_TYPES.includes(row.data_type)) throw NOT_FOUND();
  return toScoreV1(row);
}

/** Handles the scores API. Returns false for other paths. */
export async function handleScores(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  ctx: ReceiverContext,
): Promise<boolean> {
  const match = ROUTE.exec(path);
  if (!match) return false;
  const [, apiVersion, rawId] = match;
  const id = rawId === undefined ? undefined : decodePathSegment(rawId, "InvalidRequestError");
  if (apiVersion === "v3") {
    if (id !== undefined) return false;
    if (req.method !== "GET") throw methodNotAllowed("GET");
    requireScoresAuth(req, ctx, false);
    sendJson(res, 200, listV3(query, ctx));
    return true;
  }
  const version = apiVersion === "v2" ? "v2" : "v1";
  if (id === undefined) {
    const allowed = version === "v1" ? ["GET", "POST"] : ["GET"];
    if (!allowed.includes(req.method ?? "")) throw methodNotAllowed(allowed.join(", "));
    requireScoresAuth(req, ctx, req.method === "POST");
    if (req.method === "POST") await answerUnderFaults(ctx, "scores", req, res, () => createScore(req, ctx));
    else sendJson(res, 200, listV1V2(query, ctx, version));
    return true;
  }
  const allowed = version === "v1" ? ["GET", "DELETE"] : ["GET"];
  if (!allowed.includes(req.method ?? "")) throw methodNotAllowed(allowed.join(", "));
  requireScoresAuth(req, ctx, false);
  if (req.method === "DELETE") {
    // Langfuse queues the deletion and answers 202 whether the score exists or not.
    ctx.scores.delete(id);
    sendJson(res, 202, { message: "Score deletion queued successfully" });
    return true;
  }
  sendJson(res, 200, getOne(id, ctx, version));
  return true;
}
