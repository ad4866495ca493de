// Stored rows in the JSON shapes of Langfuse's public API (Trace, TraceWithFullDetails,
// ObservationsView), so clients written against Langfuse read the receiver unchanged. Cost and
// score fields Langfuse computes server-side are present but empty.
import type { ObservationRow, ObservationSummaryRow, TraceRow } from "./span-store.js";

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
  scores: unknown[];
}

export interface LangfuseTraceListItem extends LangfuseTrace {
  /** Observation ids, as Langfuse's trace list gives them. */
  observations: string[];
}

export interface LangfuseTraceWithFullDetails extends LangfuseTrace {
  observations: LangfuseObservation[];
}

export function toObservationView(row: ObservationRow): LangfuseObservation {
  const usageDetails = (parseObject(row.usage_details) ?? {}) as Record<string, number>;
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
    usage: {
      input: usageDetails.input ?? 0,
      output: usageDetails.output ?? 0,
      total: usageDetails.total ?? 0,
      unit: "TOKENS",
    },
    usageDetails,
    costDetails: (parseObject(row.cost_details) ?? {}) as Record<string, number>,
    level: row.level,
    statusMessage: row.status_message,
    parentObservationId: row.parent_observation_id,
    promptId: null,
    promptName: row.prompt_name,
    promptVersion: row.prompt_version,
    environment: row.environment,
    latency: secondsBetween(row.start_time, row.end_time),
    timeToFirstToken: row.completion_start_time ? secondsBetween(row.start_time, row.completion_start_time) : null,
  };
}

function traceLatency(observations: Array<{ start_time: string; end_time: string }>): number {
  if (observations.length === 0) return 0;
  let start = observations[0]!.start_time;
  let end = observations[0]!.end_time;
  for (const o of observations) {
    if (o.start_time < start) start = o.start_time;
    if (o.end_time > end) end = o.end_time;
  }
  return secondsBetween(start, end);
}

function toTraceBase(row: TraceRow, latency: number): LangfuseTrace {
  return {
    id: row.id,
    timestamp: row.timestamp,
    name: row.name,
    input: parsePayload(row.explicit_input ?? row.root_input),
    output: parsePayload(row.explicit_output ?? row.root_output),
    sessionId: row.session_id,
    release: row.release,
    version: row.version,
    userId: row.user_id,
    metadata: parseObject(row.metadata) ?? {},
    tags: JSON.parse(row.tags) as string[],
    public: row.public === 1,
    environment: row.environment ?? "default",
    htmlPath: `/project/local/traces/${row.id}`,
    latency,
    totalCost: 0,
    scores: [],
  };
}

export function toTraceWithFullDetails(row: TraceRow, observations: ObservationRow[]): LangfuseTraceWithFullDetails {
  return { ...toTraceBase(row, traceLatency(observations)), observations: observations.map(toObservationView) };
}

/** @param summaries this trace's observations, in start order */
export function toTraceListItem(row: TraceRow, summaries: ObservationSummaryRow[]): LangfuseTraceListItem {
  return { ...toTraceBase(row, traceLatency(summaries)), observations: summaries.map((s) => s.id) };
}
