// The query string of `GET /api/public/v2/observations`, read as Langfuse reads it: the zod schema
// GetObservationsV2Query (web/src/features/public-api/types/observations.ts) on Next.js' query
// object (a repeated parameter is an array), the cursor (base64 JSON), the structured `filter`
// (observations-v2-filter.ts) and the simple parameters merged as deriveFilters merges them: a
// `filter` entry on the same field replaces the simple parameter. Errors are Langfuse's: zod's
// issues as `{ message: "Invalid request data", error: [...] }`, and `{ message, error:
// "InvalidRequestError" }` for a cursor or a filter it cannot read.
import { z } from "zod";
import { HttpError, invalidRequestData } from "./http-responses.js";
import { OBSERVATION_LEVELS, OBSERVATION_TYPES } from "./langfuse-attributes.js";
import { compileFilters, eventsTableSingleFilter, type SqlCondition } from "./observations-v2-filter.js";
import { DEFAULT_FIELD_GROUPS, OBSERVATION_FIELD_GROUPS, type ObservationFieldGroup } from "./observations-v2-view.js";
import { queryObject } from "./query-object.js";
import type { RowCursor, RowFilter } from "./span-store.js";

export const V2_DEFAULT_LIMIT = 50;
export const V2_MAX_LIMIT = 1000;

export interface ObservationsV2Query {
  groups: Set<ObservationFieldGroup>;
  /** Keys named in `expandMetadata` (Langfuse returns every value whole once any is named). */
  expandMetadata: string[];
  limit: number;
  cursor: RowCursor | undefined;
  filter: RowFilter;
}

function invalidRequest(message: string): never {
  throw new HttpError(400, message, {}, "InvalidRequestError");
}

const splitCommas = (value: string) =>
  value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** Langfuse's cursor: base64 of JSON { lastStartTimeTo, lastTraceId, lastId }; ours adds lastRowId. */
const cursorSchema = z.object({
  lastStartTimeTo: z.coerce.date(),
  lastTraceId: z.string(),
  lastId: z.string(),
  /** The receiver's tie-breaker, so rows sharing an id (re-sent spans) are never skipped. */
  lastRowId: z.number().int().nonnegative().optional(),
});

const encodedCursor = z
  .string()
  .transform((value): unknown => {
    try {
      return JSON.parse(Buffer.from(value, "base64").toString("utf8"));
    } catch {
      invalidRequest("Invalid cursor format");
    }
  })
  .pipe(cursorSchema);

const jsonFilter = z
  .string()
  .optional()
  .transform((value): unknown => {
    if (!value) return undefined;
    try {
      return JSON.parse(value);
    } catch {
      invalidRequest("Invalid JSON in filter parameter");
    }
  })
  .pipe(z.array(eventsTableSingleFilter).optional());

const isoDateTime = z.iso.datetime({ offset: true }).nullish().optional();

/** GetObservationsV2Query, field for field (limit additionally an integer: a fraction fails in ClickHouse). */
const querySchema = z.object({
  fields: z.preprocess(
    (value) => {
      if (value === null || value === undefined || value === "") return undefined;
      if (typeof value !== "string") return value;
      return splitCommas(value).filter((g) => (OBSERVATION_FIELD_GROUPS as readonly string[]).includes(g));
    },
    z.array(z.enum(OBSERVATION_FIELD_GROUPS)).nullable().default(null),
  ),
  expandMetadata: z
    .string()
    .nullish()
    .transform((value) => {
      if (!value) return null;
      const keys = splitCommas(value);
      return keys.length > 0 ? keys : null;
    }),
  limit: z.coerce.number().int().nonnegative().lte(V2_MAX_LIMIT).default(V2_DEFAULT_LIMIT),
  cursor: encodedCursor.optional(),
  parseIoAsJson: z
    .union([z.literal("true"), z.literal("false")])
    .refine((value) => value !== "true", {
      message:
        "parseIoAsJson=true is no longer supported on the v2 observations endpoint. Input/output fields are always returned as raw strings. Remove the parseIoAsJson parameter or set it to false.",
    })
    .optional(),
  type: z.enum(OBSERVATION_TYPES).nullish(),
  name: z.string().nullish(),
  userId: z.string().nullish(),
  sessionId: z.string().nullish(),
  level: z.enum(OBSERVATION_LEVELS).nullish(),
  traceId: z.string().nullish(),
  version: z.string().nullish(),
  parentObservationId: z.string().nullish(),
  isRootObservation: z
    .enum(["true", "false"])
    .transform((value) => value === "true")
    .optional(),
  environment: z.union([z.array(z.string()), z.string()]).nullish(),
  fromStartTime: isoDateTime,
  toStartTime: isoDateTime,
  filter: jsonFilter,
});

// The field each simple parameter filters, as Langfuse names it (createPublicApiObservationsColumnMapping).
const SIMPLE_FIELDS: Record<string, keyof RowFilter | Array<keyof RowFilter>> = {
  user_id: "userId",
  session_id: "sessionId",
  trace_id: "traceId",
  name: "name",
  level: "level",
  type: "type",
  parent_observation_id: "parentObservationId",
  isRootObservation: "isRootObservation",
  start_time: ["fromStartTime", "toStartTime"],
  version: "version",
  environment: "environments",
};

const given = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

export function parseObservationsV2Query(query: URLSearchParams): ObservationsV2Query {
  const parsed = querySchema.safeParse(queryObject(query));
  if (!parsed.success) throw invalidRequestData(parsed.error.issues);
  const q = parsed.data;

  const groups = new Set<ObservationFieldGroup>(["core", ...(q.fields ?? DEFAULT_FIELD_GROUPS)]);
  const environment = given(q.environment);
  const filter: RowFilter = {
    traceId: given(q.traceId),
    type: given(q.type),
    name: given(q.name),
    level: given(q.level),
    userId: given(q.userId),
    sessionId: given(q.sessionId),
    version: given(q.version),
    environments:
      environment === undefined ? undefined : Array.isArray(environment) ? environment : environment.split(","),
    parentObservationId: given(q.parentObservationId),
    isRootObservation: q.isRootObservation,
    fromStartTime: q.fromStartTime ? new Date(q.fromStartTime).toISOString() : undefined,
    toStartTime: q.toStartTime ? new Date(q.toStartTime).toISOString() : undefined,
  };
  const conditions: SqlCondition[] = compileFilters(q.filter ?? []);
  for (const condition of conditions) {
    const replaced = SIMPLE_FIELDS[condition.field];
    for (const key of replaced === undefined ? [] : Array.isArray(replaced) ? replaced : [replaced]) {
      delete filter[key];
    }
  }
  filter.conditions = conditions;

  return {
    groups,
    expandMetadata: q.expandMetadata ?? [],
    limit: q.limit,
    cursor: q.cursor && {
      startTime: q.cursor.lastStartTimeTo.toISOString(),
      traceId: q.cursor.lastTraceId,
      id: q.cursor.lastId,
      rowId: q.cursor.lastRowId,
    },
    filter,
  };
}

export function encodeCursor(cursor: RowCursor): string {
  return Buffer.from(
    JSON.stringify({
      lastStartTimeTo: cursor.startTime,
      lastTraceId: cursor.traceId,
      lastId: cursor.id,
      lastRowId: cursor.rowId,
    }),
  ).toString("base64");
}
