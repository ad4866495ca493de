// The trace viewer's read API on the receiver (/_receiver/viewer/*): traces rolled up from their
// rows with what Langfuse's public API does not return per trace (duration, observation and row
// counts, duplicate rows, token and cost sums, error and warning counts, the turn's outcome), each
// observation row with its own trace context and its price, the trace's agent graph as Langfuse
// draws it, its scores, a session's turns oldest first with theirs, and the stored prompts.
// Read with the key pair or the session cookie the login link (GET /ui/login) sets.
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodePathSegment, HttpError, sendJson } from "../http-responses.js";
import { isoTimestamp, meta, optional, pageOf } from "../public-api-routes.js";
import { parsePayload, toObservationView, type LangfuseObservation } from "../public-api-views.js";
import { LOGIN_PATH } from "../receiver-access.js";
import type { ReceiverContext } from "../receiver-context.js";
import type { ObservationRow, RowFacts } from "../span-store.js";
import { modelById } from "../pricing/model-prices.js";
import type { PromptVersion } from "../prompts/prompt-store.js";
import type { ScoreRow } from "../scores/score-store.js";
import { rollupTraces, type TraceRollup } from "../trace-rollup.js";
import { buildAgentGraph, type AgentGraph } from "./agent-graph.js";
import { sendLoginRequired } from "./viewer-assets.js";
import { VIEWER_BASE_PATH } from "./viewer-links.js";

export const VIEWER_API_PATH = "/_receiver/viewer";

/** Longest input/output preview in a list row: enough to recognise a turn, small per page. */
const PREVIEW_CHARS = 160;
/** Observation names of a clarification turn (the node span, or its generation alone when node spans are off). */
const CLARIFY_NAMES = new Set(["clarify_node", "clarify_question"]);
const DISCONNECTED_STATUS = "client disconnected";

/** One row of the viewer's trace list. */
export interface TraceSummary {
  id: string;
  timestamp: string;
  name: string | null;
  userId: string | null;
  sessionId: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  /** Seconds from the first observation's start to the last one's end. */
  latency: number;
  /** Distinct observation ids. */
  observationCount: number;
  /** Stored rows, duplicates included. */
  rowCount: number;
  /** Rows beyond the first of their id: spans that were sent more than once. */
  duplicateRows: number;
  usage: { input: number; output: number; total: number };
  /** USD, the rows' costs summed (as Langfuse prices them; a duplicate row is paid twice). */
  totalCost: number;
  /** Rows at level ERROR / WARNING. */
  errorCount: number;
  warningCount: number;
  /** The turn asked a clarifying question (a clarify_node or clarify_question observation). */
  clarification: boolean;
  /** The client went away: a WARNING "client disconnected", not a failure. */
  disconnected: boolean;
  inputPreview: string | null;
  outputPreview: string | null;
}

/** A score as the viewer shows it: what it says and what it is on. */
export interface ViewerScore {
  id: string;
  name: string;
  dataType: string;
  /** The number (NUMERIC, BOOLEAN 0/1); null for the text types. */
  value: number | null;
  /** "True"/"False" for BOOLEAN, the category or text for the others; null for NUMERIC. */
  stringValue: string | null;
  comment: string | null;
  source: string;
  timestamp: string;
  traceId: string | null;
  /** Set when the score is on one observation of the trace. */
  observationId: string | null;
  sessionId: string | null;
}

/** A session's turn: the summary plus the whole input and output, and the turn's scores. */
export interface SessionTurn extends TraceSummary {
  input: unknown;
  output: unknown;
  scores: ViewerScore[];
}

/** A prompt in the viewer's list: its versions and where its labels are. */
export interface ViewerPromptSummary {
  name: string;
  type: string;
  tags: string[];
  /** Version numbers, newest first. */
  versions: number[];
  /** Each label and the version carrying it. */
  labels: Record<string, number>;
  lastUpdatedAt: string;
}

/** One stored row as the trace page shows it: the legacy observation plus its own trace context. */
export interface ViewerObservation extends LangfuseObservation {
  rowId: number;
  userId: string | null;
  sessionId: string | null;
  traceName: string | null;
  tags: string[];
  release: string | null;
  /** Rows stored under this observation id (more than 1: the span was sent more than once). */
  copies: number;
  /** 1 for the first row of its id, 2 for the next, ... */
  copyIndex: number;
  receivedAt: string;
  ingestionVersion: string | null;
  /** The matched model's name in the price table, null when the model matched none. */
  pricedAs: string | null;
  /** Usage as sent; null when none was: then `usageDetails` was counted from the input and output, as Langfuse does. */
  providedUsageDetails: Record<string, number> | null;
}

function toViewerScore(row: ScoreRow): ViewerScore {
  return {
    id: row.id,
    name: row.name,
    dataType: row.data_type,
    value: row.data_type === "NUMERIC" || row.data_type === "BOOLEAN" ? row.value : null,
    stringValue: row.data_type === "CORRECTION" ? row.long_string_value : row.string_value,
    comment: row.comment,
    source: row.source,
    timestamp: row.timestamp,
    traceId: row.trace_id,
    observationId: row.observation_id,
    sessionId: row.session_id,
  };
}

function preview(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

function summarize(trace: TraceRollup, facts: RowFacts[]): TraceSummary {
  const disconnected =
    trace.metadata["disconnected"] === "true" ||
    trace.metadata["disconnected"] === true ||
    facts.some((r) => r.is_root === 1 && r.level === "WARNING" && r.status_message === DISCONNECTED_STATUS);
  return {
    id: trace.id,
    timestamp: trace.timestamp,
    name: trace.name,
    userId: trace.userId,
    sessionId: trace.sessionId,
    tags: trace.tags,
    metadata: trace.metadata,
    latency: trace.latency,
    observationCount: trace.observationIds.length,
    rowCount: trace.rows,
    duplicateRows: trace.duplicateRows,
    usage: trace.usage,
    totalCost: trace.totalCost,
    errorCount: trace.errorCount,
    warningCount: trace.warningCount,
    clarification: facts.some((r) => CLARIFY_NAMES.has(r.name)),
    disconnected,
    inputPreview: preview(parsePayload(trace.input)),
    outputPreview: preview(parsePayload(trace.output)),
  };
}

/** Summaries of the given traces, in the given order. */
function summariesOf(ctx: ReceiverContext, traceIds: string[]): Array<{ trace: TraceRollup; summary: TraceSummary }> {
  const facts = ctx.store.factsOfTraces(traceIds);
  const rollups = rollupTraces(facts, ctx.store.payloadsOfTraces(traceIds));
  const factsByTrace = new Map<string, RowFacts[]>();
  for (const row of facts) {
    const list = factsByTrace.get(row.trace_id);
    if (list) list.push(row);
    else factsByTrace.set(row.trace_id, [row]);
  }
  return traceIds.flatMap((id) => {
    const trace = rollups.get(id);
    return trace ? [{ trace, summary: summarize(trace, factsByTrace.get(id) ?? []) }] : [];
  });
}

function toViewerObservations(rows: ObservationRow[]): ViewerObservation[] {
  const copies = new Map<string, number>();
  for (const row of rows) copies.set(row.id, (copies.get(row.id) ?? 0) + 1);
  const seen = new Map<string, number>();
  // Copy numbers follow storage order, whatever the start order of the copies.
  const copyIndex = new Map<number, number>();
  for (const row of [...rows].sort((a, b) => a.row_id - b.row_id)) {
    const n = (seen.get(row.id) ?? 0) + 1;
    seen.set(row.id, n);
    copyIndex.set(row.row_id, n);
  }
  return rows.map((row) => ({
    ...toObservationView(row),
    rowId: row.row_id,
    userId: row.user_id,
    sessionId: row.session_id,
    traceName: row.trace_name,
    tags: JSON.parse(row.tags) as string[],
    release: row.release,
    copies: copies.get(row.id) ?? 1,
    copyIndex: copyIndex.get(row.row_id) ?? 1,
    receivedAt: row.received_at,
    ingestionVersion: row.ingestion_version,
    pricedAs: row.model_id ? (modelById(row.model_id)?.modelName ?? null) : null,
    providedUsageDetails: row.provided_usage_details
      ? (JSON.parse(row.provided_usage_details) as Record<string, number>)
      : null,
  }));
}

function objectOf(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The trace's agent graph from its rows, their metadata as Langfuse merges it (trace metadata over the row's). */
function agentGraphOf(rows: ObservationRow[]): AgentGraph {
  return buildAgentGraph(
    rows.map((row) => ({
      id: row.id,
      parentObservationId: row.parent_observation_id,
      type: row.type,
      name: row.name,
      startTime: row.start_time,
      endTime: row.end_time,
      metadata: { ...objectOf(row.metadata), ...objectOf(row.trace_metadata) },
    })),
  );
}

/** Models of generations with usage that no price of the table matched: Langfuse would not price them either. */
function unpricedModels(rows: ObservationRow[]): string[] {
  const models = new Set<string>();
  for (const row of rows) if (row.model && !row.model_id && row.usage_details) models.add(row.model);
  return [...models];
}

function listTraces(query: URLSearchParams, ctx: ReceiverContext) {
  const page = pageOf(query);
  const { traces, totalItems } = ctx.store.listTraceIds(
    {
      userId: optional(query, "userId"),
      sessionId: optional(query, "sessionId"),
      name: optional(query, "name"),
      fromTimestamp: isoTimestamp(query, "fromTimestamp"),
      toTimestamp: isoTimestamp(query, "toTimestamp"),
    },
    page,
  );
  return {
    data: summariesOf(
      ctx,
      traces.map((t) => t.id),
    ).map((s) => s.summary),
    meta: meta(page, totalItems),
    names: ctx.store.traceNames(),
  };
}

/** A session's turns oldest first (its newest 1000). */
function sessionTurns(sessionId: string, ctx: ReceiverContext) {
  const { traces } = ctx.store.listTraceIds({ sessionId }, { page: 1, limit: 1000 });
  if (traces.length === 0) throw new HttpError(404, `Session ${sessionId} not found`);
  const traceIds = traces.map((t) => t.id).reverse();
  const scoresByTrace = new Map<string, ViewerScore[]>();
  for (const row of ctx.scores.ofTraceIds(traceIds)) {
    scoresByTrace.set(row.trace_id!, [...(scoresByTrace.get(row.trace_id!) ?? []), toViewerScore(row)]);
  }
  const turns: SessionTurn[] = summariesOf(ctx, traceIds).map(({ trace, summary }) => ({
    ...summary,
    input: parsePayload(trace.input),
    output: parsePayload(trace.output),
    scores: scoresByTrace.get(trace.id) ?? [],
  }));
  const totalCost = turns.reduce((sum, turn) => sum + turn.totalCost, 0);
  const usage = { input: 0, output: 0, total: 0 };
  for (const turn of turns) {
    usage.input += turn.usage.input;
    usage.output += turn.usage.output;
    usage.total += turn.usage.total;
  }
  const scores = ctx.scores.ofSessionIds([sessionId]).map(toViewerScore);
  return { sessionId, userId: turns[0]?.userId ?? null, totalCost, usage, scores, turns };
}

function traceDetails(traceId: string, ctx: ReceiverContext) {
  const rows = ctx.store.rowsOfTrace(traceId);
  if (rows.length === 0) throw new HttpError(404, `Trace ${traceId} not found`);
  const [{ trace, summary }] = summariesOf(ctx, [traceId]) as [{ trace: TraceRollup; summary: TraceSummary }];
  return {
    id: trace.id,
    timestamp: trace.timestamp,
    name: trace.name,
    input: parsePayload(trace.input),
    output: parsePayload(trace.output),
    userId: trace.userId,
    sessionId: trace.sessionId,
    tags: trace.tags,
    metadata: trace.metadata,
    environment: trace.environment,
    release: trace.release,
    version: trace.version,
    observations: toViewerObservations(rows),
    summary,
    graph: agentGraphOf(rows),
    unpricedModels: unpricedModels(rows),
    scores: ctx.scores.ofTraceIds([traceId]).map(toViewerScore),
  };
}

/** Every stored prompt name (the first 500 by name), with its versions and labels. */
function promptList(ctx: ReceiverContext): { data: ViewerPromptSummary[] } {
  const { data } = ctx.prompts.list({ page: 1, limit: 500 });
  return {
    data: data.map((meta) => {
      const labels: Record<string, number> = {};
      const versions = ctx.prompts.versions(meta.name);
      for (const version of versions) for (const label of version.labels) labels[label] = version.version;
      return {
        name: meta.name,
        type: meta.type,
        tags: meta.tags,
        versions: versions.map((v) => v.version),
        labels,
        lastUpdatedAt: meta.lastUpdatedAt,
      };
    }),
  };
}

/** One prompt's versions in full, newest first. */
function promptVersions(name: string, ctx: ReceiverContext): { name: string; versions: PromptVersion[] } {
  const versions = ctx.prompts.versions(name);
  if (versions.length === 0) throw new HttpError(404, `Prompt ${name} not found`);
  return { name, versions };
}

/** Handles GET /_receiver/viewer/{traces,traces/:id,sessions/:id,prompts,prompts/:name}. Returns false for other paths. */
export function handleViewerApi(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  ctx: ReceiverContext,
): boolean {
  if (!path.startsWith(`${VIEWER_API_PATH}/`)) return false;
  const [, resource, id, extra] =
    /^\/_receiver\/viewer\/(traces|sessions|prompts)(?:\/([^/]+))?(\/.*)?$/.exec(path) ?? [];
  if (resource === undefined || extra !== undefined || (resource === "sessions" && id === undefined)) return false;
  if (req.method !== "GET") throw new HttpError(405, `${req.method} is not allowed on ${path}`, { allow: "GET" });
  const decodedId = id === undefined ? undefined : decodePathSegment(id);
  if (resource === "sessions") sendJson(res, 200, sessionTurns(decodedId!, ctx));
  else if (resource === "prompts")
    sendJson(res, 200, decodedId === undefined ? promptList(ctx) : promptVersions(decodedId, ctx));
  else if (decodedId === undefined) sendJson(res, 200, listTraces(query, ctx));
  else sendJson(res, 200, traceDetails(decodedId, ctx));
  return true;
}

const BAD_LOGIN = `<!doctype html><meta charset="utf-8"><title>Switchboard traces: log in</title>
<p style="font:16px/1.5 system-ui;margin:3em;max-width:44em">This login link is not this receiver's: it was made
for another receiver, or this receiver's key pair changed. Use the link the receiver printed at its last start.</p>`;

/**
 * GET /ui/login?token=...&next=/ui/...: the login link. A valid token sets the session cookie and
 * opens `next` (a viewer page only: never another site). Returns false for other paths.
 */
export function handleLogin(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  ctx: ReceiverContext,
): boolean {
  if (path !== LOGIN_PATH) return false;
  if (req.method !== "GET") throw new HttpError(405, `${req.method} is not allowed on ${path}`, { allow: "GET" });
  if (!ctx.access.isLoginToken(query.get("token"))) {
    sendLoginRequired(res, BAD_LOGIN);
    return true;
  }
  const next = query.get("next") ?? "";
  const target =
    next.startsWith(`${VIEWER_BASE_PATH}/`) && !next.startsWith(LOGIN_PATH) ? next : `${VIEWER_BASE_PATH}/`;
  res.writeHead(302, { location: target, "set-cookie": ctx.access.sessionCookie(), "cache-control": "no-store" });
  res.end();
  return true;
}
