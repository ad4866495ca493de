// The trace viewer's read API on the receiver (/_receiver/viewer/*): what Langfuse's public API
// lacks for a trace list (duration, observation count, token sums, error counts per trace) and
// a session's turns oldest first. Unauthenticated like the rest of /_receiver: the receiver is a
// local development tool listening on 127.0.0.1. Langfuse-shaped endpoints stay untouched.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, sendJson } from "../collector/http-responses.js";
import { isoTimestamp, meta, optional, pageOf } from "../collector/public-api-routes.js";
import { toTraceListItem, toTraceWithFullDetails, type LangfuseTrace } from "../collector/public-api-views.js";
import type { ReceiverContext } from "../collector/receiver-context.js";
import type { ObservationSummaryRow, TraceAggregateRow, TraceRow } from "../collector/span-store.js";

export const VIEWER_API_PATH = "/_receiver/viewer";

/** Longest input/output preview in a list row: enough to recognise a turn, small per page. */
const PREVIEW_CHARS = 160;

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
  observationCount: number;
  usage: { input: number; output: number; total: number };
  /** Observations at level ERROR / WARNING. */
  errorCount: number;
  warningCount: number;
  inputPreview: string | null;
  outputPreview: string | null;
}

/** A session's turn: the summary plus the whole input and output. */
export interface SessionTurn extends TraceSummary {
  input: unknown;
  output: unknown;
}

function preview(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

function emptyAggregate(traceId: string): TraceAggregateRow {
  return { trace_id: traceId, observations: 0, first_start: "", last_end: "", input_tokens: 0, output_tokens: 0, total_tokens: 0, errors: 0, warnings: 0 };
}

function summarize(row: TraceRow, aggregate: TraceAggregateRow | undefined): { base: LangfuseTrace; summary: TraceSummary } {
  const agg = aggregate ?? emptyAggregate(row.id);
  const extent: ObservationSummaryRow[] = agg.observations > 0 ? [{ id: "", trace_id: row.id, start_time: agg.first_start, end_time: agg.last_end }] : [];
  const { observations: _ids, ...base } = toTraceListItem(row, extent);
  return {
    base,
    summary: {
      id: base.id,
      timestamp: base.timestamp,
      name: base.name,
      userId: base.userId,
      sessionId: base.sessionId,
      tags: base.tags,
      metadata: base.metadata,
      latency: base.latency,
      observationCount: agg.observations,
      usage: { input: agg.input_tokens, output: agg.output_tokens, total: agg.total_tokens },
      errorCount: agg.errors,
      warningCount: agg.warnings,
      inputPreview: preview(base.input),
      outputPreview: preview(base.output),
    },
  };
}

function aggregatesOf(ctx: ReceiverContext, rows: TraceRow[]): Map<string, TraceAggregateRow> {
  return new Map(ctx.store.traceAggregates(rows.map((r) => r.id)).map((a) => [a.trace_id, a]));
}

function listTraces(query: URLSearchParams, ctx: ReceiverContext) {
  const page = pageOf(query);
  const { rows, totalItems } = ctx.store.listTraces(
    {
      userId: optional(query, "userId"),
      sessionId: optional(query, "sessionId"),
      name: optional(query, "name"),
      fromTimestamp: isoTimestamp(query, "fromTimestamp"),
      toTimestamp: isoTimestamp(query, "toTimestamp"),
    },
    page,
  );
  const aggregates = aggregatesOf(ctx, rows);
  return { data: rows.map((row) => summarize(row, aggregates.get(row.id)).summary), meta: meta(page, totalItems), names: ctx.store.traceNames() };
}

/** A session's turns oldest first (its newest 1000). */
function sessionTurns(sessionId: string, ctx: ReceiverContext) {
  const { rows } = ctx.store.listTraces({ sessionId }, { page: 1, limit: 1000 });
  if (rows.length === 0) throw new HttpError(404, `Session ${sessionId} not found`);
  const aggregates = aggregatesOf(ctx, rows);
  const turns: SessionTurn[] = rows.reverse().map((row) => {
    const { base, summary } = summarize(row, aggregates.get(row.id));
    return { ...summary, input: base.input, output: base.output };
  });
  return { sessionId, userId: turns[0]?.userId ?? null, turns };
}

/** Handles GET /_receiver/viewer/{traces,traces/:id,sessions/:id}. Returns false for other paths. */
export function handleViewerApi(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, ctx: ReceiverContext): boolean {
  if (!path.startsWith(`${VIEWER_API_PATH}/`)) return false;
  const [, resource, id, extra] = /^\/_receiver\/viewer\/(traces|sessions)(?:\/([^/]+))?(\/.*)?$/.exec(path) ?? [];
  if (resource === undefined || extra !== undefined || (resource === "sessions" && id === undefined)) return false;
  if (req.method !== "GET") throw new HttpError(405, `${req.method} is not allowed on ${path}`, { allow: "GET" });
  const decodedId = id === undefined ? undefined : decodeURIComponent(id);
  if (resource === "sessions") {
    sendJson(res, 200, sessionTurns(decodedId!, ctx));
    return true;
  }
  if (decodedId === undefined) {
    sendJson(res, 200, listTraces(query, ctx));
    return true;
  }
  const trace = ctx.store.getTrace(decodedId);
  if (!trace) throw new HttpError(404, `Trace ${decodedId} not found`);
  const aggregate = aggregatesOf(ctx, [trace]).get(trace.id);
  sendJson(res, 200, { ...toTraceWithFullDetails(trace, ctx.store.observationsOfTrace(decodedId)), summary: summarize(trace, aggregate).summary });
  return true;
}
