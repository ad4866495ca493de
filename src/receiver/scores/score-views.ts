// Stored scores in the JSON shapes of Langfuse's scores API: APIScoreSchemaV1 / V2 (the dataType
// decides `value` and `stringValue`: a TEXT score has no `value`, a CORRECTION's text is its
// `stringValue`) and APIScoreSchemaV3 (one polymorphic `value`, optional field groups), as
// convertClickhouseScoreToDomain, convertScoreToPublicApi and scoreDomainToV3 build them.
import { LOCAL_PROJECT_ID } from "../observations-v2-view.js";
import type { ScoreFieldGroupV3 } from "./score-schemas.js";
import type { ScoreRow } from "./score-store.js";

/** parseMetadataCHRecordToDomain: each stored text read back as JSON where it parses. */
export function scoreMetadata(text: string): Record<string, unknown> {
  const record = JSON.parse(text) as Record<string, string>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    try {
      out[key] = JSON.parse(value);
    } catch {
      out[key] = value;
    }
  }
  return out;
}

/** The `trace` of a v1/v2 list item: the trace's own user, tags, environment and session. */
export interface ScoreTraceView {
  userId: string | null;
  tags: string[];
  environment: string;
  sessionId: string | null;
}

export function toScoreV2(row: ScoreRow): Record<string, unknown> {
  const score: Record<string, unknown> = {
    id: row.id,
    projectId: LOCAL_PROJECT_ID,
    environment: row.environment,
    name: row.name,
    value: row.value,
    source: row.source,
    authorUserId: null,
    comment: row.comment,
    metadata: scoreMetadata(row.metadata),
    configId: row.config_id,
    queueId: row.queue_id,
    executionTraceId: null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    timestamp: row.timestamp,
    traceId: row.trace_id,
    observationId: row.observation_id,
    sessionId: row.session_id,
    datasetRunId: row.dataset_run_id,
    stringValue: row.data_type === "CORRECTION" ? row.long_string_value : row.string_value,
    dataType: row.data_type,
  };
  if (row.data_type === "TEXT") delete score["value"];
  return score;
}

/** APIScoreSchemaV1: trace and observation scores only, without the session and run references. */
export function toScoreV1(row: ScoreRow): Record<string, unknown> {
  const { sessionId: _session, datasetRunId: _run, ...score } = toScoreV2(row);
  return score;
}

export function withTraceV2(row: ScoreRow, trace: ScoreTraceView | null): Record<string, unknown> {
  return { ...toScoreV2(row), trace };
}

/** v1 list items always carry the trace (without its session). */
export function withTraceV1(row: ScoreRow, trace: ScoreTraceView): Record<string, unknown> {
  const { sessionId: _session, ...rest } = trace;
  return { ...toScoreV1(row), trace: rest };
}

/** polymorphicValueForV3: a number, a boolean, or the text. */
function valueV3(row: ScoreRow): number | boolean | string {
  switch (row.data_type) {
    case "NUMERIC":
      return row.value;
    case "BOOLEAN":
      return row.value === 1;
    case "CORRECTION":
      return row.long_string_value;
    default:
      return row.string_value ?? "";
  }
}

/** The subject of a v3 score: an experiment, an observation (with its trace), a session, or a trace. */
function subjectV3(row: ScoreRow): Record<string, string> {
  if (row.dataset_run_id) return { kind: "experiment", id: row.dataset_run_id };
  if (row.observation_id) {
    return { kind: "observation", id: row.observation_id, ...(row.trace_id ? { traceId: row.trace_id } : {}) };
  }
  if (row.session_id) return { kind: "session", id: row.session_id };
  return { kind: "trace", id: row.trace_id ?? "" };
}

export function toScoreV3(row: ScoreRow, fields: readonly ScoreFieldGroupV3[]): Record<string, unknown> {
  return {
    id: row.id,
    projectId: LOCAL_PROJECT_ID,
    name: row.name,
    dataType: row.data_type,
    value: valueV3(row),
    source: row.source,
    timestamp: row.timestamp,
    environment: row.environment,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(fields.includes("details")
      ? { comment: row.comment, configId: row.config_id, metadata: scoreMetadata(row.metadata) }
      : {}),
    ...(fields.includes("annotation") ? { authorUserId: null, queueId: row.queue_id } : {}),
    ...(fields.includes("subject") ? { subject: subjectV3(row) } : {}),
  };
}
