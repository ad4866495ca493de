// The receiver's SQLite store, shaped like Langfuse v4's events table: one row per received
// span, nothing upserted or deduplicated (a span sent twice is two rows), each row with its own
// trace context. A trace is only the rows sharing a trace id; the legacy trace views derive it
// from them (trace-rollup.ts). Two small listing tables are kept beside the rows so lists stay
// fast on a large store: trace ids with their earliest start, and the distinct trace names;
// they hold nothing the rows do not. The counters of counts() are kept in memory, read from
// the file once at open. One transaction per ingested request, prepared statements, WAL.
import Database from "better-sqlite3";
import { mapSpan, type ObservationRecord } from "./langfuse-span-mapping.js";
import type { OtlpSpan } from "./otlp-span.js";
import { addPricingColumns, addPromptIdColumn, migrateUpsertSchema, PRICING_COLUMNS } from "./span-store-migration.js";
import { flatMetadata } from "./langfuse-metadata.js";
import { matchesExact, matchesText } from "./observations-v2-filter.js";
import { modelById } from "./pricing/model-prices.js";
import type { Tokenizer } from "./pricing/token-count.js";
import { priceObservation, type TokenCounts } from "./pricing/usage-cost.js";

export const ROWS_TABLE = "observation_rows";
/**
 * PRAGMA user_version of the current schema; span-store-migration.ts upgrades older files.
 * 4: rows keep the id of the prompt they link; the file also holds prompts and scores.
 */
export const SCHEMA_VERSION = 4;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${ROWS_TABLE} (
  row_id INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  parent_observation_id TEXT,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  start_time TEXT NOT NULL,
  end_time TEXT NOT NULL,
  completion_start_time TEXT,
  model TEXT,
  model_parameters TEXT,
  usage_details TEXT,
  cost_details TEXT,
  ${PRICING_COLUMNS.map(([name, type]) => `${name} ${type},`).join("\n  ")}
  input TEXT,
  output TEXT,
  metadata TEXT,
  level TEXT NOT NULL,
  status_message TEXT,
  version TEXT,
  environment TEXT NOT NULL,
  prompt_name TEXT,
  prompt_version INTEGER,
  prompt_id TEXT,
  user_id TEXT,
  session_id TEXT,
  trace_name TEXT,
  tags TEXT NOT NULL,
  release TEXT,
  trace_metadata TEXT,
  public INTEGER,
  is_app_root INTEGER NOT NULL,
  is_root INTEGER NOT NULL,
  trace_input TEXT,
  trace_output TEXT,
  attributes TEXT NOT NULL,
  resource_attributes TEXT NOT NULL,
  scope_name TEXT NOT NULL,
  scope_version TEXT NOT NULL,
  span_name TEXT NOT NULL,
  span_kind INTEGER NOT NULL,
  ingestion_version TEXT,
  received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rows_id ON ${ROWS_TABLE} (id);
CREATE INDEX IF NOT EXISTS rows_trace ON ${ROWS_TABLE} (trace_id, start_time);
CREATE INDEX IF NOT EXISTS rows_start ON ${ROWS_TABLE} (start_time);
CREATE INDEX IF NOT EXISTS rows_user ON ${ROWS_TABLE} (user_id);
CREATE INDEX IF NOT EXISTS rows_session ON ${ROWS_TABLE} (session_id);

CREATE TABLE IF NOT EXISTS trace_index (
  trace_id TEXT PRIMARY KEY,
  first_start TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trace_index_start ON trace_index (first_start);
CREATE TABLE IF NOT EXISTS trace_names (name TEXT PRIMARY KEY) WITHOUT ROWID;
`;

const RECORD_COLUMNS: Array<[column: string, value: (r: ObservationRecord) => unknown]> = [
  ["id", (r) => r.id],
  ["trace_id", (r) => r.traceId],
  ["parent_observation_id", (r) => r.parentObservationId],
  ["type", (r) => r.type],
  ["name", (r) => r.name],
  ["start_time", (r) => r.startTime],
  ["end_time", (r) => r.endTime],
  ["completion_start_time", (r) => r.completionStartTime],
  ["model", (r) => r.model],
  ["model_parameters", (r) => r.modelParameters],
  ["usage_details", (r) => r.usageDetails],
  ["cost_details", (r) => r.costDetails],
  ["provided_usage_details", (r) => r.providedUsageDetails],
  ["provided_cost_details", (r) => r.providedCostDetails],
  ["model_id", (r) => r.modelId],
  ["usage_pricing_tier_id", (r) => r.usagePricingTierId],
  ["usage_pricing_tier_name", (r) => r.usagePricingTierName],
  ["input", (r) => r.input],
  ["output", (r) => r.output],
  ["metadata", (r) => r.metadata],
  ["level", (r) => r.level],
  ["status_message", (r) => r.statusMessage],
  ["version", (r) => r.version],
  ["environment", (r) => r.environment],
  ["prompt_name", (r) => r.promptName],
  ["prompt_version", (r) => r.promptVersion],
  ["user_id", (r) => r.userId],
  ["session_id", (r) => r.sessionId],
  ["trace_name", (r) => r.traceName],
  ["tags", (r) => r.tags],
  ["release", (r) => r.release],
  ["trace_metadata", (r) => r.traceMetadata],
  ["public", (r) => (r.public === null ? null : r.public ? 1 : 0)],
  ["is_app_root", (r) => (r.isAppRoot ? 1 : 0)],
  ["is_root", (r) => (r.isRoot ? 1 : 0)],
  ["trace_input", (r) => r.traceInput],
  ["trace_output", (r) => r.traceOutput],
  ["attributes", (r) => r.attributes],
  ["resource_attributes", (r) => r.resourceAttributes],
  ["scope_name", (r) => r.scopeName],
  ["scope_version", (r) => r.scopeVersion],
  ["span_name", (r) => r.spanName],
  ["span_kind", (r) => r.spanKind],
];

/** One stored row as SQLite returns it. */
export interface ObservationRow {
  /** The row's own key: ids repeat when a span was sent more than once. */
  row_id: number;
  id: string;
  trace_id: string;
  parent_observation_id: string | null;
  type: string;
  name: string;
  start_time: string;
  end_time: string;
  completion_start_time: string | null;
  model: string | null;
  model_parameters: string | null;
  /** The usage Langfuse stores (provided with a total, or tokenized), JSON text. */
  usage_details: string | null;
  /** The cost Langfuse stores (provided, or computed from the price table), JSON text. */
  cost_details: string | null;
  provided_usage_details: string | null;
  provided_cost_details: string | null;
  /** The matched model of the price table, null when none matched. */
  model_id: string | null;
  usage_pricing_tier_id: string | null;
  usage_pricing_tier_name: string | null;
  input: string | null;
  output: string | null;
  metadata: string | null;
  level: string;
  status_message: string | null;
  version: string | null;
  environment: string;
  prompt_name: string | null;
  prompt_version: number | null;
  /** The linked prompt version's id, looked up when the row was stored; null when none was found. */
  prompt_id: string | null;
  user_id: string | null;
  session_id: string | null;
  trace_name: string | null;
  /** JSON array text. */
  tags: string;
  release: string | null;
  trace_metadata: string | null;
  public: number | null;
  is_app_root: number;
  is_root: number;
  trace_input: string | null;
  trace_output: string | null;
  attributes: string;
  resource_attributes: string;
  scope_name: string;
  scope_version: string;
  span_name: string;
  span_kind: number;
  /** The request's `x-langfuse-ingestion-version` header, null when it had none. */
  ingestion_version: string | null;
  received_at: string;
}

/** A row without its payloads: what trace roll-ups read for every row of a trace. */
export type RowFacts = Omit<
  ObservationRow,
  | "input"
  | "output"
  | "metadata"
  | "model_parameters"
  | "attributes"
  | "resource_attributes"
  | "trace_input"
  | "trace_output"
  | "provided_usage_details"
  | "provided_cost_details"
>;

/** The payload columns of a trace's root rows and of rows carrying legacy trace I/O. */
export type RowPayload = Pick<
  ObservationRow,
  "row_id" | "trace_id" | "is_root" | "input" | "output" | "metadata" | "trace_input" | "trace_output"
>;

const FACT_COLUMNS =
  "row_id, id, trace_id, parent_observation_id, type, name, start_time, end_time, completion_start_time, model, usage_details, cost_details, model_id, usage_pricing_tier_id, usage_pricing_tier_name, level, status_message, version, environment, prompt_name, prompt_version, user_id, session_id, trace_name, tags, release, trace_metadata, public, is_app_root, is_root, scope_name, scope_version, span_name, span_kind, ingestion_version, received_at";

export interface IngestResult {
  /** Spans in the request: each became a row. */
  spans: number;
  /** Rows whose observation id was already stored (earlier, or earlier in the same request). */
  duplicates: number;
  /** Distinct traces the request touched. */
  traces: number;
  /** Rows stored without usage whose tokens are to be counted (see priceWithTokens). */
  toCount: number[];
}

export interface StoreCounts {
  /** Distinct trace ids. */
  traces: number;
  /** Rows (duplicates included): what Langfuse v4 counts. */
  observations: number;
  /** Distinct observation ids. */
  observationIds: number;
  /** Rows beyond the first of their id: observations - observationIds. */
  duplicateRows: number;
  /** Observation ids stored more than once. */
  duplicatedIds: number;
}

/** Filters on the rows themselves (the v2 observations API and the legacy observations list). */
export interface RowFilter {
  traceId?: string;
  /** Uppercase observation type. */
  type?: string;
  name?: string;
  level?: string;
  userId?: string;
  sessionId?: string;
  version?: string;
  /** Rows with any of these environments. */
  environments?: string[];
  /** A parent id; "" = rows without a parent. */
  parentObservationId?: string;
  /** true: roots (no parent, or an app root); false: the others. */
  isRootObservation?: boolean;
  /** ISO start time, inclusive. */
  fromStartTime?: string;
  /** ISO start time, exclusive. */
  toStartTime?: string;
  /** Compiled conditions of the v2 API's structured `filter` (observations-v2-filter.ts). */
  conditions?: ReadonlyArray<{ sql: string; params: unknown[] }>;
}

/** Position after the last row of a page, in the order start_time, trace_id, id, row_id (all descending). */
export interface RowCursor {
  startTime: string;
  traceId: string;
  id: string;
  /** Absent in a cursor that only names the observation: then every row of that id is past it. */
  rowId?: number;
}

/** Filters on traces derived from rows: a trace matches when one of its rows carries the value. */
export interface TraceFilter {
  userId?: string;
  sessionId?: string;
  name?: string;
  /** Only traces carrying every one of these tags. */
  tags?: string[];
  /** On the trace timestamp (its earliest row start): inclusive. */
  fromTimestamp?: string;
  /** Exclusive. */
  toTimestamp?: string;
}

export interface Page {
  /** 1-based. */
  page: number;
  limit: number;
}

type Clause = [sql: string, values: unknown[]];

function buildWhere(clauses: Clause[]): { sql: string; params: unknown[] } {
  if (clauses.length === 0) return { sql: "", params: [] };
  return { sql: `WHERE ${clauses.map(([sql]) => sql).join(" AND ")}`, params: clauses.flatMap(([, v]) => v) };
}

function rowClauses(filter: RowFilter): Clause[] {
  const clauses: Clause[] = [];
  const eq = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    // Langfuse compares against '' for "no value"; SQLite keeps NULL.
    if (value === "") clauses.push([`(${column} IS NULL OR ${column} = '')`, []]);
    else clauses.push([`${column} = ?`, [value]]);
  };
  eq("trace_id", filter.traceId);
  eq("type", filter.type);
  eq("name", filter.name);
  eq("level", filter.level);
  eq("user_id", filter.userId);
  eq("session_id", filter.sessionId);
  eq("version", filter.version);
  eq("parent_observation_id", filter.parentObservationId);
  if (filter.environments !== undefined && filter.environments.length > 0) {
    clauses.push([`environment IN (${filter.environments.map(() => "?").join(", ")})`, filter.environments]);
  }
  if (filter.isRootObservation !== undefined) {
    clauses.push([
      filter.isRootObservation
        ? "(parent_observation_id IS NULL OR is_app_root = 1)"
        : "(parent_observation_id IS NOT NULL AND is_app_root = 0)",
      [],
    ]);
  }
  if (filter.fromStartTime !== undefined) clauses.push(["start_time >= ?", [filter.fromStartTime]]);
  if (filter.toStartTime !== undefined) clauses.push(["start_time < ?", [filter.toStartTime]]);
  for (const condition of filter.conditions ?? []) clauses.push([`(${condition.sql})`, condition.params]);
  return clauses;
}

export class SpanStore {
  readonly #db: Database.Database;
  readonly #insertRow: Database.Statement;
  readonly #copiesOfId: Database.Statement;
  readonly #insertTrace: Database.Statement;
  readonly #lowerTraceStart: Database.Statement;
  readonly #insertTraceName: Database.Statement;
  #tally: StoreCounts;
  readonly #selectRowsOfTrace: Database.Statement;
  readonly #selectLatestRowOfId: Database.Statement;
  readonly #selectFactsOfTraces: Database.Statement;
  readonly #selectPayloadsOfTraces: Database.Statement;
  readonly #selectTraceNames: Database.Statement;
  readonly #ingestTransaction: (spans: OtlpSpan[], ingestionVersion: string | null) => IngestResult;
  /** Read queries built from filters, prepared once per distinct SQL text. */
  readonly #queryCache = new Map<string, Database.Statement>();
  /** The id of a prompt version (prompts/prompt-store.ts), "" when there is none. */
  #promptIdOf: (name: string, version: number) => string = () => "";

  /** @param path SQLite file, or ":memory:". */
  constructor(path: string) {
    this.#db = new Database(path);
    if (path !== ":memory:") this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = OFF");
    this.#db.pragma("temp_store = MEMORY");
    // Deleted traces (retention, wipe) are overwritten, not left readable in free pages.
    this.#db.pragma("secure_delete = ON");
    this.#registerFilterFunctions();
    this.#db.transaction(() => {
      this.#db.exec(SCHEMA);
      migrateUpsertSchema(this.#db);
      addPricingColumns(this.#db);
      addPromptIdColumn(this.#db);
      this.#rebuildListingTablesIfMissing();
      this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
    this.#tally = this.#countFromTables();

    const columns = RECORD_COLUMNS.map(([c]) => c);
    this.#insertRow = this.#db.prepare(
      `INSERT INTO ${ROWS_TABLE} (${columns.join(", ")}, prompt_id, ingestion_version, received_at)
       VALUES (${columns.map(() => "?").join(", ")}, ?, ?, ?)`,
    );
    // 0, 1, or 2 for "more than one": all the counters need to know.
    this.#copiesOfId = this.#db
      .prepare(`SELECT COUNT(*) FROM (SELECT 1 FROM ${ROWS_TABLE} WHERE id = ? LIMIT 2)`)
      .pluck();
    this.#insertTrace = this.#db.prepare("INSERT OR IGNORE INTO trace_index (trace_id, first_start) VALUES (?, ?)");
    this.#lowerTraceStart = this.#db.prepare(
      "UPDATE trace_index SET first_start = ? WHERE trace_id = ? AND first_start > ?",
    );
    this.#insertTraceName = this.#db.prepare("INSERT OR IGNORE INTO trace_names (name) VALUES (?)");
    this.#selectRowsOfTrace = this.#db.prepare(
      `SELECT * FROM ${ROWS_TABLE} WHERE trace_id = ? ORDER BY start_time, row_id`,
    );
    this.#selectLatestRowOfId = this.#db.prepare(
      `SELECT * FROM ${ROWS_TABLE} WHERE id = ? ORDER BY row_id DESC LIMIT 1`,
    );
    this.#selectFactsOfTraces = this.#db.prepare(
      `SELECT ${FACT_COLUMNS} FROM ${ROWS_TABLE}
       WHERE trace_id IN (SELECT value FROM json_each(?)) ORDER BY start_time, row_id`,
    );
    this.#selectPayloadsOfTraces = this.#db.prepare(
      `SELECT row_id, trace_id, is_root, input, output, metadata, trace_input, trace_output FROM ${ROWS_TABLE}
       WHERE trace_id IN (SELECT value FROM json_each(?))
         AND (is_root = 1 OR trace_input IS NOT NULL OR trace_output IS NOT NULL)
       ORDER BY row_id`,
    );
    this.#selectTraceNames = this.#db.prepare("SELECT name FROM trace_names ORDER BY name LIMIT 200").pluck();
    this.#ingestTransaction = this.#db.transaction((spans: OtlpSpan[], ingestionVersion: string | null) =>
      this.#writeSpans(spans, ingestionVersion),
    );
  }

  /** The database, for the stores of prompts and scores that share its file. */
  get database(): Database.Database {
    return this.#db;
  }

  /** How rows stored from now on find the id of the prompt version they link. */
  linkPrompts(promptIdOf: (name: string, version: number) => string): void {
    this.#promptIdOf = promptIdOf;
  }

  /** SQL functions the v2 API's structured filters use (observations-v2-filter.ts). */
  #registerFilterFunctions(): void {
    const text = (v: unknown) => (typeof v === "string" ? v : null);
    this.#db.function("lf_matches", { deterministic: true }, (haystack, needle) =>
      matchesText(text(haystack), String(needle)),
    );
    this.#db.function("lf_matches_exact", { deterministic: true }, (haystack, needle) =>
      matchesExact(text(haystack), String(needle)),
    );
    this.#db.function(
      "lf_metadata_value",
      { deterministic: true },
      (metadata, traceMetadata, attributes, resourceAttributes, scopeName, scopeVersion, key) =>
        flatMetadata({
          metadata: text(metadata),
          trace_metadata: text(traceMetadata),
          attributes: text(attributes) ?? "{}",
          resource_attributes: text(resourceAttributes) ?? "{}",
          scope_name: text(scopeName) ?? "",
          scope_version: text(scopeVersion) ?? "",
        }).get(String(key)) ?? null,
    );
  }

  /**
   * Stores the spans of one request atomically, one row each.
   * @param ingestionVersion the request's `x-langfuse-ingestion-version`, null when absent
   */
  ingest(spans: OtlpSpan[], ingestionVersion: string | null = null): IngestResult {
    if (spans.length === 0) return { spans: 0, duplicates: 0, traces: 0, toCount: [] };
    return this.#ingestTransaction(spans, ingestionVersion);
  }

  #writeSpans(spans: OtlpSpan[], ingestionVersion: string | null): IngestResult {
    const now = new Date().toISOString();
    const firstStarts = new Map<string, string>();
    const names = new Set<string>();
    const toCount: number[] = [];
    let duplicates = 0;
    for (const span of spans) {
      const record = mapSpan(span);
      const copies = this.#copiesOfId.get(record.id) as number;
      if (copies === 0) this.#tally.observationIds++;
      else duplicates++;
      if (copies === 1) this.#tally.duplicatedIds++;
      const params = RECORD_COLUMNS.map(([, value]) => value(record));
      // IngestionService links a prompt by name and version when it writes the row; none when it holds no such version.
      const promptId =
        record.promptName && record.promptVersion ? this.#promptIdOf(record.promptName, record.promptVersion) : null;
      params.push(promptId || null, ingestionVersion, now);
      const { lastInsertRowid } = this.#insertRow.run(...params);
      if (record.needsTokens) toCount.push(Number(lastInsertRowid));
      const start = firstStarts.get(record.traceId);
      if (start === undefined || record.startTime < start) firstStarts.set(record.traceId, record.startTime);
      const name = record.traceName ?? (record.isRoot ? record.name : null);
      if (name) names.add(name);
    }
    for (const [traceId, start] of firstStarts) {
      if (this.#insertTrace.run(traceId, start).changes === 1) this.#tally.traces++;
      else this.#lowerTraceStart.run(start, traceId, start);
    }
    for (const name of names) this.#insertTraceName.run(name);
    this.#tally.observations += spans.length;
    this.#tally.duplicateRows += duplicates;
    return { spans: spans.length, duplicates, traces: firstStarts.size, toCount };
  }

  /** Fills the listing tables from the rows when they are empty but rows exist (a migrated file). */
  #rebuildListingTablesIfMissing(): void {
    const indexed = this.#db.prepare("SELECT EXISTS (SELECT 1 FROM trace_index)").pluck().get() === 1;
    const hasRows = this.#db.prepare(`SELECT EXISTS (SELECT 1 FROM ${ROWS_TABLE})`).pluck().get() === 1;
    if (indexed || !hasRows) return;
    this.#db.exec(`
      INSERT INTO trace_index (trace_id, first_start) SELECT trace_id, MIN(start_time) FROM ${ROWS_TABLE} GROUP BY trace_id;
      INSERT OR IGNORE INTO trace_names (name)
        SELECT COALESCE(trace_name, name) FROM ${ROWS_TABLE} WHERE trace_name IS NOT NULL OR is_root = 1;`);
  }

  /** The counters, from the tables (once, when the store opens). */
  #countFromTables(): StoreCounts {
    const { observations, observationIds } = this.#db
      .prepare(`SELECT COUNT(*) AS observations, COUNT(DISTINCT id) AS observationIds FROM ${ROWS_TABLE}`)
      .get() as {
      observations: number;
      observationIds: number;
    };
    return {
      traces: this.#db.prepare("SELECT COUNT(*) FROM trace_index").pluck().get() as number,
      observations,
      observationIds,
      duplicateRows: observations - observationIds,
      duplicatedIds: this.#db
        .prepare(`SELECT COUNT(*) FROM (SELECT 1 FROM ${ROWS_TABLE} GROUP BY id HAVING COUNT(*) > 1)`)
        .pluck()
        .get() as number,
    };
  }

  #query(sql: string): Database.Statement {
    let statement = this.#queryCache.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#queryCache.set(sql, statement);
    }
    return statement;
  }

  /** Every row of a trace, in start order (a re-sent span's rows one after the other). */
  rowsOfTrace(traceId: string): ObservationRow[] {
    return this.#selectRowsOfTrace.all(traceId) as ObservationRow[];
  }

  /** The latest row stored for an observation id. */
  latestRowOfId(id: string): ObservationRow | undefined {
    return this.#selectLatestRowOfId.get(id) as ObservationRow | undefined;
  }

  /** The rows (without payloads) of several traces in one query, in start order. */
  factsOfTraces(traceIds: string[]): RowFacts[] {
    if (traceIds.length === 0) return [];
    return this.#selectFactsOfTraces.all(JSON.stringify(traceIds)) as RowFacts[];
  }

  /** Root rows and rows carrying legacy trace I/O of several traces, oldest row first. */
  payloadsOfTraces(traceIds: string[]): RowPayload[] {
    if (traceIds.length === 0) return [];
    return this.#selectPayloadsOfTraces.all(JSON.stringify(traceIds)) as RowPayload[];
  }

  /** Distinct trace names (at most 200), for a viewer's name filter. */
  traceNames(): string[] {
    return this.#selectTraceNames.all() as string[];
  }

  /**
   * Rows newest first (start_time, trace_id, id, row_id descending), after `cursor`, at most
   * `limit` of them: the v2 observations API.
   */
  listRows(filter: RowFilter, cursor: RowCursor | undefined, limit: number): ObservationRow[] {
    const clauses = rowClauses(filter);
    if (cursor) {
      clauses.push(
        cursor.rowId === undefined
          ? ["(start_time, trace_id, id) < (?, ?, ?)", [cursor.startTime, cursor.traceId, cursor.id]]
          : [
              "(start_time, trace_id, id, row_id) < (?, ?, ?, ?)",
              [cursor.startTime, cursor.traceId, cursor.id, cursor.rowId],
            ],
      );
    }
    const where = buildWhere(clauses);
    return this.#query(
      `SELECT * FROM ${ROWS_TABLE} ${where.sql} ORDER BY start_time DESC, trace_id DESC, id DESC, row_id DESC LIMIT ?`,
    ).all(...where.params, limit) as ObservationRow[];
  }

  /** Rows newest first, page by page: the legacy observations list. */
  listRowsPaged(filter: RowFilter, page: Page): { rows: ObservationRow[]; totalItems: number } {
    const where = buildWhere(rowClauses(filter));
    const totalItems = this.#query(`SELECT COUNT(*) FROM ${ROWS_TABLE} ${where.sql}`)
      .pluck()
      .get(...where.params) as number;
    const rows = this.#query(
      `SELECT * FROM ${ROWS_TABLE} ${where.sql} ORDER BY start_time DESC, row_id DESC LIMIT ? OFFSET ?`,
    ).all(...where.params, page.limit, (page.page - 1) * page.limit) as ObservationRow[];
    return { rows, totalItems };
  }

  /** Trace ids newest first (by their earliest row start), with the number of matching traces. */
  listTraceIds(
    filter: TraceFilter,
    page: Page,
  ): { traces: Array<{ id: string; timestamp: string }>; totalItems: number } {
    const inTraces = (where: string, values: unknown[]): Clause => [
      `trace_id IN (SELECT trace_id FROM ${ROWS_TABLE} WHERE ${where})`,
      values,
    ];
    const clauses: Clause[] = [];
    if (filter.userId !== undefined) clauses.push(inTraces("user_id = ?", [filter.userId]));
    if (filter.sessionId !== undefined) clauses.push(inTraces("session_id = ?", [filter.sessionId]));
    if (filter.name !== undefined) {
      clauses.push(
        inTraces("trace_name = ? OR (trace_name IS NULL AND is_root = 1 AND name = ?)", [filter.name, filter.name]),
      );
    }
    for (const tag of filter.tags ?? []) {
      clauses.push(inTraces("EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)", [tag]));
    }
    if (filter.fromTimestamp !== undefined) clauses.push(["first_start >= ?", [filter.fromTimestamp]]);
    if (filter.toTimestamp !== undefined) clauses.push(["first_start < ?", [filter.toTimestamp]]);
    const where = buildWhere(clauses);
    const totalItems = this.#query(`SELECT COUNT(*) FROM trace_index ${where.sql}`)
      .pluck()
      .get(...where.params) as number;
    const traces = this.#query(
      `SELECT trace_id AS id, first_start AS timestamp FROM trace_index ${where.sql} ORDER BY first_start DESC, trace_id DESC LIMIT ? OFFSET ?`,
    ).all(...where.params, page.limit, (page.page - 1) * page.limit) as Array<{ id: string; timestamp: string }>;
    return { traces, totalItems };
  }

  counts(): StoreCounts {
    return { ...this.#tally };
  }

  /**
   * Deletes up to `limit` whole traces whose first observation started before `cutoff` (ISO),
   * oldest first, in one transaction, with what `alsoDelete` deletes of them (their scores).
   * Returns the traces deleted. Call recount() when done.
   */
  deleteTracesStartedBefore(cutoff: string, limit: number, alsoDelete?: (traceIds: string[]) => void): number {
    return this.#db.transaction(() => {
      const ids = this.#query("SELECT trace_id FROM trace_index WHERE first_start < ? ORDER BY first_start LIMIT ?")
        .pluck()
        .all(cutoff, limit) as string[];
      if (ids.length === 0) return 0;
      alsoDelete?.(ids);
      const list = JSON.stringify(ids);
      this.#query(`DELETE FROM ${ROWS_TABLE} WHERE trace_id IN (SELECT value FROM json_each(?))`).run(list);
      this.#query("DELETE FROM trace_index WHERE trace_id IN (SELECT value FROM json_each(?))").run(list);
      return ids.length;
    })();
  }

  /** The tokenizer, input and output of a row to count; undefined when it is gone or has no model. */
  tokenizationOf(rowId: number): { tokenizer: Tokenizer; input: string | null; output: string | null } | undefined {
    const row = this.#query(`SELECT model_id, input, output FROM ${ROWS_TABLE} WHERE row_id = ?`).get(rowId) as
      Pick<ObservationRow, "model_id" | "input" | "output"> | undefined;
    const model = row?.model_id ? modelById(row.model_id) : null;
    if (!row || !model) return undefined;
    return { tokenizer: model, input: row.input, output: row.output };
  }

  /** Prices a row stored without usage with its counted tokens, as Langfuse would have stored it. */
  priceWithTokens(rowId: number, counts: TokenCounts): void {
    const row = this.#query(
      `SELECT model, model_parameters, provided_usage_details, provided_cost_details, metadata, input, output
       FROM ${ROWS_TABLE} WHERE row_id = ?`,
    ).get(rowId) as
      | Pick<
          ObservationRow,
          | "model"
          | "model_parameters"
          | "provided_usage_details"
          | "provided_cost_details"
          | "metadata"
          | "input"
          | "output"
        >
      | undefined;
    if (!row) return;
    const object = (text: string | null) => (text ? (JSON.parse(text) as Record<string, unknown>) : {});
    const priced = priceObservation(
      {
        model: row.model,
        providedUsage: object(row.provided_usage_details),
        providedCost: object(row.provided_cost_details),
        modelParameters: row.model_parameters,
        metadata: object(row.metadata),
        input: row.input,
        output: row.output,
      },
      counts,
    );
    const orNull = (record: Record<string, number>) =>
      Object.keys(record).length === 0 ? null : JSON.stringify(record);
    this.#query(
      `UPDATE ${ROWS_TABLE} SET usage_details = ?, cost_details = ?, usage_pricing_tier_id = ?, usage_pricing_tier_name = ?
       WHERE row_id = ?`,
    ).run(
      orNull(priced.usageDetails),
      orNull(priced.costDetails),
      priced.usagePricingTierId,
      priced.usagePricingTierName,
      rowId,
    );
  }

  /** Counts again from the tables, after rows were deleted. */
  recount(): void {
    this.#tally = this.#countFromTables();
  }

  /** Removes every row (tests start from a clean store). */
  wipe(): void {
    this.#db.exec(`DELETE FROM ${ROWS_TABLE}; DELETE FROM trace_index; DELETE FROM trace_names;`);
    Object.assign(this.#tally, { traces: 0, observations: 0, observationIds: 0, duplicateRows: 0, duplicatedIds: 0 });
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  get isOpen(): boolean {
    return this.#db.open;
  }
}
