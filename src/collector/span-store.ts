// The receiver's SQLite store: observations upserted by span id (a re-sent span is stored once
// and counted), traces derived from the trace-level facts of their spans. One transaction per
// ingested request, prepared statements, WAL.
import Database from "better-sqlite3";
import { mapSpan, type ObservationRecord, type TraceUpdate } from "./langfuse-span-mapping.js";
import type { OtlpSpan } from "./otlp-span.js";
import { applyTraceUpdate, newTraceState, type TraceState } from "./trace-merge.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS traces (
  id TEXT PRIMARY KEY,
  timestamp TEXT NOT NULL,
  has_root INTEGER NOT NULL,
  explicit_name TEXT,
  root_name TEXT,
  name TEXT GENERATED ALWAYS AS (COALESCE(explicit_name, root_name)) VIRTUAL,
  user_id TEXT,
  session_id TEXT,
  tags TEXT NOT NULL,
  explicit_input TEXT,
  explicit_output TEXT,
  root_input TEXT,
  root_output TEXT,
  metadata TEXT NOT NULL,
  release TEXT,
  version TEXT,
  environment TEXT,
  public INTEGER,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_timestamp ON traces (timestamp DESC);
CREATE INDEX IF NOT EXISTS traces_user ON traces (user_id, timestamp DESC);
CREATE INDEX IF NOT EXISTS traces_session ON traces (session_id, timestamp DESC);
CREATE INDEX IF NOT EXISTS traces_name ON traces (name, timestamp DESC);

CREATE TABLE IF NOT EXISTS observations (
  id TEXT PRIMARY KEY,
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
  input TEXT,
  output TEXT,
  metadata TEXT,
  level TEXT NOT NULL,
  status_message TEXT,
  version TEXT,
  environment TEXT NOT NULL,
  prompt_name TEXT,
  prompt_version INTEGER,
  attributes TEXT NOT NULL,
  resource_attributes TEXT NOT NULL,
  scope_name TEXT NOT NULL,
  span_name TEXT NOT NULL,
  span_kind INTEGER NOT NULL,
  resend_count INTEGER NOT NULL DEFAULT 0,
  received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS observations_trace ON observations (trace_id, start_time);
`;

const OBSERVATION_COLUMNS: Array<[column: string, field: keyof ObservationRecord]> = [
  ["id", "id"],
  ["trace_id", "traceId"],
  ["parent_observation_id", "parentObservationId"],
  ["type", "type"],
  ["name", "name"],
  ["start_time", "startTime"],
  ["end_time", "endTime"],
  ["completion_start_time", "completionStartTime"],
  ["model", "model"],
  ["model_parameters", "modelParameters"],
  ["usage_details", "usageDetails"],
  ["cost_details", "costDetails"],
  ["input", "input"],
  ["output", "output"],
  ["metadata", "metadata"],
  ["level", "level"],
  ["status_message", "statusMessage"],
  ["version", "version"],
  ["environment", "environment"],
  ["prompt_name", "promptName"],
  ["prompt_version", "promptVersion"],
  ["attributes", "attributes"],
  ["resource_attributes", "resourceAttributes"],
  ["scope_name", "scopeName"],
  ["span_name", "spanName"],
  ["span_kind", "spanKind"],
];

/** A `traces` row as SQLite returns it. */
export interface TraceRow {
  id: string;
  timestamp: string;
  has_root: number;
  explicit_name: string | null;
  root_name: string | null;
  name: string | null;
  user_id: string | null;
  session_id: string | null;
  tags: string;
  explicit_input: string | null;
  explicit_output: string | null;
  root_input: string | null;
  root_output: string | null;
  metadata: string;
  release: string | null;
  version: string | null;
  environment: string | null;
  public: number | null;
  updated_at: string;
}

/** An `observations` row as SQLite returns it. */
export interface ObservationRow {
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
  usage_details: string | null;
  cost_details: string | null;
  input: string | null;
  output: string | null;
  metadata: string | null;
  level: string;
  status_message: string | null;
  version: string | null;
  environment: string;
  prompt_name: string | null;
  prompt_version: number | null;
  attributes: string;
  resource_attributes: string;
  scope_name: string;
  span_name: string;
  span_kind: number;
  resend_count: number;
  received_at: string;
}

/** Timing facts of one observation, enough for a trace list's ids and latency. */
export interface ObservationSummaryRow {
  id: string;
  trace_id: string;
  start_time: string;
  end_time: string;
}

/** Per-trace totals over its observations, for the trace viewer's list (not part of Langfuse's API). */
export interface TraceAggregateRow {
  trace_id: string;
  observations: number;
  /** Earliest observation start and latest end: the trace's extent. */
  first_start: string;
  last_end: string;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  /** Observations at level ERROR. */
  errors: number;
  /** Observations at level WARNING. */
  warnings: number;
}

export interface IngestResult {
  /** Spans in the request. */
  spans: number;
  /** Spans whose id was new to the store. */
  inserted: number;
  /** Spans whose id was already stored (re-sends); stored once, counted here. */
  duplicates: number;
  /** Distinct traces the request touched. */
  traces: number;
}

export interface TraceFilter {
  userId?: string;
  sessionId?: string;
  name?: string;
  /** Only traces carrying every one of these tags. */
  tags?: string[];
  fromTimestamp?: string;
  toTimestamp?: string;
}

export interface ObservationFilter {
  traceId?: string;
  type?: string;
  name?: string;
  userId?: string;
  parentObservationId?: string;
}

export interface Page {
  /** 1-based. */
  page: number;
  limit: number;
}

function traceStateFromRow(row: TraceRow): TraceState {
  return {
    id: row.id,
    timestamp: row.timestamp,
    hasRoot: row.has_root === 1,
    explicitName: row.explicit_name,
    rootName: row.root_name,
    userId: row.user_id,
    sessionId: row.session_id,
    tags: JSON.parse(row.tags) as string[],
    explicitInput: row.explicit_input,
    explicitOutput: row.explicit_output,
    rootInput: row.root_input,
    rootOutput: row.root_output,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    release: row.release,
    version: row.version,
    environment: row.environment,
    public: row.public === null ? null : row.public === 1,
  };
}

function traceStateParams(state: TraceState, now: string): unknown[] {
  return [
    state.id,
    state.timestamp,
    state.hasRoot ? 1 : 0,
    state.explicitName,
    state.rootName,
    state.userId,
    state.sessionId,
    JSON.stringify(state.tags),
    state.explicitInput,
    state.explicitOutput,
    state.rootInput,
    state.rootOutput,
    JSON.stringify(state.metadata),
    state.release,
    state.version,
    state.environment,
    state.public === null ? null : state.public ? 1 : 0,
    now,
  ];
}

function buildWhere(clauses: Array<[sql: string, value: unknown]>): { sql: string; params: unknown[] } {
  if (clauses.length === 0) return { sql: "", params: [] };
  return { sql: `WHERE ${clauses.map(([sql]) => sql).join(" AND ")}`, params: clauses.map(([, v]) => v) };
}

export class SpanStore {
  private readonly db: Database.Database;
  private readonly upsertObservation: Database.Statement;
  private readonly selectTrace: Database.Statement;
  private readonly writeTrace: Database.Statement;
  private readonly selectObservationsOfTrace: Database.Statement;
  private readonly selectObservation: Database.Statement;
  private readonly selectSummaries: Database.Statement;
  private readonly selectAggregates: Database.Statement;
  private readonly selectTraceNames: Database.Statement;
  private readonly countTraces: Database.Statement;
  private readonly countObservations: Database.Statement;
  private readonly ingestTransaction: (spans: OtlpSpan[]) => IngestResult;
  /** Read queries built from filters, prepared once per distinct SQL text. */
  private readonly queryCache = new Map<string, Database.Statement>();

  /** @param path SQLite file, or ":memory:". */
  constructor(path: string) {
    this.db = new Database(path);
    if (path !== ":memory:") this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = OFF");
    this.db.pragma("temp_store = MEMORY");
    this.db.exec(SCHEMA);

    const columns = OBSERVATION_COLUMNS.map(([c]) => c);
    this.upsertObservation = this.db.prepare(
      `INSERT INTO observations (${columns.join(", ")}, received_at)
       VALUES (${columns.map(() => "?").join(", ")}, ?)
       ON CONFLICT(id) DO UPDATE SET
         ${columns
           .filter((c) => c !== "id")
           .map((c) => `${c} = excluded.${c}`)
           .join(", ")},
         received_at = excluded.received_at,
         resend_count = observations.resend_count + 1
       RETURNING resend_count`,
    ).pluck();
    this.selectTrace = this.db.prepare("SELECT * FROM traces WHERE id = ?");
    this.writeTrace = this.db.prepare(
      `INSERT OR REPLACE INTO traces (id, timestamp, has_root, explicit_name, root_name, user_id, session_id,
         tags, explicit_input, explicit_output, root_input, root_output, metadata, release, version,
         environment, public, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectObservationsOfTrace = this.db.prepare(
      "SELECT * FROM observations WHERE trace_id = ? ORDER BY start_time, rowid",
    );
    this.selectObservation = this.db.prepare("SELECT * FROM observations WHERE id = ?");
    this.selectSummaries = this.db.prepare(
      `SELECT id, trace_id, start_time, end_time FROM observations
       WHERE trace_id IN (SELECT value FROM json_each(?)) ORDER BY start_time, rowid`,
    );
    this.selectAggregates = this.db.prepare(
      `SELECT trace_id, COUNT(*) AS observations, MIN(start_time) AS first_start, MAX(end_time) AS last_end,
         TOTAL(json_extract(usage_details, '$.input')) AS input_tokens,
         TOTAL(json_extract(usage_details, '$.output')) AS output_tokens,
         TOTAL(json_extract(usage_details, '$.total')) AS total_tokens,
         TOTAL(level = 'ERROR') AS errors, TOTAL(level = 'WARNING') AS warnings
       FROM observations WHERE trace_id IN (SELECT value FROM json_each(?)) GROUP BY trace_id`,
    );
    this.selectTraceNames = this.db.prepare(
      "SELECT DISTINCT name FROM traces WHERE name IS NOT NULL ORDER BY name LIMIT 200",
    ).pluck();
    this.countTraces = this.db.prepare("SELECT COUNT(*) AS n FROM traces").pluck();
    this.countObservations = this.db.prepare("SELECT COUNT(*) AS n FROM observations").pluck();
    this.ingestTransaction = this.db.transaction((spans: OtlpSpan[]) => this.writeSpans(spans));
  }

  /** Stores the spans of one request atomically. */
  ingest(spans: OtlpSpan[]): IngestResult {
    if (spans.length === 0) return { spans: 0, inserted: 0, duplicates: 0, traces: 0 };
    return this.ingestTransaction(spans);
  }

  private writeSpans(spans: OtlpSpan[]): IngestResult {
    const now = new Date().toISOString();
    const traceUpdates = new Map<string, TraceUpdate[]>();
    let duplicates = 0;
    for (const span of spans) {
      const { observation, trace } = mapSpan(span);
      const params = OBSERVATION_COLUMNS.map(([, field]) => observation[field]);
      params.push(now);
      const resendCount = this.upsertObservation.get(...params) as number;
      if (resendCount > 0) duplicates++;
      const updates = traceUpdates.get(trace.id);
      if (updates) updates.push(trace);
      else traceUpdates.set(trace.id, [trace]);
    }
    for (const updates of traceUpdates.values()) {
      const first = updates[0]!;
      const existing = this.selectTrace.get(first.id) as TraceRow | undefined;
      const state = existing ? traceStateFromRow(existing) : newTraceState(first);
      for (const update of updates) applyTraceUpdate(state, update);
      this.writeTrace.run(...traceStateParams(state, now));
    }
    return { spans: spans.length, inserted: spans.length - duplicates, duplicates, traces: traceUpdates.size };
  }

  private query(sql: string): Database.Statement {
    let statement = this.queryCache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.queryCache.set(sql, statement);
    }
    return statement;
  }

  getTrace(id: string): TraceRow | undefined {
    return this.selectTrace.get(id) as TraceRow | undefined;
  }

  getObservation(id: string): ObservationRow | undefined {
    return this.selectObservation.get(id) as ObservationRow | undefined;
  }

  observationsOfTrace(traceId: string): ObservationRow[] {
    return this.selectObservationsOfTrace.all(traceId) as ObservationRow[];
  }

  /** Observation ids and timings of several traces in one query, in start order. */
  observationSummaries(traceIds: string[]): ObservationSummaryRow[] {
    if (traceIds.length === 0) return [];
    return this.selectSummaries.all(JSON.stringify(traceIds)) as ObservationSummaryRow[];
  }

  /** Observation counts, extent, token sums and error counts of several traces in one query. */
  traceAggregates(traceIds: string[]): TraceAggregateRow[] {
    if (traceIds.length === 0) return [];
    return this.selectAggregates.all(JSON.stringify(traceIds)) as TraceAggregateRow[];
  }

  /** The distinct trace names (at most 200), for a viewer's name filter. */
  traceNames(): string[] {
    return this.selectTraceNames.all() as string[];
  }

  /** Traces newest first. */
  listTraces(filter: TraceFilter, page: Page): { rows: TraceRow[]; totalItems: number } {
    const clauses: Array<[string, unknown]> = [];
    if (filter.userId !== undefined) clauses.push(["user_id = ?", filter.userId]);
    if (filter.sessionId !== undefined) clauses.push(["session_id = ?", filter.sessionId]);
    if (filter.name !== undefined) clauses.push(["name = ?", filter.name]);
    if (filter.fromTimestamp !== undefined) clauses.push(["timestamp >= ?", filter.fromTimestamp]);
    if (filter.toTimestamp !== undefined) clauses.push(["timestamp < ?", filter.toTimestamp]);
    for (const tag of filter.tags ?? []) {
      clauses.push(["EXISTS (SELECT 1 FROM json_each(traces.tags) WHERE value = ?)", tag]);
    }
    const where = buildWhere(clauses);
    const totalItems = this.query(`SELECT COUNT(*) FROM traces ${where.sql}`).pluck().get(...where.params) as number;
    const rows = this
      .query(`SELECT * FROM traces ${where.sql} ORDER BY timestamp DESC, id LIMIT ? OFFSET ?`)
      .all(...where.params, page.limit, (page.page - 1) * page.limit) as TraceRow[];
    return { rows, totalItems };
  }

  /** Observations newest first. */
  listObservations(filter: ObservationFilter, page: Page): { rows: ObservationRow[]; totalItems: number } {
    const clauses: Array<[string, unknown]> = [];
    if (filter.traceId !== undefined) clauses.push(["o.trace_id = ?", filter.traceId]);
    if (filter.type !== undefined) clauses.push(["o.type = ?", filter.type.toUpperCase()]);
    if (filter.name !== undefined) clauses.push(["o.name = ?", filter.name]);
    if (filter.parentObservationId !== undefined) {
      clauses.push(["o.parent_observation_id = ?", filter.parentObservationId]);
    }
    if (filter.userId !== undefined) {
      clauses.push(["o.trace_id IN (SELECT id FROM traces WHERE user_id = ?)", filter.userId]);
    }
    const where = buildWhere(clauses);
    const totalItems = this
      .query(`SELECT COUNT(*) FROM observations o ${where.sql}`)
      .pluck()
      .get(...where.params) as number;
    const rows = this
      .query(`SELECT o.* FROM observations o ${where.sql} ORDER BY o.start_time DESC, o.rowid DESC LIMIT ? OFFSET ?`)
      .all(...where.params, page.limit, (page.page - 1) * page.limit) as ObservationRow[];
    return { rows, totalItems };
  }

  counts(): { traces: number; observations: number } {
    return { traces: this.countTraces.get() as number, observations: this.countObservations.get() as number };
  }

  /** Removes every trace and observation (tests start from a clean store). */
  wipe(): void {
    this.db.exec("DELETE FROM observations; DELETE FROM traces;");
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  get isOpen(): boolean {
    return this.db.open;
  }
}
