// Stored rows in the JSON shapes of Langfuse's legacy public API (Trace, TraceWithFullDetails,
// ObservationsView), so older clients read the receiver unchanged. Traces are roll-ups of their
// rows (trace-rollup.ts); costs are the rows' (priced as Langfuse prices them); a trace's scores
// are its stored scores (scores/score-views.ts, v1 shape).
import type { ObservationRow } from "./span-store.js";
import type { TraceRollup } from "./trace-rollup.js";

/** Payloads arrive as JSON text (the SDK stringifies them); plain strings stay strings. */
export function parsePayload(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseObject(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  const value = parsePayload(text);
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function secondsBetween(startIso: string, endIso: string): number {
  return Math.max(0, (Date.parse(endIso) - Date.parse(startIso)) / 1000);
}

export interface LangfuseUsage {
  input: number;
  output: number;
  total: number;
  unit: "TOKENS";
}

export interface LangfuseObservation {
  id: string;
  traceId: string;
  type: string;
  name: string;
  startTime: string;
  endTime: string;
  completionStartTime: string | null;
  model: string | null;
  modelParameters: Record<string, unknown> | null;
  input: unknown;
  output: unknown;
  version: string | null;
  metadata: Record<string, unknown> | null;
  usage: LangfuseUsage;
  usageDetails: Record<string, number>;
  costDetails: Record<string, number>;
  /** The matched model of the price table (Langfuse's modelId), null when none matched. */
  modelId: string | null;
  usagePricingTierName: string | null;
  /** Sums of the cost keys containing "input" / "output", and the total (transformDbToApiObservation). */
  calculatedInputCost: number | null;
  calculatedOutputCost: number | null;
  calculatedTotalCost: number | null;
  level: string;
  statusMessage: string | null;
  parentObservationId: string | null;
  promptId: string | null;
  promptName: string | null;
  promptVersion: number | null;
  environment: string;
  latency: number;
  timeToFirstToken: number | null;
}

export interface LangfuseTrace {
  id: string;
  timestamp: string;
  name: string | null;
  input: unknown;
  output: unknown;
  sessionId: string | null;
  release: string | null;
  version: string | null;
  userId: string | null;
  metadata: Record<string, unknown>;
  tags: string[];
  public: boolean;
  environment: string;
  htmlPath: string;
  latency: number;
  totalCost: number;
  /** The trace's scores in the v1 shape (trace and observation scores of the listable types). */
  scores: unknown[];
}

export interface LangfuseTraceListItem extends Omit<LangfuseTrace, "scores"> {
  /** Observation ids, as Langfuse's trace list gives them. */
  observations: string[];
  /** Score ids. */
  scores: string[];
}

export interface LangfuseTraceWithFullDetails extends LangfuseTrace {
  observations: LangfuseObservation[];
}

/** Langfuse's reduceUsageOrCostDetails. */
function reduceDetails(details: Record<string, number>): {
  input: number | null;
  output: number | null;
  total: number;
} {
  let input: number | null = null;
  let output: number | null = null;
  for (const [key, value] of Object.entries(details)) {
    if (key.includes("input")) input = (input ?? 0) + value;
    if (key.includes("output")) output = (output ?? 0) + value;
  }
  return { input, output, total: Number(details["total"] ?? 0) };
}

export function toObservationView(row: ObservationRow): LangfuseObservation {
  const usageDetails = (parseObject(row.usage_details) ?? {}) as Record<string, number>;
  const costDetails = (parseObject(row.cost_details) ?? {}) as Record<string, number>;
  const cost = reduceDetails(costDetails);
  const usage = reduceDetails(usageDetails);
  return {
    id: row.id,
    traceId: row.trace_id,
    type: row.type,
    name: row.name,
    startTime: row.start_time,
    endTime: row.end_time,
    completionStartTime: row.completion_start_time,
    model: row.model,
    modelParameters: parseObject(row.model_parameters),
    input: parsePayload(row.input),
    output: parsePayload(row.output),
    version: row.version,
    metadata: parseObject(row.metadata),
    // transformDbToApiObservation: input and output summed over their keys (cached tokens are input).
    usage: { input: usage.input ?? 0, output: usage.output ?? 0, total: usage.total, unit: "TOKENS" },
    usageDetails,
    costDetails,
    modelId: row.model_id,
    usagePricingTierName: row.usage_pricing_tier_name,
    calculatedInputCost: cost.input,
    calculatedOutputCost: cost.output,
    calculatedTotalCost: cost.total,
    level: row.level,
    statusMessage: row.status_message,
    parentObservationId: row.parent_observation_id,
    promptId: row.prompt_id || null,
    promptName: row.prompt_name,
    promptVersion: row.prompt_version,
    environment: row.environment,
    latency: secondsBetween(row.start_time, row.end_time),
    timeToFirstToken: row.completion_start_time ? secondsBetween(row.start_time, row.completion_start_time) : null,
  };
}

function toTraceBase(trace: TraceRollup): Omit<LangfuseTrace, "scores"> {
  return {
    id: trace.id,
    timestamp: trace.timestamp,
    name: trace.name,
    input: parsePayload(trace.input),
    output: parsePayload(trace.output),
    sessionId: trace.sessionId,
    release: trace.release,
    version: trace.version,
    userId: trace.userId,
    metadata: trace.metadata,
    tags: trace.tags,
    public: trace.public,
    environment: trace.environment,
    htmlPath: `/project/local/traces/${trace.id}`,
    latency: trace.latency,
    totalCost: trace.totalCost,
  };
}

/**
 * @param rows every row of the trace in start order; a span sent twice is listed twice, as in Langfuse v4
 * @param scores the trace's scores, v1-shaped
 */
export function toTraceWithFullDetails(
  trace: TraceRollup,
  rows: ObservationRow[],
  scores: unknown[],
): LangfuseTraceWithFullDetails {
  return { ...toTraceBase(trace), scores, observations: rows.map(toObservationView) };
}

export function toTraceListItem(trace: TraceRollup, scoreIds: string[]): LangfuseTraceListItem {
  return { ...toTraceBase(trace), scores: scoreIds, observations: trace.observationIds };
}
