// The query string of `GET /api/public/v2/observations`, read as Langfuse reads it
// (GetObservationsV2Query in web/src/features/public-api/types/observations.ts): field groups
// (unknown ones ignored), limit 0..1000 (default 50), a base64 cursor, filters. A bad value is
// a 400 that names the parameter.
import { HttpError } from "./http-responses.js";
import { OBSERVATION_LEVELS, OBSERVATION_TYPES } from "./langfuse-attributes.js";
import { DEFAULT_FIELD_GROUPS, OBSERVATION_FIELD_GROUPS, type ObservationFieldGroup } from "./observations-v2-view.js";
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

// z.iso.datetime({ offset: true }): a date and a time, with Z or an offset.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function bad(name: string, message: string): never {
  throw new HttpError(400, `query parameter ${name} ${message}`);
}

function present(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null ? undefined : value;
}

function commaList(value: string | undefined): string[] {
  return value === undefined
    ? []
    : value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
}

function enumValue(query: URLSearchParams, name: string, allowed: readonly string[]): string | undefined {
  const raw = present(query, name);
  if (raw === undefined) return undefined;
  if (!allowed.includes(raw)) bad(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
  return raw;
}

function dateTime(query: URLSearchParams, name: string): string | undefined {
  const raw = present(query, name);
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (!ISO_DATE_TIME.test(raw) || Number.isNaN(ms))
    bad(name, `must be an ISO 8601 date-time with a time zone (e.g. 2025-01-31T12:00:00Z), got "${raw}"`);
  return new Date(ms).toISOString();
}

/** Langfuse's cursor: base64 of JSON { lastStartTimeTo, lastTraceId, lastId }; ours adds lastRowId. */
interface EncodedCursor {
  lastStartTimeTo: string;
  lastTraceId: string;
  lastId: string;
  /** The receiver's tie-breaker, so rows sharing an id (re-sent spans) are never skipped. */
  lastRowId?: number;
}

export function encodeCursor(cursor: RowCursor): string {
  const encoded: EncodedCursor = {
    lastStartTimeTo: cursor.startTime,
    lastTraceId: cursor.traceId,
    lastId: cursor.id,
    lastRowId: cursor.rowId,
  };
  return Buffer.from(JSON.stringify(encoded)).toString("base64");
}

function decodeCursor(raw: string): RowCursor {
  let parsed: Partial<EncodedCursor>;
  try {
    parsed = JSON.parse(Buffer.from(raw, "base64").toString("utf8")) as Partial<EncodedCursor>;
  } catch {
    bad("cursor", "is not a cursor this API returned (Invalid cursor format)");
  }
  const start = typeof parsed?.lastStartTimeTo === "string" ? Date.parse(parsed.lastStartTimeTo) : NaN;
  if (Number.isNaN(start) || typeof parsed.lastTraceId !== "string" || typeof parsed.lastId !== "string") {
    bad("cursor", "is not a cursor this API returned (Invalid cursor format)");
  }
  if (parsed.lastRowId !== undefined && !Number.isSafeInteger(parsed.lastRowId))
    bad("cursor", "is not a cursor this API returned (Invalid cursor format)");
  return {
    startTime: new Date(start).toISOString(),
    traceId: parsed.lastTraceId,
    id: parsed.lastId,
    rowId: parsed.lastRowId,
  };
}

export function parseObservationsV2Query(query: URLSearchParams): ObservationsV2Query {
  if (present(query, "filter") !== undefined) {
    bad("filter", "(the structured JSON filter) is not supported by this receiver: use the plain query parameters");
  }
  const parseIoAsJson = present(query, "parseIoAsJson");
  if (parseIoAsJson !== undefined && parseIoAsJson !== "false") {
    bad(
      "parseIoAsJson",
      parseIoAsJson === "true"
        ? "=true is no longer supported: input/output are always raw strings"
        : `must be "false", got "${parseIoAsJson}"`,
    );
  }

  const fields = present(query, "fields");
  const named =
    fields === undefined || fields === ""
      ? DEFAULT_FIELD_GROUPS
      : commaList(fields).filter((g): g is ObservationFieldGroup =>
          (OBSERVATION_FIELD_GROUPS as readonly string[]).includes(g),
        );
  const groups = new Set<ObservationFieldGroup>(["core", ...named]);

  let limit = V2_DEFAULT_LIMIT;
  const rawLimit = present(query, "limit");
  if (rawLimit !== undefined && rawLimit !== "") {
    limit = Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 0 || limit > V2_MAX_LIMIT)
      bad("limit", `must be an integer from 0 to ${V2_MAX_LIMIT}, got "${rawLimit}"`);
  }
  const rawCursor = present(query, "cursor");
  const cursor = rawCursor === undefined || rawCursor === "" ? undefined : decodeCursor(rawCursor);

  const isRoot = present(query, "isRootObservation");
  if (isRoot !== undefined && isRoot !== "true" && isRoot !== "false")
    bad("isRootObservation", `must be "true" or "false", got "${isRoot}"`);
  const environments = query.getAll("environment").flatMap((e) => e.split(","));

  return {
    groups,
    expandMetadata: commaList(present(query, "expandMetadata")),
    limit,
    cursor,
    filter: {
      traceId: present(query, "traceId"),
      type: enumValue(query, "type", OBSERVATION_TYPES),
      name: present(query, "name"),
      level: enumValue(query, "level", OBSERVATION_LEVELS),
      userId: present(query, "userId"),
      sessionId: present(query, "sessionId"),
      version: present(query, "version"),
      environments: environments.length > 0 ? environments : undefined,
      parentObservationId: present(query, "parentObservationId"),
      isRootObservation: isRoot === undefined ? undefined : isRoot === "true",
      fromStartTime: dateTime(query, "fromStartTime"),
      toStartTime: dateTime(query, "toStartTime"),
    },
  };
}
