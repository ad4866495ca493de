// Usage and cost of one observation as Langfuse computes them when it writes the row
// (IngestionService.createEventRecord -> getGenerationUsage -> getUsageUnits ->
// calculateUsageCosts, worker/src/services/IngestionService/index.ts):
// - the provided model name is matched against the price table (model-prices.ts);
// - usage is what was provided (numbers >= 0), plus `total` as the sum of the parts when it is
//   missing; with no usage and no cost provided and a model that has a tokenizer, the input and
//   output are tokenized instead, whatever the observation's level (the events path does not
//   pass the level to the check that would skip ERROR rows). Counting is slow to start (the
//   tokenizer's tables), so it happens in a worker thread (token-counter.ts) and the row is
//   priced again with the counts (`needsTokens` says so);
// - a pricing tier is chosen from the usage (and model parameters), then each usage key with a
//   price in that tier costs units x price (exact decimal product); `total` is the `total` key's
//   cost when the tier prices `total`, else the sum of the others;
// - provided costs win outright: no cost is computed once any cost point is provided.
// Costs are then kept as ClickHouse's Decimal(18, 12) columns keep them.
import { Decimal } from "decimal.js";
import { findModel, type ModelPrice } from "./model-prices.js";
import { matchPricingTier, toPricingAttributeRecord } from "./pricing-tiers.js";

/** Tokens of a row's input and output as Langfuse's tokenizer counts them (undefined: not counted). */
export interface TokenCounts {
  input?: number;
  output?: number;
}

export interface GenerationFacts {
  /** The provided model name (`langfuse.observation.model.name`, gen_ai.*). */
  model: string | null;
  /** Usage as sent, any values. */
  providedUsage: Record<string, unknown>;
  /** Cost as sent, any values. */
  providedCost: Record<string, unknown>;
  /** Model parameters as sent (JSON text or an object). */
  modelParameters: unknown;
  /** The observation's metadata (top-level keys). */
  metadata: Record<string, unknown>;
  /** Input and output as stored (JSON text), for tokenizing. */
  input: string | null;
  output: string | null;
}

export interface PricedUsage {
  /** Provided usage, numbers >= 0 only. */
  providedUsageDetails: Record<string, number>;
  /** Provided cost, numbers only. */
  providedCostDetails: Record<string, number>;
  /** The usage Langfuse stores: provided (with a total), or tokenized, or {}. */
  usageDetails: Record<string, number>;
  /** The cost Langfuse stores, `total` included when there is any cost. */
  costDetails: Record<string, number>;
  /** The matched model's id, or null (Langfuse stores ""). */
  modelId: string | null;
  usagePricingTierId: string | null;
  usagePricingTierName: string | null;
  /** True when the usage was counted from the input and output, not sent. */
  tokenized: boolean;
  /** The usage must be counted from the input and output (no counts were given): price again with them. */
  needsTokens: boolean;
}

/** Langfuse counts tokens for a model with a tokenizer when neither usage nor cost was sent. */
function countsTokens(model: ModelPrice | null, usage: Record<string, number>, hasProvidedCost: boolean): boolean {
  return model !== null && model.tokenizerId !== null && Object.keys(usage).length === 0 && !hasProvidedCost;
}

/** ClickHouse's Decimal(18, 12): digits past the twelfth are dropped. */
const COST_SCALE = 12;

function toStoredCost(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return new Decimal(value).toDecimalPlaces(COST_SCALE, Decimal.ROUND_DOWN).toNumber();
}

/** normalizeProvidedUsageDetails: numbers (or numeric text) >= 0. */
function normalizeUsage(provided: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(provided)) {
    if (value === null || value === undefined) continue;
    const n = Number(value);
    if (!Number.isNaN(n) && n >= 0) out[key] = n;
  }
  return out;
}

function normalizeCost(provided: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(provided)) {
    if (value === null || value === undefined) continue;
    const n = Number(value);
    if (Number.isFinite(n)) out[key] = n;
  }
  return out;
}

function usageUnits(
  provided: Record<string, number>,
  hasProvidedCost: boolean,
  model: ModelPrice | null,
  counts: TokenCounts | undefined,
): { usage: Record<string, number>; tokenized: boolean } {
  if (countsTokens(model, provided, hasProvidedCost)) {
    // Not counted yet: no usage for now.
    if (!counts) return { usage: {}, tokenized: false };
    const { input, output } = counts;
    const usage: Record<string, number> = {};
    if (input !== undefined) usage["input"] = input;
    if (output !== undefined) usage["output"] = output;
    if (input || output) usage["total"] = (input ?? 0) + (output ?? 0);
    return { usage, tokenized: Object.keys(usage).length > 0 };
  }
  const usage = { ...provided };
  if (Object.keys(usage).length > 0 && !("total" in usage)) {
    usage["total"] = Object.values(provided).reduce((sum, n) => sum + n, 0);
  }
  return { usage, tokenized: false };
}

function calculateCosts(
  prices: ReadonlyMap<string, Decimal> | null,
  providedCost: Record<string, number>,
  usage: Record<string, number>,
): Record<string, number> {
  const providedKeys = Object.keys(providedCost);
  if (providedKeys.length > 0) {
    const costs = { ...providedCost };
    const total =
      providedCost["total"] ??
      (providedKeys.every((key) => key === "input" || key === "output")
        ? (providedCost["input"] ?? 0) + (providedCost["output"] ?? 0)
        : undefined);
    if (!("total" in costs) && total !== undefined) costs["total"] = total;
    return costs;
  }
  const entries: Array<[string, number]> = [];
  for (const [key, units] of Object.entries(usage)) {
    const price = prices?.get(key);
    if (price) entries.push([key, price.mul(units).toNumber()]);
  }
  const costs = Object.fromEntries(entries);
  if (costs["total"] === undefined && entries.length > 0) {
    costs["total"] = entries.reduce((sum, [, cost]) => sum + cost, 0);
  }
  return costs;
}

/**
 * The usage, cost, model and tier Langfuse would store for an observation.
 * @param counts the input's and output's tokens, once counted (see `needsTokens`)
 */
export function priceObservation(facts: GenerationFacts, counts?: TokenCounts): PricedUsage {
  const providedUsageDetails = normalizeUsage(facts.providedUsage);
  const providedCostDetails = normalizeCost(facts.providedCost);
  const unpriced: PricedUsage = {
    providedUsageDetails,
    providedCostDetails,
    usageDetails: {},
    costDetails: {},
    modelId: null,
    usagePricingTierId: null,
    usagePricingTierName: null,
    tokenized: false,
    needsTokens: false,
  };
  const enrich =
    Boolean(facts.model) || Object.keys(facts.providedUsage).length > 0 || Object.keys(facts.providedCost).length > 0;
  if (!enrich) return unpriced;

  const model = facts.model ? findModel(facts.model) : null;
  const hasProvidedCost = Object.keys(providedCostDetails).length > 0;
  const needsTokens = counts === undefined && countsTokens(model, providedUsageDetails, hasProvidedCost);
  const { usage, tokenized } = usageUnits(providedUsageDetails, hasProvidedCost, model, counts);
  // No tier for empty usage: matching {} would pick a tier against a made-up all-zero usage.
  const tier =
    model && model.pricingTiers.length > 0 && Object.keys(usage).length > 0
      ? matchPricingTier(model.pricingTiers, usage, {
          modelParameters: toPricingAttributeRecord(facts.modelParameters),
          metadata: toPricingAttributeRecord(facts.metadata),
        })
      : null;
  const costs = calculateCosts(tier?.prices ?? null, providedCostDetails, usage);
  const costDetails: Record<string, number> = {};
  for (const [key, cost] of Object.entries(costs)) costDetails[key] = toStoredCost(cost);
  return {
    ...unpriced,
    usageDetails: usage,
    costDetails,
    modelId: model?.id ?? null,
    usagePricingTierId: tier?.id ?? null,
    usagePricingTierName: tier?.name ?? null,
    tokenized,
    needsTokens,
  };
}
