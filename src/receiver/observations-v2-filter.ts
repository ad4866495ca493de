// The structured `filter` parameter of GET /api/public/v2/observations, read as Langfuse reads it
// (eventsTableSingleFilter in packages/shared/src/interfaces/filters.ts, createFilterFromFilterState
// in server/queries/clickhouse-sql/factory.ts, the column list eventsTableNativeUiColumnDefinitions
// in server/tableMappings/mapEventsTable.ts, the SQL of each filter in clickhouse-filter.ts and
// fts.ts), compiled to SQL on the receiver's rows. A column is named by its id or its UI name.
// Langfuse's ClickHouse strings are never NULL where the receiver stores NULL, so each text
// column is read as COALESCE(column, '').
import { z } from "zod";
import { HttpError } from "./http-responses.js";

const filterOperators = {
  datetime: [">", "<", ">=", "<="],
  string: ["=", "contains", "does not contain", "starts with", "ends with"],
  stringOptions: ["any of", "none of"],
  categoryOptions: ["any of", "none of"],
  arrayOptions: ["any of", "none of", "all of"],
  number: ["=", ">", "<", ">=", "<="],
  booleanObject: ["=", "<>"],
  boolean: ["=", "<>"],
  null: ["is null", "is not null"],
} as const;
const MATCHES = "matches";

const timeFilter = z.object({
  column: z.string(),
  operator: z.enum(filterOperators.datetime),
  value: z.coerce.date(),
  type: z.literal("datetime"),
});
const stringFilter = z.object({
  column: z.string(),
  operator: z.union([z.enum(filterOperators.string), z.literal(MATCHES)]),
  value: z.string(),
  type: z.literal("string"),
});
const numberFilter = z.object({
  column: z.string(),
  operator: z.enum(filterOperators.number),
  value: z.number(),
  type: z.literal("number"),
});
const stringOptionsFilter = z.object({
  column: z.string(),
  operator: z.enum(filterOperators.stringOptions),
  value: z.array(z.string()).refine((v) => v.length > 0),
  type: z.literal("stringOptions"),
});
const categoryOptionsFilter = z.object({
  type: z.literal("categoryOptions"),
  column: z.string(),
  key: z.string(),
  operator: z.enum(filterOperators.categoryOptions),
  value: z.array(z.string()),
});
const arrayOptionsFilter = z
  .object({
    column: z.string(),
    operator: z.enum(filterOperators.arrayOptions),
    value: z.array(z.string()),
    type: z.literal("arrayOptions"),
  })
  .refine((data) => data.operator === "all of" || data.operator === "none of" || data.value.length > 0, {
    message:
      "Value array must not be empty unless operator is 'all of' or 'none of' (which represent waiting for selection)",
  });
const stringObjectFilter = z.object({
  type: z.literal("stringObject"),
  column: z.string(),
  key: z.string(),
  operator: z.union([z.enum(filterOperators.string), z.literal(MATCHES)]),
  value: z.string(),
});
const numberObjectFilter = z.object({
  type: z.literal("numberObject"),
  column: z.string(),
  key: z.string(),
  operator: z.enum(filterOperators.number),
  value: z.number(),
});
const booleanObjectFilter = z.object({
  type: z.literal("booleanObject"),
  column: z.string(),
  key: z.string(),
  operator: z.enum(filterOperators.booleanObject),
  value: z.boolean(),
});
const booleanFilter = z.object({
  type: z.literal("boolean"),
  column: z.string(),
  operator: z.enum(filterOperators.boolean),
  value: z.boolean(),
});
const nullFilter = z.object({
  type: z.literal("null"),
  column: z.string(),
  operator: z.enum(filterOperators.null),
  value: z.literal(""),
});
const positionInTraceFilter = z
  .object({
    type: z.literal("positionInTrace"),
    column: z.string(),
    operator: z.literal("="),
    key: z.enum(["root", "first", "last", "nthFromEnd", "nthFromStart"]),
    value: z.number().optional(),
  })
  .superRefine((data, ctx) => {
    const needsValue = data.key === "nthFromEnd" || data.key === "nthFromStart";
    if (needsValue && (!data.value || data.value < 1)) {
      ctx.addIssue({ code: "custom", message: "Position must be >= 1 for nth selection", path: ["value"] });
    }
  });

/** Langfuse's eventsTableSingleFilter: the schema each element of `filter` must match. */
export const eventsTableSingleFilter = z.discriminatedUnion("type", [
  timeFilter,
  stringFilter,
  numberFilter,
  stringOptionsFilter,
  categoryOptionsFilter,
  arrayOptionsFilter,
  stringObjectFilter,
  numberObjectFilter,
  booleanObjectFilter,
  booleanFilter,
  nullFilter,
  positionInTraceFilter,
]);
export type SingleFilter = z.infer<typeof eventsTableSingleFilter>;

/** A compiled condition on the rows' table, and the physical field it filters (see deriveFilters). */
export interface SqlCondition {
  sql: string;
  params: unknown[];
  /** Langfuse's field identity: a simple query parameter on the same field gives way to it. */
  field: string;
}

type ColumnType = "string" | "stringOptions" | "arrayOptions" | "datetime" | "number" | "boolean" | "stringObject";

interface FilterColumn {
  id: string;
  name: string;
  /** SQL over the rows' table, with Langfuse's '' where the receiver stores NULL. */
  sql: string;
  /** Langfuse's field string, for the simple/advanced precedence. */
  field: string;
  /** eventsTableCols' type, when Langfuse checks the filter type against it. */
  type?: ColumnType;
  /** ClickHouse column is Nullable (else IS NULL is never true). */
  nullable?: boolean;
  /** '' and NULL are the same value for this column. */
  emptyEqualsNull?: boolean;
  /** input / output: `matches` and `=` only, string filters only. */
  fullText?: boolean;
  metadata?: boolean;
  tags?: boolean;
  /** Langfuse knows the column; the receiver stores nothing for it. */
  unsupported?: string;
}

const text = (column: string) => `COALESCE(${column}, '')`;
const msBetween = (from: string, to: string) => `(julianday(${to}) - julianday(${from})) * 86400000.0`;
const usageSum = (column: string, part: "input" | "output") =>
  `(SELECT COALESCE(SUM(value), 0) FROM json_each(COALESCE(${column}, '{}')) WHERE key LIKE '%${part}%')`;
const IS_ROOT = "(parent_observation_id IS NULL OR parent_observation_id = '' OR is_app_root = 1)";

// eventsTableNativeUiColumnDefinitions, in its order, with the receiver's SQL for each.
const COLUMNS: FilterColumn[] = [
  { id: "environment", name: "Environment", sql: "environment", field: "environment", type: "stringOptions" },
  { id: "ingestionApiKey", name: "API Key", sql: "", field: "", unsupported: "the ingestion API key" },
  { id: "ingestionSdkName", name: "SDK Name", sql: "", field: "", unsupported: "the ingesting SDK" },
  { id: "ingestionSdkVersion", name: "SDK Version", sql: "", field: "", unsupported: "the ingesting SDK" },
  { id: "ingestionSource", name: "Ingestion Source", sql: "", field: "", unsupported: "the ingestion source" },
  { id: "type", name: "Type", sql: "type", field: "type", type: "stringOptions" },
  { id: "id", name: "ID", sql: "id", field: 'e."span_id"', type: "stringOptions" },
  { id: "name", name: "Name", sql: "name", field: "name", type: "stringOptions" },
  { id: "traceId", name: "Trace ID", sql: "trace_id", field: "trace_id", type: "string" },
  { id: "startTime", name: "Start Time", sql: "start_time", field: "start_time", type: "datetime" },
  { id: "endTime", name: "End Time", sql: "end_time", field: 'e."end_time"', type: "datetime", nullable: true },
  {
    id: "timeToFirstToken",
    name: "Time To First Token (s)",
    sql: `CASE WHEN completion_start_time IS NULL THEN NULL ELSE ROUND(${msBetween("start_time", "completion_start_time")}) / 1000.0 END`,
    field: "timeToFirstToken",
    type: "number",
    nullable: true,
  },
  {
    id: "latency",
    name: "Latency (s)",
    sql: `ROUND(${msBetween("start_time", "end_time")}) / 1000.0`,
    field: "latency",
    type: "number",
    nullable: true,
  },
  {
    id: "tokensPerSecond",
    name: "Tokens per second",
    sql: `(${usageSum("usage_details", "output")} / (ROUND(${msBetween("start_time", "end_time")}) / 1000.0))`,
    field: "tokensPerSecond",
    type: "number",
  },
  {
    id: "inputCost",
    name: "Input Cost ($)",
    sql: usageSum("cost_details", "input"),
    field: "inputCost",
    type: "number",
  },
  {
    id: "outputCost",
    name: "Output Cost ($)",
    sql: usageSum("cost_details", "output"),
    field: "outputCost",
    type: "number",
  },
  {
    id: "totalCost",
    name: "Total Cost ($)",
    sql: "json_extract(cost_details, '$.total')",
    field: "totalCost",
    type: "number",
    nullable: true,
  },
  { id: "level", name: "Level", sql: "level", field: "level", type: "stringOptions" },
  {
    id: "statusMessage",
    name: "Status Message",
    sql: text("status_message"),
    field: 'e."status_message"',
    type: "string",
  },
  { id: "model", name: "Model", sql: text("model"), field: 'e."provided_model_name"' },
  {
    id: "providedModelName",
    name: "Provided Model Name",
    sql: text("model"),
    field: 'e."provided_model_name"',
    type: "stringOptions",
  },
  { id: "modelId", name: "Model ID", sql: text("model_id"), field: 'e."model_id"', type: "stringOptions" },
  {
    id: "inputTokens",
    name: "Input Tokens",
    sql: usageSum("usage_details", "input"),
    field: "inputTokens",
    type: "number",
  },
  {
    id: "outputTokens",
    name: "Output Tokens",
    sql: usageSum("usage_details", "output"),
    field: "outputTokens",
    type: "number",
  },
  {
    id: "totalTokens",
    name: "Total Tokens",
    sql: "json_extract(usage_details, '$.total')",
    field: "totalTokens",
    type: "number",
    nullable: true,
  },
  { id: "tokens", name: "Tokens", sql: "json_extract(usage_details, '$.total')", field: "tokens", nullable: true },
  { id: "metadata", name: "Metadata", sql: "", field: "metadata", type: "stringObject", metadata: true },
  { id: "evaluatorId", name: "Evaluator ID", sql: "", field: "", unsupported: "evaluator executions" },
  { id: "ruleId", name: "Rule ID", sql: "", field: "", unsupported: "evaluator executions" },
  { id: "version", name: "Version", sql: text("version"), field: "version", type: "string" },
  { id: "release", name: "Release", sql: text("release"), field: "release", type: "string", emptyEqualsNull: true },
  { id: "promptName", name: "Prompt Name", sql: text("prompt_name"), field: "e.prompt_name", type: "stringOptions" },
  {
    id: "promptVersion",
    name: "Prompt Version",
    sql: "prompt_version",
    field: "e.prompt_version",
    type: "number",
    nullable: true,
  },
  { id: "input", name: "Input", sql: text("input"), field: "e.input", type: "string", fullText: true },
  { id: "output", name: "Output", sql: text("output"), field: "e.output", type: "string", fullText: true },
  { id: "sessionId", name: "Session ID", sql: text("session_id"), field: "session_id", type: "string" },
  {
    id: "traceName",
    name: "Trace Name",
    sql: `COALESCE(NULLIF(trace_name, ''), CASE WHEN ${IS_ROOT} THEN NULLIF(name, '') END)`,
    field: "traceName",
    type: "stringOptions",
    nullable: true,
  },
  { id: "userId", name: "User ID", sql: text("user_id"), field: "user_id", type: "string" },
  { id: "traceTags", name: "Trace Tags", sql: "tags", field: 'e."tags"', type: "arrayOptions", tags: true },
  { id: "tags", name: "Tags", sql: "tags", field: 'e."tags"', tags: true },
  { id: "traceEnvironment", name: "Trace Environment", sql: "environment", field: "environment" },
  {
    id: "hasParentObservation",
    name: "Has Parent Observation",
    sql: `(${text("parent_observation_id")} != '')`,
    field: "hasParentObservation",
    type: "boolean",
  },
  { id: "isRootObservation", name: "Is Root Observation", sql: IS_ROOT, field: "isRootObservation", type: "boolean" },
  { id: "hasInput", name: "Has Input", sql: `(${text("input")} != '')`, field: "hasInput", type: "boolean" },
  { id: "hasOutput", name: "Has Output", sql: `(${text("output")} != '')`, field: "hasOutput", type: "boolean" },
  {
    id: "parentObservationId",
    name: "Parent Observation ID",
    sql: text("parent_observation_id"),
    field: "parent_observation_id",
    emptyEqualsNull: true,
  },
  { id: "experimentDatasetId", name: "Experiment Dataset ID", sql: "", field: "", unsupported: "experiments" },
  { id: "experimentId", name: "Experiment ID", sql: "", field: "", unsupported: "experiments" },
  { id: "experimentName", name: "Experiment Name", sql: "", field: "", unsupported: "experiments" },
  {
    id: "isExperimentItemRootSpan",
    name: "Is Experiment Item Root Span",
    sql: "",
    field: "",
    unsupported: "experiments",
  },
  { id: "toolDefinitions", name: "Available Tools", sql: "", field: "", unsupported: "tool definitions" },
  { id: "toolCalls", name: "Tool Calls", sql: "", field: "", unsupported: "tool calls" },
  { id: "toolNames", name: "Tool Names", sql: "", field: "", unsupported: "tool definitions" },
  { id: "calledToolNames", name: "Called Tool Names", sql: "", field: "", unsupported: "tool calls" },
];

// COMPATIBLE_FILTER_TYPES (filterTypeCompatibility.ts).
const COMPATIBLE: Record<ColumnType, readonly string[]> = {
  string: ["string", "stringOptions"],
  stringOptions: ["string", "stringOptions"],
  arrayOptions: ["arrayOptions", "stringOptions"],
  datetime: ["datetime"],
  number: ["number"],
  boolean: ["boolean"],
  stringObject: ["stringObject"],
};

/** A filter Langfuse refuses: 400 `{ message, error: "InvalidRequestError" }`. */
function invalid(message: string): never {
  throw new HttpError(400, message, {}, "InvalidRequestError");
}

function findColumn(column: string): FilterColumn {
  const found = COLUMNS.find((c) => c.id === column || c.name === column);
  if (!found) invalid(`Column ${column} does not match a UI / CH table mapping.`);
  if (found.unsupported) {
    invalid(`Column ${column} cannot be filtered on this receiver: it does not store ${found.unsupported}.`);
  }
  return found;
}

/** fts.ts: a `matches` value needs a letter or digit. */
function assertMatchable(value: string): void {
  if (!/[\p{L}\p{N}]/u.test(value)) invalid("`matches` requires at least one search token.");
}

function stringCondition(expr: string, operator: string, value: string, column: FilterColumn): [string, unknown[]] {
  if (column.emptyEqualsNull && value === "" && ["=", "contains", "starts with", "ends with"].includes(operator)) {
    return [`(${expr} = '' OR ${expr} IS NULL)`, []];
  }
  let sql: string;
  switch (operator) {
    case "=":
      sql = `${expr} = ?`;
      break;
    case "contains":
      sql = `instr(${expr}, ?) > 0`;
      break;
    case "does not contain":
      sql = `instr(${expr}, ?) = 0`;
      if (column.emptyEqualsNull) sql = `(${expr} != '' AND ${sql})`;
      break;
    case "starts with":
      sql = `substr(${expr}, 1, length(?1)) = ?1`;
      return [sql.replaceAll("?1", "?"), [value, value]];
    case "ends with":
      sql = `(length(${expr}) >= length(?) AND substr(${expr}, -length(?)) = ?)`;
      return [sql, [value, value, value]];
    case MATCHES:
      if (!column.fullText) invalid("`matches` is only supported for input, output, and metadata filters.");
      assertMatchable(value);
      return [`lf_matches(${expr}, ?) = 1`, [value]];
    default:
      invalid(`Unsupported operator: ${operator}`);
  }
  return [sql, [value]];
}

function metadataCondition(filter: Extract<SingleFilter, { type: "stringObject" }>): [string, unknown[]] {
  const value =
    "lf_metadata_value(metadata, trace_metadata, attributes, resource_attributes, scope_name, scope_version, ?)";
  const has = `${value} IS NOT NULL`;
  switch (filter.operator) {
    case "=":
      return [`(${has} AND ${value} = ?)`, [filter.key, filter.key, filter.value]];
    case "contains":
      return [`(${has} AND instr(${value}, ?) > 0)`, [filter.key, filter.key, filter.value]];
    case "does not contain":
      return [`(${has} AND instr(${value}, ?) = 0)`, [filter.key, filter.key, filter.value]];
    case "starts with":
      return [`(${has} AND substr(${value}, 1, length(?)) = ?)`, [filter.key, filter.key, filter.value, filter.value]];
    case "ends with":
      return [
        `(${has} AND length(${value}) >= length(?) AND substr(${value}, -length(?)) = ?)`,
        [filter.key, filter.key, filter.value, filter.key, filter.value, filter.value],
      ];
    case MATCHES:
      assertMatchable(filter.value);
      // A metadata `matches` is a case-sensitive substring of the key's value, token-prefiltered.
      return [`(${has} AND lf_matches_exact(${value}, ?) = 1)`, [filter.key, filter.key, filter.value]];
    default:
      invalid(`Unsupported operator: ${filter.operator as string}`);
  }
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

function compileOne(filter: Exclude<SingleFilter, { type: "positionInTrace" }>): SqlCondition {
  if (filter.type === "categoryOptions" || filter.type === "numberObject" || filter.type === "booleanObject") {
    if (filter.column.toLowerCase() === "scores" || /score/i.test(filter.column)) {
      invalid(`Column ${filter.column} cannot be filtered on this receiver: it does not store scores.`);
    }
  }
  const column = findColumn(filter.column);
  if (filter.type !== "null" && column.type && !COMPATIBLE[column.type].includes(filter.type)) {
    invalid(
      `Invalid filter type '${filter.type}' for column '${filter.column}'. Expected filter type '${column.type}'.`,
    );
  }
  if (column.fullText && filter.type !== "string") invalid("Input/output filters only support filter type `string`.");
  const expr = column.sql;
  const done = (sql: string, params: unknown[]): SqlCondition => ({ sql, params, field: column.field });
  switch (filter.type) {
    case "string":
      if (column.metadata || column.tags) invalid(`Invalid filter type 'string' for column '${filter.column}'.`);
      return done(...stringCondition(expr, filter.operator, filter.value, column));
    case "datetime":
      return done(`${expr} ${filter.operator} ?`, [filter.value.toISOString()]);
    case "number":
      return done(`${expr} ${filter.operator} ?`, [filter.value]);
    case "stringOptions": {
      if (column.tags) {
        // A tags column with stringOptions: ClickHouse compares the array to strings, never equal.
        return done(filter.operator === "any of" ? "0" : "1", []);
      }
      const hasEmpty = column.emptyEqualsNull && filter.value.includes("");
      let sql = `${expr} ${filter.operator === "any of" ? "IN" : "NOT IN"} (${placeholders(filter.value.length)})`;
      if (hasEmpty && filter.operator === "any of") sql = `(${sql} OR ${expr} IS NULL)`;
      else if (column.emptyEqualsNull && filter.operator === "none of") sql = `(${sql} AND ${expr} != '')`;
      return done(sql, filter.value);
    }
    case "arrayOptions": {
      if (!column.tags) invalid(`Invalid filter type 'arrayOptions' for column '${filter.column}'.`);
      const matching = `(SELECT COUNT(DISTINCT value) FROM json_each(${expr}) WHERE value IN (${placeholders(filter.value.length)}))`;
      if (filter.value.length === 0) return done(filter.operator === "any of" ? "0" : "1", []);
      if (filter.operator === "any of") return done(`${matching} > 0`, filter.value);
      if (filter.operator === "none of") return done(`${matching} = 0`, filter.value);
      return done(`${matching} = ?`, [...filter.value, new Set(filter.value).size]);
    }
    case "stringObject":
      if (!column.metadata) invalid(`Invalid filter type 'stringObject' for column '${filter.column}'.`);
      return done(...metadataCondition(filter));
    case "boolean":
      return done(`(${expr}) ${filter.operator === "=" ? "=" : "!="} ?`, [filter.value ? 1 : 0]);
    case "null": {
      const isNull = filter.operator === "is null";
      if (column.emptyEqualsNull)
        return done(isNull ? `(${expr} IS NULL OR ${expr} = '')` : `(${expr} IS NOT NULL AND ${expr} != '')`, []);
      if (!column.nullable) return done(isNull ? "0" : "1", []);
      return done(`${expr} ${isNull ? "IS NULL" : "IS NOT NULL"}`, []);
    }
    default:
      invalid(`Invalid filter type '${filter.type}' for column '${filter.column}'.`);
  }
}

/**
 * The `filter` parameter's conditions (positionInTrace filters are ignored, as in Langfuse).
 * Input and output filters need at least one `=` or `matches` among them, as Langfuse's full-text
 * index does.
 */
export function compileFilters(filters: SingleFilter[]): SqlCondition[] {
  const applicable = filters.filter(
    (f): f is Exclude<SingleFilter, { type: "positionInTrace" }> => f.type !== "positionInTrace",
  );
  const compiled = applicable.map(compileOne);
  const ioFilters = applicable.filter((f) => findColumn(f.column).fullText);
  if (
    ioFilters.length > 0 &&
    !ioFilters.some((f) => f.type === "string" && (f.operator === "=" || f.operator === MATCHES))
  ) {
    invalid("Input/output filters require at least one `matches` or `=` operator.");
  }
  return compiled;
}

/** Lower-cased tokens: runs of letters and digits (ClickHouse's tokens()). */
function tokens(value: string): string[] {
  return value.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * `matches` on input/output: a case-insensitive substring whose every search token is a whole
 * token of the text (ftsTextIndexedSubstringCondition: position(lower(..)) and hasAllTokens).
 */
export function matchesText(haystack: string | null, needle: string): number {
  if (haystack === null) return 0;
  const lower = haystack.toLowerCase();
  if (!lower.includes(needle.toLowerCase())) return 0;
  const present = new Set(tokens(haystack));
  return tokens(needle).every((t) => present.has(t)) ? 1 : 0;
}

/** `matches` on a metadata value: case-sensitive substring, every search token a whole token. */
export function matchesExact(haystack: string | null, needle: string): number {
  if (haystack === null || !haystack.includes(needle)) return 0;
  const present = new Set(haystack.match(/[\p{L}\p{N}]+/gu) ?? []);
  return (needle.match(/[\p{L}\p{N}]+/gu) ?? []).every((t) => present.has(t)) ? 1 : 0;
}
