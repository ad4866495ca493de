// The filters of Langfuse's score lists as SQL on the receiver's tables. v1/v2
// (ScoresApiService.buildScoreFilters, _handleGenerateScoresForPublicApi): exact matches, comma
// lists, a value compared with `operator`, the time range, and the trace's user and tags through
// a join on the trace; with the trace in the answer (the default) a score whose trace is not
// stored is left out, as Langfuse's join leaves it out. v1 sees trace and observation scores of
// the listable types only. v3 (listScoresV3ForPublicApi): lists of values per field, no join.
import { HttpError } from "../http-responses.js";
import { LISTABLE_SCORE_TYPES, type ListScoresQuery, type ListScoresV3Query } from "./score-schemas.js";
import type { ScoreCondition } from "./score-store.js";

// The rows of a trace: a trace has a user, tag or environment when one of its rows does, as the
// receiver's legacy trace list reads them.
const TRACE_ROWS = "SELECT trace_id FROM observation_rows WHERE";

const anyOf = (column: string, values: readonly unknown[]): ScoreCondition => ({
  sql: `${column} IN (${values.map(() => "?").join(", ")})`,
  params: [...values],
});
const listOf = (value: string | string[]) => (Array.isArray(value) ? value : value.split(","));

export interface ScoreListPlan {
  conditions: ScoreCondition[];
  /** Whether list items carry their trace's user, tags, environment and session. */
  includeTrace: boolean;
}

/** A v1 or v2 list query as conditions; 400s where Langfuse's handler refuses the combination. */
export function planV2List(q: ListScoresQuery, version: "v1" | "v2"): ScoreListPlan {
  const invalid = (message: string) => new HttpError(400, message, {}, "InvalidRequestError");
  if (q.filter !== undefined && q.filter !== "") {
    throw invalid("The receiver does not implement the structured `filter` on scores: use the simple parameters");
  }
  const fields = q.fields ?? ["score", "trace"];
  if (version === "v2") {
    if (!fields.includes("score")) throw invalid("Scores needs to be selected always.");
    if (!fields.includes("trace") && (q.userId || q.traceTags)) {
      throw invalid(
        "Cannot filter by trace properties (userId, traceTags) when 'trace' field is not included. Please add 'trace' to the fields parameter or remove trace filters.",
      );
    }
  }
  const conditions: ScoreCondition[] = [];
  const equal = (column: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined) conditions.push({ sql: `${column} = ?`, params: [value] });
  };
  if (version === "v1") {
    conditions.push({
      sql: "s.trace_id IS NOT NULL AND s.session_id IS NULL AND s.dataset_run_id IS NULL",
      params: [],
    });
    conditions.push(anyOf("s.data_type", LISTABLE_SCORE_TYPES));
  }
  equal("s.trace_id", q.traceId);
  equal("s.name", q.name);
  equal("s.source", q.source);
  equal("s.config_id", q.configId);
  equal("s.session_id", q.sessionId);
  equal("s.dataset_run_id", q.datasetRunId);
  equal("s.queue_id", q.queueId);
  equal("s.data_type", q.dataType);
  if (q.observationId) conditions.push(anyOf("s.observation_id", q.observationId));
  if (q.scoreIds) conditions.push(anyOf("s.id", q.scoreIds));
  if (q.environment) conditions.push(anyOf("s.environment", listOf(q.environment)));
  if (q.fromTimestamp) conditions.push({ sql: "s.timestamp >= ?", params: [new Date(q.fromTimestamp).toISOString()] });
  if (q.toTimestamp) conditions.push({ sql: "s.timestamp < ?", params: [new Date(q.toTimestamp).toISOString()] });
  // The value filter takes effect with an operator only (Langfuse's NumberFilter needs both).
  if (q.operator && q.value !== null && q.value !== undefined) {
    conditions.push({ sql: `s.value ${q.operator === "!=" ? "<>" : q.operator} ?`, params: [q.value] });
  }

  const traceFilters: ScoreCondition[] = [];
  if (q.userId) traceFilters.push({ sql: `s.trace_id IN (${TRACE_ROWS} user_id = ?)`, params: [q.userId] });
  for (const tag of q.traceTags ? listOf(q.traceTags) : []) {
    traceFilters.push({
      sql: `s.trace_id IN (${TRACE_ROWS} EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?))`,
      params: [tag],
    });
  }
  if (traceFilters.length > 0 && q.environment) {
    const environments = listOf(q.environment);
    traceFilters.push({
      sql: `s.trace_id IN (${TRACE_ROWS} environment IN (${environments.map(() => "?").join(", ")}))`,
      params: environments,
    });
  }
  conditions.push(...traceFilters);
  const includeTrace = fields.includes("trace");
  if (includeTrace || traceFilters.length > 0) {
    conditions.push({ sql: "s.trace_id IS NULL OR s.trace_id IN (SELECT trace_id FROM trace_index)", params: [] });
  }
  return { conditions, includeTrace };
}

/** A v3 list query as conditions. */
export function planV3List(q: ListScoresV3Query): ScoreCondition[] {
  const conditions: ScoreCondition[] = [];
  const lists: Array<[string, string[] | undefined]> = [
    ["s.id", q.id],
    ["s.name", q.name],
    ["s.source", q.source],
    ["s.data_type", q.dataType],
    ["s.environment", q.environment],
    ["s.config_id", q.configId],
    ["s.queue_id", q.queueId],
    // Scores sent through the API have no author.
    ["NULL", q.authorUserId],
    ["s.trace_id", q.traceId],
    ["s.session_id", q.sessionId],
    ["s.observation_id", q.observationId],
    ["s.dataset_run_id", q.experimentId],
  ];
  for (const [column, values] of lists) if (values?.length) conditions.push(anyOf(column, values));
  if (q.fromTimestamp) conditions.push({ sql: "s.timestamp >= ?", params: [q.fromTimestamp.toISOString()] });
  if (q.toTimestamp) conditions.push({ sql: "s.timestamp < ?", params: [q.toTimestamp.toISOString()] });
  if (q.valueMin !== undefined) conditions.push({ sql: "s.value >= ?", params: [q.valueMin] });
  if (q.valueMax !== undefined) conditions.push({ sql: "s.value <= ?", params: [q.valueMax] });
  if (q.value?.length && q.dataType?.length === 1) {
    const dataType = q.dataType[0];
    if (dataType === "NUMERIC") conditions.push(anyOf("s.value", q.value.map(Number)));
    if (dataType === "BOOLEAN")
      conditions.push(
        anyOf(
          "s.value",
          q.value.map((v) => (v === "true" ? 1 : 0)),
        ),
      );
    if (dataType === "CATEGORICAL") conditions.push(anyOf("s.string_value", q.value));
  }
  return conditions;
}
