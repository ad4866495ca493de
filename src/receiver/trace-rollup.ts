// A trace as the legacy endpoints and the viewer show it, derived from its rows the way
// Langfuse v4 rebuilds traces from the events table (eventsTracesAggregation in
// packages/shared/src/server/queries/clickhouse-sql/query-fragments.ts and
// EVENTS_AGGREGATION_FIELDS in event-query-builder.ts): per field, the value of the latest row
// that has one ("latest" = stored last), the name and I/O from the root row, the timestamp as the
// earliest start. Duplicate rows count as Langfuse counts them: twice.
import type { RowFacts, RowPayload } from "./span-store.js";

export interface TraceRollup {
  id: string;
  /** The earliest start of its rows. */
  timestamp: string;
  /** Latest `langfuse.trace.name`, else the latest root row's name. */
  name: string | null;
  userId: string | null;
  sessionId: string | null;
  release: string | null;
  version: string | null;
  environment: string;
  /** The latest non-empty tag list. */
  tags: string[];
  public: boolean;
  /** The root row's observation metadata with every row's trace metadata over it (later rows win). */
  metadata: Record<string, unknown>;
  /** Legacy `langfuse.trace.input` when a span sent one, else the latest root row's input; as stored (JSON text). */
  input: string | null;
  output: string | null;
  /** Seconds from the earliest start to the latest start or end. */
  latency: number;
  /** Distinct observation ids, in start order. */
  observationIds: string[];
  /** Stored rows, duplicates included. */
  rows: number;
  /** Rows beyond the first of their id. */
  duplicateRows: number;
  /** Token sums over the rows' usage details (input: every key with "input", output: every key with "output"). */
  usage: { input: number; output: number; total: number };
  /** USD: the sum of the rows' cost totals (a row stored twice is paid twice, as Langfuse counts it). */
  totalCost: number;
  /** Rows at level ERROR / WARNING. */
  errorCount: number;
  warningCount: number;
}

interface Latest<T> {
  value: T;
  rowId: number;
}

function parseObject(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** As Langfuse reduces usage (reduceUsageOrCostDetails): every key with "input" is input (cached tokens too), every key with "output" is output. */
function usageOf(text: string | null): { input: number; output: number; total: number } {
  const usage = parseObject(text) ?? {};
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  let input = 0;
  let output = 0;
  for (const [key, value] of Object.entries(usage)) {
    if (key.includes("input")) input += n(value);
    if (key.includes("output")) output += n(value);
  }
  return { input, output, total: n(usage["total"]) };
}

class Accumulator {
  timestamp = "";
  lastEnd = "";
  #traceName: Latest<string> | null = null;
  #rootName: Latest<string> | null = null;
  readonly #latest = new Map<string, Latest<string>>();
  #tags: Latest<string[]> | null = null;
  isPublic = false;
  readonly ids: string[] = [];
  readonly #seen = new Set<string>();
  rows = 0;
  readonly usage = { input: 0, output: 0, total: 0 };
  totalCost = 0;
  errorCount = 0;
  warningCount = 0;
  readonly #traceMetadata: Array<Latest<Record<string, unknown>>> = [];

  constructor(readonly id: string) {}

  #keepLatest(key: string, value: string | null, rowId: number): void {
    if (value === null || value === "") return;
    const current = this.#latest.get(key);
    if (!current || rowId > current.rowId) this.#latest.set(key, { value, rowId });
  }

  get(key: string): string | null {
    return this.#latest.get(key)?.value ?? null;
  }

  add(row: RowFacts): void {
    this.rows++;
    if (this.timestamp === "" || row.start_time < this.timestamp) this.timestamp = row.start_time;
    const end = row.end_time > row.start_time ? row.end_time : row.start_time;
    if (end > this.lastEnd) this.lastEnd = end;
    if (!this.#seen.has(row.id)) {
      this.#seen.add(row.id);
      this.ids.push(row.id);
    }
    if (row.trace_name && (!this.#traceName || row.row_id > this.#traceName.rowId))
      this.#traceName = { value: row.trace_name, rowId: row.row_id };
    if (row.is_root === 1 && row.name && (!this.#rootName || row.row_id > this.#rootName.rowId))
      this.#rootName = { value: row.name, rowId: row.row_id };
    this.#keepLatest("userId", row.user_id, row.row_id);
    this.#keepLatest("sessionId", row.session_id, row.row_id);
    this.#keepLatest("release", row.release, row.row_id);
    this.#keepLatest("version", row.version, row.row_id);
    this.#keepLatest("environment", row.environment, row.row_id);
    const tags = JSON.parse(row.tags) as string[];
    if (tags.length > 0 && (!this.#tags || row.row_id > this.#tags.rowId))
      this.#tags = { value: tags, rowId: row.row_id };
    if (row.public === 1) this.isPublic = true;
    const metadata = parseObject(row.trace_metadata);
    if (metadata) this.#traceMetadata.push({ value: metadata, rowId: row.row_id });
    const usage = usageOf(row.usage_details);
    this.usage.input += usage.input;
    this.usage.output += usage.output;
    this.usage.total += usage.total;
    const cost = parseObject(row.cost_details)?.["total"];
    if (typeof cost === "number" && Number.isFinite(cost)) this.totalCost += cost;
    if (row.level === "ERROR") this.errorCount++;
    if (row.level === "WARNING") this.warningCount++;
  }

  get name(): string | null {
    return this.#traceName?.value ?? this.#rootName?.value ?? null;
  }

  get tagList(): string[] {
    return this.#tags?.value ?? [];
  }

  mergedTraceMetadata(): Record<string, unknown> {
    const merged: Record<string, unknown> = {};
    for (const { value } of this.#traceMetadata.sort((a, b) => a.rowId - b.rowId)) Object.assign(merged, value);
    return merged;
  }
}

function secondsBetween(startIso: string, endIso: string): number {
  return Math.max(0, (Date.parse(endIso) - Date.parse(startIso)) / 1000);
}

/**
 * Rolls rows up into traces.
 * @param facts every row of the traces (any order)
 * @param payloads their root rows and rows with legacy trace I/O (any order)
 */
export function rollupTraces(facts: RowFacts[], payloads: RowPayload[]): Map<string, TraceRollup> {
  const accumulators = new Map<string, Accumulator>();
  for (const row of facts) {
    let acc = accumulators.get(row.trace_id);
    if (!acc) accumulators.set(row.trace_id, (acc = new Accumulator(row.trace_id)));
    acc.add(row);
  }
  const io = new Map<string, { traceInput?: string; traceOutput?: string; root?: RowPayload }>();
  for (const p of [...payloads].sort((a, b) => a.row_id - b.row_id)) {
    const entry = io.get(p.trace_id) ?? {};
    if (p.trace_input !== null) entry.traceInput = p.trace_input;
    if (p.trace_output !== null) entry.traceOutput = p.trace_output;
    if (p.is_root === 1) entry.root = p;
    io.set(p.trace_id, entry);
  }
  const traces = new Map<string, TraceRollup>();
  for (const acc of accumulators.values()) {
    const payload = io.get(acc.id);
    const root = payload?.root;
    traces.set(acc.id, {
      id: acc.id,
      timestamp: acc.timestamp,
      name: acc.name,
      userId: acc.get("userId"),
      sessionId: acc.get("sessionId"),
      release: acc.get("release"),
      version: acc.get("version"),
      environment: acc.get("environment") ?? "default",
      tags: acc.tagList,
      public: acc.isPublic,
      metadata: { ...(parseObject(root?.metadata ?? null) ?? {}), ...acc.mergedTraceMetadata() },
      input: payload?.traceInput ?? root?.input ?? null,
      output: payload?.traceOutput ?? root?.output ?? null,
      latency: secondsBetween(acc.timestamp, acc.lastEnd),
      observationIds: acc.ids,
      rows: acc.rows,
      duplicateRows: acc.rows - acc.ids.length,
      usage: acc.usage,
      totalCost: acc.totalCost,
      errorCount: acc.errorCount,
      warningCount: acc.warningCount,
    });
  }
  return traces;
}

/** The roll-ups of the given traces, read from the store in two queries. */
export function loadRollups(
  store: { factsOfTraces(ids: string[]): RowFacts[]; payloadsOfTraces(ids: string[]): RowPayload[] },
  traceIds: string[],
): Map<string, TraceRollup> {
  return rollupTraces(store.factsOfTraces(traceIds), store.payloadsOfTraces(traceIds));
}
