// A small typed client of Langfuse v4's read API, `GET /api/public/v2/observations`, for tests:
// the receiver answers it (src/receiver/observations-v2-route.ts) exactly as Langfuse does, so
// what a test reads here is what a user would read from Langfuse. It follows cursor pages up to
// a bound and fails loudly past it, so a test never asserts on a silently cut list.
//
//   const rows = await listObservations(receiver.url, AUTH, { traceId });
//   const root = rows.find((o) => o.isRootObservation);
//   assert.equal(root?.userId, "alice");
import type {
  ObservationLevelV2,
  ObservationFieldGroup,
  ObservationV2,
  ObservationV2AllGroups,
  ObservationsV2Response,
} from "../../src/receiver/observations-v2-view.js";
import { OBSERVATION_FIELD_GROUPS } from "../../src/receiver/observations-v2-view.js";
import type { ObservationType } from "../../src/receiver/langfuse-attributes.js";

export type {
  ObservationFieldGroup,
  ObservationLevelV2,
  ObservationV2,
  ObservationV2AllGroups,
  ObservationsV2Response,
  ObservationType,
};

/** `Authorization` for the public API: a ready header value ("Basic ...") or a key pair. */
export type ApiAuth = string | { publicKey: string; secretKey: string };

/** Filters and paging of `GET /api/public/v2/observations` (all optional, combined with AND). */
export interface ObservationsQuery {
  traceId?: string;
  userId?: string;
  sessionId?: string;
  name?: string;
  type?: ObservationType;
  level?: ObservationLevelV2;
  /** A parent id; "" = only rows without a physical parent. */
  parentObservationId?: string;
  /** Logical roots: no parent, or an app root. */
  isRootObservation?: boolean;
  /** Rows in any of these environments. */
  environment?: string | string[];
  version?: string;
  /** Start time, inclusive. */
  fromStartTime?: Date | string;
  /** Start time, exclusive. */
  toStartTime?: Date | string;
  /** Metadata keys to return whole (Langfuse cuts metadata values at 200 characters otherwise). */
  expandMetadata?: string[];
  /** Rows per request (the API's `limit`, 1..1000). Default 200. */
  pageSize?: number;
  /** Most pages to follow before failing. Default 50. */
  maxPages?: number;
  /** Deadline of each HTTP request, ms. Default 10 000. */
  timeoutMs?: number;
}

/** The API answered something other than 200. */
export class ObservationsApiError extends Error {
  override readonly name = "ObservationsApiError";
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`GET /api/public/v2/observations: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

const DEFAULT_PAGE_SIZE = 200;
const DEFAULT_MAX_PAGES = 50;
const DEFAULT_TIMEOUT_MS = 10_000;

function authHeader(auth: ApiAuth): string {
  return typeof auth === "string"
    ? auth
    : `Basic ${Buffer.from(`${auth.publicKey}:${auth.secretKey}`).toString("base64")}`;
}

function searchParams(
  query: ObservationsQuery & { fields?: readonly ObservationFieldGroup[]; cursor?: string },
): URLSearchParams {
  const params = new URLSearchParams();
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) params.set(name, value);
  };
  const time = (value: Date | string | undefined) => (value instanceof Date ? value.toISOString() : value);
  set("traceId", query.traceId);
  set("userId", query.userId);
  set("sessionId", query.sessionId);
  set("name", query.name);
  set("type", query.type);
  set("level", query.level);
  set("parentObservationId", query.parentObservationId);
  set("isRootObservation", query.isRootObservation === undefined ? undefined : String(query.isRootObservation));
  for (const environment of query.environment === undefined ? [] : [query.environment].flat())
    params.append("environment", environment);
  set("version", query.version);
  set("fromStartTime", time(query.fromStartTime));
  set("toStartTime", time(query.toStartTime));
  set("expandMetadata", query.expandMetadata?.join(","));
  set("fields", (query.fields ?? OBSERVATION_FIELD_GROUPS).join(","));
  set("limit", String(query.pageSize ?? DEFAULT_PAGE_SIZE));
  set("cursor", query.cursor);
  return params;
}

/**
 * One page of rows: `data` newest first, `meta.cursor` for the next page (absent on the last).
 * Without `fields`, every field group is requested.
 */
export async function getObservationsPage(
  receiverUrl: string,
  auth: ApiAuth,
  query: ObservationsQuery & { fields?: readonly ObservationFieldGroup[]; cursor?: string } = {},
): Promise<ObservationsV2Response> {
  const url = `${receiverUrl.replace(/\/+$/, "")}/api/public/v2/observations?${searchParams(query)}`;
  const res = await fetch(url, {
    headers: { authorization: authHeader(auth) },
    signal: AbortSignal.timeout(query.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  });
  const text = await res.text();
  if (res.status !== 200) throw new ObservationsApiError(res.status, text);
  return JSON.parse(text) as ObservationsV2Response;
}

/**
 * Every row matching `query`, newest first, following cursor pages. Rows are as the v2 API
 * returns them: one per stored span, so a span sent twice appears twice (Langfuse v4).
 * Without `fields` every field group is requested and each row is fully typed; with `fields`,
 * only the core fields are sure to be there.
 * Throws ObservationsApiError on a non-200 answer, and an Error when more than `maxPages`
 * pages would be needed.
 */
export function listObservations(
  receiverUrl: string,
  auth: ApiAuth,
  query?: ObservationsQuery,
): Promise<ObservationV2AllGroups[]>;
export function listObservations(
  receiverUrl: string,
  auth: ApiAuth,
  query: ObservationsQuery & { fields: readonly ObservationFieldGroup[] },
): Promise<ObservationV2[]>;
export async function listObservations(
  receiverUrl: string,
  auth: ApiAuth,
  query: ObservationsQuery & { fields?: readonly ObservationFieldGroup[] } = {},
): Promise<ObservationV2[]> {
  const maxPages = query.maxPages ?? DEFAULT_MAX_PAGES;
  const rows: ObservationV2[] = [];
  let cursor: string | undefined;
  for (let page = 1; ; page++) {
    const { data, meta } = await getObservationsPage(receiverUrl, auth, { ...query, cursor });
    rows.push(...data);
    if (meta.cursor === undefined) return rows;
    if (page >= maxPages) {
      throw new Error(
        `listObservations: more than ${maxPages} pages of ${query.pageSize ?? DEFAULT_PAGE_SIZE} rows; narrow the query or raise maxPages`,
      );
    }
    cursor = meta.cursor;
  }
}
