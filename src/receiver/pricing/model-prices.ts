// Langfuse's default model prices (default-model-prices.json, copied from Langfuse: see
// LANGFUSE-LICENSE.md beside it) and its model matching: a generation's provided model name is
// matched against each model's pattern, as findModelInPostgres does with Postgres' `~` operator
// (packages/shared/src/server/ingestion/modelMatch.ts). Every default pattern starts with `(?i)`,
// Postgres' embedded "case-insensitive" option, which JavaScript spells as the `i` flag.
import { Decimal } from "decimal.js";
import table from "./default-model-prices.json" with { type: "json" };

/** A pricing tier condition, as Langfuse validates them (PricingTierConditionSchema). */
export type PricingTierCondition =
  | {
      usageDetailPattern: string;
      operator: "gt" | "gte" | "lt" | "lte" | "eq" | "neq";
      value: number;
      caseSensitive?: boolean;
    }
  | { source: "model_parameters" | "metadata"; key: string; operator: "in"; values: string[] };

export interface PricingTier {
  id: string;
  name: string;
  isDefault: boolean;
  priority: number;
  conditions: PricingTierCondition[];
  /** Usage type (e.g. `input`, `input_cache_read`, `output_reasoning`) to USD per unit. */
  prices: ReadonlyMap<string, Decimal>;
}

export interface ModelPrice {
  /** Langfuse's model id: what its v2 API returns as `modelId` / `internalModelId`. */
  id: string;
  modelName: string;
  matchPattern: string;
  tokenizerId: string | null;
  tokenizerConfig: Readonly<Record<string, string | number>> | null;
  pricingTiers: readonly PricingTier[];
}

interface RawModel {
  id: string;
  modelName: string;
  matchPattern: string;
  tokenizerId?: string | null;
  tokenizerConfig?: Record<string, string | number> | null;
  pricingTiers: Array<Omit<PricingTier, "prices"> & { prices: Record<string, number> }>;
}

/** Postgres' `(?i)` prefix becomes JavaScript's `i` flag; anything else is taken as written. */
export function compileMatchPattern(pattern: string): RegExp {
  return pattern.startsWith("(?i)") ? new RegExp(pattern.slice(4), "i") : new RegExp(pattern);
}

function toModel(raw: RawModel): ModelPrice {
  return {
    id: raw.id,
    modelName: raw.modelName,
    matchPattern: raw.matchPattern,
    tokenizerId: raw.tokenizerId ?? null,
    tokenizerConfig: raw.tokenizerConfig ?? null,
    // Prices go through Decimal as Langfuse's Postgres numeric columns hold them.
    pricingTiers: raw.pricingTiers.map((tier) => ({
      ...tier,
      prices: new Map(Object.entries(tier.prices).map(([usageType, price]) => [usageType, new Decimal(price)])),
    })),
  };
}

export const DEFAULT_MODELS: readonly ModelPrice[] = (table as RawModel[]).map(toModel);
const PATTERNS = DEFAULT_MODELS.map((model) => compileMatchPattern(model.matchPattern));

/** Lookups by model name are repeated for every generation: remember a bounded number of them. */
const MATCH_CACHE_MAX = 1000;
const matchCache = new Map<string, ModelPrice | null>();

/** The default model whose pattern matches `modelName`, or null (Langfuse stores model_id ""). */
export function findModel(modelName: string): ModelPrice | null {
  const cached = matchCache.get(modelName);
  if (cached !== undefined) return cached;
  const index = PATTERNS.findIndex((pattern) => pattern.test(modelName));
  const model = index === -1 ? null : DEFAULT_MODELS[index]!;
  if (matchCache.size >= MATCH_CACHE_MAX) matchCache.clear();
  matchCache.set(modelName, model);
  return model;
}

const MODELS_BY_ID = new Map(DEFAULT_MODELS.map((model) => [model.id, model]));

export function modelById(id: string): ModelPrice | null {
  return MODELS_BY_ID.get(id) ?? null;
}

/** A model's default tier: where Langfuse's v2 API reads `inputPrice`, `outputPrice`, `totalPrice`. */
export function defaultTier(model: ModelPrice): PricingTier | null {
  return model.pricingTiers.find((tier) => tier.isDefault) ?? null;
}
