// What Langfuse's scores API accepts, as its zod schemas say it (zod 4 like Langfuse, so a refused
// request gets the same issues): the POST body (PostScoresBody,
// packages/shared/src/features/scores/interfaces/api/shared.ts, with applyScoreValidation), the
// v1/v2 list query (GetScoresQuery, GetScoresQueryV2) and the v3 list query (GetScoresQueryV3 and
// the handler's cross-field rules, web/src/pages/api/public/v3/scores/index.ts). Then what the
// ingestion path does to a score before it is stored: the event schema's id and environment
// rules (packages/shared/src/server/ingestion/types.ts) and validateAndInflateScore (the data
// type inferred from the value, the boolean's "True"/"False", a category's value 0).
import { z } from "zod";
import { HttpError } from "../http-responses.js";

export const SCORE_DATA_TYPES = ["NUMERIC", "CATEGORICAL", "BOOLEAN", "CORRECTION", "TEXT"] as const;
export type ScoreDataType = (typeof SCORE_DATA_TYPES)[number];
/** The types the v1 endpoints return (LISTABLE_SCORE_TYPES): all but CORRECTION. */
export const LISTABLE_SCORE_TYPES: readonly ScoreDataType[] = ["NUMERIC", "BOOLEAN", "CATEGORICAL", "TEXT"];
export const SCORE_SOURCES = ["API", "EVAL", "ANNOTATION"] as const;
const TEXT_SCORE_MAX_LENGTH = 500;
const ANNOTATION_NEEDS_CONFIG = "configId is required when source is ANNOTATION (except for CORRECTION scores).";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
const jsonNullable: z.ZodType<Json> = z.lazy(() =>
  z.union([z.array(jsonNullable), z.record(z.string(), jsonNullable), z.string(), z.number(), z.boolean(), z.null()]),
);
const json: z.ZodType<Json> = z.lazy(() =>
  z.union([z.array(jsonNullable), z.record(z.string(), jsonNullable), z.string(), z.number(), z.boolean()]),
);

const postFoundation = z.object({
  id: z.string().nullish(),
  name: z.string().min(1),
  traceId: z.string().nullish(),
  sessionId: z.string().nullish(),
  datasetRunId: z.string().nullish(),
  observationId: z.string().nullish(),
  comment: z.string().nullish(),
  metadata: json.nullish(),
  environment: z.string().default("default"),
  queueId: z.string().nullish(),
  // EVAL is kept for Langfuse's own evaluators.
  source: z.enum(["API", "ANNOTATION"]).default("API"),
});

const byDataType = z.discriminatedUnion("dataType", [
  z.object({ value: z.number(), dataType: z.literal("NUMERIC"), configId: z.string().nullish() }),
  z.object({ value: z.string(), dataType: z.literal("CATEGORICAL"), configId: z.string().nullish() }),
  z.object({
    value: z.number().refine((value) => value === 0 || value === 1, {
      message: "Value must be a number equal to either 0 or 1 for data type BOOLEAN",
    }),
    dataType: z.literal("BOOLEAN"),
    configId: z.string().nullish(),
  }),
  z.object({ value: z.string(), dataType: z.literal("CORRECTION"), configId: z.undefined().nullish() }),
  z.object({
    value: z.string().min(1).max(TEXT_SCORE_MAX_LENGTH),
    dataType: z.literal("TEXT"),
    configId: z.string().nullish(),
  }),
  // No dataType: inferred from the value. Langfuse's zod (4.3) lets a `z.undefined()` key be
  // absent; newer zod needs `.optional()` for the same.
  z.object({
    value: z.union([z.string(), z.number()]),
    dataType: z.undefined().optional(),
    configId: z.string().nullish(),
  }),
]);

/** POST /api/public/scores. */
export const postScoreSchema = postFoundation
  .and(byDataType)
  .refine(
    (data) => {
      const trace = !!data.traceId;
      const session = !!data.sessionId;
      const run = !!data.datasetRunId;
      return (
        (trace && !session && !run) ||
        (session && !trace && !run && !data.observationId) ||
        (run && !trace && !session && !data.observationId)
      );
    },
    {
      message:
        "Provide exactly one of the following: traceId (with optional observationId), sessionId or datasetRunId. ObservationId requires traceId.",
      path: ["traceId", "sessionId", "datasetRunId", "observationId"],
    },
  )
  .refine((data) => !(data.source === "ANNOTATION" && !data.configId && data.dataType !== "CORRECTION"), {
    message: ANNOTATION_NEEDS_CONFIG,
    path: ["configId"],
  });
export type PostScoreBody = z.infer<typeof postScoreSchema>;

/** The ingestion event's id rule (idSchema), checked after the body, as processEventBatch checks it. */
const scoreEventSchema = z.object({
  body: z.object({
    id: z
      .string()
      .min(1)
      .max(800)
      .refine((id) => !id.includes("\r"), { message: "ID cannot contain carriage return characters" }),
  }),
});

/** PublicEnvironmentName: lower case, no leading "langfuse" prefix, 40 characters of [a-z0-9-_], else "default". */
export function normalizeEnvironment(value: string): string {
  const stripped = value.toLowerCase().replace(/^(?:langfuse[-_]?)+/, "");
  const truncated = stripped.slice(0, 40);
  return truncated && /^[a-z0-9-_]+$/.test(truncated) ? truncated : "default";
}

/**
 * convertJsonSchemaToRecord then convertRecordValuesToString: a bare value or an array becomes
 * `{ metadata: text }`, an object's values become text (read back as JSON where they parse).
 */
function metadataRecord(metadata: Json | null | undefined): Record<string, string> {
  if (metadata === null || metadata === undefined) return {};
  if (typeof metadata !== "object") return { metadata: String(metadata) };
  if (Array.isArray(metadata)) return { metadata: JSON.stringify(metadata) };
  const record: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    record[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return record;
}

/** A score as the worker writes it to the scores table. */
export interface InflatedScore {
  id: string;
  name: string;
  value: number;
  stringValue: string | null;
  longStringValue: string;
  dataType: ScoreDataType;
  source: string;
  comment: string | null;
  /** As the scores table keeps it: a map of strings. */
  metadata: Record<string, string>;
  configId: string | null;
  queueId: string | null;
  environment: string;
  traceId: string | null;
  observationId: string | null;
  sessionId: string | null;
  datasetRunId: string | null;
}

/**
 * The score the worker would store for a valid POST body (validateAndInflateScore without a
 * config), or a 400 in the shape the POST route gives ingestion errors: `{ message }`.
 */
export function inflateScore(body: PostScoreBody, id: string): InflatedScore {
  const event = scoreEventSchema.safeParse({ body: { id } });
  if (!event.success) throw new HttpError(400, event.error.message, {}, null);
  const dataType: ScoreDataType = body.dataType ?? (typeof body.value === "number" ? "NUMERIC" : "CATEGORICAL");
  const base = {
    id,
    name: body.name,
    longStringValue: "",
    dataType,
    source: body.source,
    comment: body.comment ?? null,
    metadata: metadataRecord(body.metadata),
    configId: body.configId ?? null,
    queueId: body.queueId ?? null,
    environment: normalizeEnvironment(body.environment),
    traceId: body.traceId || null,
    observationId: body.observationId || null,
    sessionId: body.sessionId || null,
    datasetRunId: body.datasetRunId || null,
  };
  if (typeof body.value === "number") {
    return dataType === "BOOLEAN"
      ? { ...base, value: body.value, stringValue: body.value === 1 ? "True" : "False" }
      : { ...base, dataType: "NUMERIC", value: body.value, stringValue: null };
  }
  if (dataType === "CORRECTION") {
    return { ...base, name: "output", value: 0, stringValue: null, longStringValue: body.value };
  }
  return { ...base, value: 0, stringValue: body.value };
}

const emptyToUndefined = (value: unknown) => (value === "" ? undefined : value);
const isoDateTime = z.iso.datetime({ offset: true }).nullish();
const commaList = z.string().transform((value) => value.split(",").map((item) => item.trim()));

/** GetScoresQuery (v1), page by page. */
export const listScoresV1QuerySchema = z.object({
  page: z.preprocess(emptyToUndefined, z.coerce.number().int().gt(0).default(1)),
  limit: z.preprocess(emptyToUndefined, z.coerce.number().int().gte(1).lte(100).default(50)),
  userId: z.string().nullish(),
  dataType: z.enum(SCORE_DATA_TYPES).nullish(),
  configId: z.string().nullish(),
  queueId: z.string().nullish(),
  traceTags: z.union([z.array(z.string()), z.string()]).nullish(),
  environment: z.union([z.array(z.string()), z.string()]).nullish(),
  name: z.string().nullish(),
  fromTimestamp: isoDateTime,
  toTimestamp: isoDateTime,
  source: z.enum(SCORE_SOURCES).nullish(),
  value: z.coerce.number().nullish(),
  operator: z.enum(["<", ">", "<=", ">=", "!=", "="]).nullish(),
  scoreIds: commaList.nullish(),
  fields: z.preprocess(
    (value) => {
      if (value === null || value === undefined || value === "") return undefined;
      if (typeof value !== "string") return value;
      return value
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item === "score" || item === "trace");
    },
    z
      .array(z.enum(["score", "trace"]))
      .nullable()
      .default(null),
  ),
  // Langfuse's structured filter on scores; the receiver refuses it rather than ignore it.
  filter: z.string().optional(),
});

/** GetScoresQueryV2: v1's query plus the score's own references. */
export const listScoresV2QuerySchema = listScoresV1QuerySchema.extend({
  sessionId: z.string().nullish(),
  traceId: z.string().nullish(),
  datasetRunId: z.string().nullish(),
  observationId: commaList.nullish(),
});
export type ListScoresQuery = z.infer<typeof listScoresV2QuerySchema>;

export const SCORE_FIELD_GROUPS_V3 = ["core", "details", "subject", "annotation"] as const;
export type ScoreFieldGroupV3 = (typeof SCORE_FIELD_GROUPS_V3)[number];

const optionalList = z
  .string()
  .nullish()
  .transform((value) => {
    if (!value) return undefined;
    const items = value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
    return items.length > 0 ? items : undefined;
  });

const enumList = (allowed: readonly string[], label: string) =>
  z
    .string()
    .transform((value) =>
      value
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item.length > 0)
        .map((item) => item.toUpperCase()),
    )
    .pipe(
      z.array(z.string()).superRefine((values, ctx) => {
        for (const v of values) {
          if (!allowed.includes(v)) {
            ctx.addIssue({ code: "custom", message: `Invalid ${label} value: "${v}". Allowed: ${allowed.join(", ")}` });
          }
        }
      }),
    )
    .optional();

/** The v3 cursor: base64url JSON `{ v: 1, lastTimestamp, lastId }`. */
const v3Cursor = z
  .string()
  .transform((value): unknown => {
    try {
      return JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
    } catch {
      throw new HttpError(400, "Invalid cursor format", {}, "InvalidRequestError");
    }
  })
  .pipe(z.discriminatedUnion("v", [z.object({ v: z.literal(1), lastTimestamp: z.coerce.date(), lastId: z.string() })]));

export function encodeV3Cursor(lastTimestamp: string, lastId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, lastTimestamp, lastId })).toString("base64url");
}

/** GET /api/public/v3/scores: unknown parameters are refused (`strict`), then the handler's cross-field rules. */
export const listScoresV3QuerySchema = z
  .object({
    limit: z.preprocess(emptyToUndefined, z.coerce.number().int().gte(1).lte(100).default(50)),
    fields: z.preprocess(
      (value) => {
        if (value === null || value === undefined || value === "") return undefined;
        if (typeof value !== "string") return value;
        return value
          .split(",")
          .map((item) => item.trim())
          .filter((item) => item.length > 0);
      },
      z.array(z.enum(SCORE_FIELD_GROUPS_V3)).default(["core"]),
    ),
    id: optionalList,
    name: optionalList,
    source: enumList(SCORE_SOURCES, "source"),
    dataType: enumList(SCORE_DATA_TYPES, "dataType"),
    environment: optionalList,
    configId: optionalList,
    queueId: optionalList,
    authorUserId: optionalList,
    value: optionalList,
    valueMin: z.preprocess(emptyToUndefined, z.coerce.number().optional()),
    valueMax: z.preprocess(emptyToUndefined, z.coerce.number().optional()),
    traceId: optionalList,
    sessionId: optionalList,
    observationId: optionalList,
    experimentId: optionalList,
    fromTimestamp: z.preprocess(emptyToUndefined, z.coerce.date().optional()),
    toTimestamp: z.preprocess(emptyToUndefined, z.coerce.date().optional()),
    userId: z
      .string()
      .optional()
      .transform((value) => (value === "" ? undefined : value)),
    traceTags: z
      .string()
      .optional()
      .transform((value) => (value === "" ? undefined : value)),
    cursor: v3Cursor.optional(),
  })
  .strict()
  .superRefine((data, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: "custom", message });
    if (data.userId !== undefined) {
      issue("userId filter requires a trace JOIN and is not supported in v3 — use v2 or omit this filter");
    }
    if (data.traceTags !== undefined) {
      issue("traceTags filter requires a trace JOIN and is not supported in v3 — use v2 or omit this filter");
    }
    if (data.value !== undefined && data.value.length > 0) {
      if (!data.dataType || data.dataType.length !== 1) {
        issue("value filter requires a single dataType from: NUMERIC, BOOLEAN, CATEGORICAL");
      } else {
        const dt = data.dataType[0]!;
        if (!["NUMERIC", "BOOLEAN", "CATEGORICAL"].includes(dt)) {
          issue(`value filter requires dataType to be NUMERIC, BOOLEAN, or CATEGORICAL (got "${dt}")`);
        } else if (dt === "NUMERIC") {
          for (const v of data.value) {
            if (!isFinite(Number(v))) {
              issue(`value filter with dataType=NUMERIC requires each value to be a finite number (got "${v}")`);
            }
          }
        } else if (dt === "BOOLEAN") {
          for (const v of data.value) {
            if (v !== "true" && v !== "false") {
              issue(`value filter with dataType=BOOLEAN requires each value to be "true" or "false" (got "${v}")`);
            }
          }
        }
      }
    }
    if (data.valueMin !== undefined || data.valueMax !== undefined) {
      if (!data.dataType || data.dataType.length !== 1 || data.dataType[0] !== "NUMERIC") {
        issue("valueMin and valueMax require dataType=NUMERIC as a single value");
      }
    }
    const hasTraceId = (data.traceId?.length ?? 0) > 0;
    if ((data.observationId?.length ?? 0) > 0 && !hasTraceId) {
      issue("observationId filter requires traceId — observation IDs are scoped to a trace");
    }
    if ([data.traceId, data.sessionId, data.experimentId].filter((list) => list && list.length > 0).length > 1) {
      issue("At most one of traceId, sessionId, experimentId may be specified");
    }
  });
export type ListScoresV3Query = z.infer<typeof listScoresV3QuerySchema>;
