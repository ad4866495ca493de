// Upgrades a receiver database written before the store followed Langfuse v4 (schema version 1:
// `observations` upserted by span id plus a merged `traces` table) to rows. Nothing stored is
// lost: each observation becomes one row and takes the trace context of its trace, the legacy
// trace input/output go on the trace's root rows. Runs inside the store's opening transaction.
import type Database from "better-sqlite3";
import { priceObservation } from "./pricing/usage-cost.js";

const ROWS_TABLE = "observation_rows";

/** Columns schema version 3 added: what Langfuse's pricing stores beside usage and cost. */
export const PRICING_COLUMNS: ReadonlyArray<[name: string, type: string]> = [
  ["provided_usage_details", "TEXT"],
  ["provided_cost_details", "TEXT"],
  ["model_id", "TEXT"],
  ["usage_pricing_tier_id", "TEXT"],
  ["usage_pricing_tier_name", "TEXT"],
];

function columnsOf(db: Database.Database, table: string): Set<string> {
  return new Set(db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]);
}

/** Moves version-1 tables into `observation_rows`, when there are any. Returns the rows moved. */
export function migrateUpsertSchema(db: Database.Database): number {
  const observations = columnsOf(db, "observations");
  if (!observations.has("resend_count")) return 0;
  const hasTraces = columnsOf(db, "traces").has("explicit_name");
  const trace = (column: string, fallback = "NULL") => (hasTraces ? `t.${column}` : fallback);
  const moved = db
    .prepare(
      `INSERT INTO ${ROWS_TABLE} (id, trace_id, parent_observation_id, type, name, start_time, end_time,
         completion_start_time, model, model_parameters, usage_details, cost_details, input, output, metadata,
         level, status_message, version, environment, prompt_name, prompt_version,
         user_id, session_id, trace_name, tags, release, trace_metadata, public, is_app_root, is_root,
         trace_input, trace_output, attributes, resource_attributes, scope_name, scope_version, span_name, span_kind,
         ingestion_version, received_at)
       SELECT o.id, o.trace_id, o.parent_observation_id, o.type, o.name, o.start_time, o.end_time,
         o.completion_start_time, o.model, o.model_parameters, o.usage_details, o.cost_details, o.input, o.output, o.metadata,
         o.level, o.status_message, o.version, o.environment, o.prompt_name, o.prompt_version,
         ${trace("user_id")}, ${trace("session_id")}, ${trace("explicit_name")}, ${trace("tags", "'[]'")}, ${trace("release")},
         ${hasTraces ? "NULLIF(t.metadata, '{}')" : "NULL"}, ${trace("public")}, 0, o.parent_observation_id IS NULL,
         CASE WHEN o.parent_observation_id IS NULL THEN ${trace("explicit_input")} END,
         CASE WHEN o.parent_observation_id IS NULL THEN ${trace("explicit_output")} END,
         o.attributes, o.resource_attributes, o.scope_name, '', o.span_name, o.span_kind,
         NULL, o.received_at
       FROM observations o ${hasTraces ? "LEFT JOIN traces t ON t.id = o.trace_id" : ""}
       ORDER BY o.rowid`,
    )
    .run().changes;
  db.exec("DROP TABLE observations;");
  if (hasTraces) db.exec("DROP TABLE traces;");
  return moved;
}

interface UnpricedRow {
  row_id: number;
  model: string | null;
  model_parameters: string | null;
  usage_details: string | null;
  cost_details: string | null;
  metadata: string | null;
  input: string | null;
  output: string | null;
}

function parseObject(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const orNull = (record: Record<string, unknown>) => (Object.keys(record).length === 0 ? null : JSON.stringify(record));

/**
 * Adds the pricing columns to a version-2 file and prices its rows as new rows are priced: the
 * stored usage and cost are taken as what was sent. Returns the rows priced.
 */
export function addPricingColumns(db: Database.Database): number {
  const existing = columnsOf(db, ROWS_TABLE);
  const missing = PRICING_COLUMNS.filter(([name]) => !existing.has(name));
  if (missing.length === 0) return 0;
  for (const [name, type] of missing) db.exec(`ALTER TABLE ${ROWS_TABLE} ADD COLUMN ${name} ${type}`);
  const rows = db
    .prepare(
      `SELECT row_id, model, model_parameters, usage_details, cost_details, metadata, input, output FROM ${ROWS_TABLE}
       WHERE model IS NOT NULL OR usage_details IS NOT NULL OR cost_details IS NOT NULL`,
    )
    .iterate() as IterableIterator<UnpricedRow>;
  const update = db.prepare(
    `UPDATE ${ROWS_TABLE} SET usage_details = ?, cost_details = ?, provided_usage_details = ?, provided_cost_details = ?,
       model_id = ?, usage_pricing_tier_id = ?, usage_pricing_tier_name = ? WHERE row_id = ?`,
  );
  const updates: unknown[][] = [];
  for (const row of rows) {
    const priced = priceObservation({
      model: row.model,
      providedUsage: parseObject(row.usage_details),
      providedCost: parseObject(row.cost_details),
      modelParameters: row.model_parameters,
      metadata: parseObject(row.metadata),
      input: row.input,
      output: row.output,
    });
    updates.push([
      orNull(priced.usageDetails),
      orNull(priced.costDetails),
      orNull(priced.providedUsageDetails),
      orNull(priced.providedCostDetails),
      priced.modelId,
      priced.usagePricingTierId,
      priced.usagePricingTierName,
      row.row_id,
    ]);
  }
  for (const params of updates) update.run(...params);
  return updates.length;
}

/** Adds the prompt id column of schema version 4 to an older file (its rows link no prompt id). */
export function addPromptIdColumn(db: Database.Database): boolean {
  if (columnsOf(db, ROWS_TABLE).has("prompt_id")) return false;
  db.exec(`ALTER TABLE ${ROWS_TABLE} ADD COLUMN prompt_id TEXT`);
  return true;
}
