// Which of a model's pricing tiers prices a generation, as Langfuse chooses it
// (packages/shared/src/server/pricing-tiers/matcher.ts): the non-default tiers by ascending
// priority, the first whose conditions all hold; else the default tier. A usage condition sums
// the usage keys matching its pattern and compares the sum; an attribute condition looks up one
// top-level model parameter (or metadata key) and wants one of its values.
import type { PricingTier, PricingTierCondition } from "./model-prices.js";

/** Top-level model parameters and metadata as strings (Langfuse's toPricingAttributeRecord). */
export interface PricingAttributes {
  modelParameters: Record<string, string>;
  metadata: Record<string, string>;
}

/** Only string, number and boolean values count, as text; nested values are left out. */
export function toPricingAttributeRecord(value: unknown): Record<string, string> {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return {};
    }
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(parsed)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[key] = String(v);
  }
  return out;
}

function holds(condition: PricingTierCondition, usage: Record<string, number>, attributes: PricingAttributes): boolean {
  try {
    if ("source" in condition) {
      const values = condition.source === "model_parameters" ? attributes.modelParameters : attributes.metadata;
      if (!Object.prototype.hasOwnProperty.call(values, condition.key)) return false;
      return condition.values.includes(values[condition.key] ?? "");
    }
    const regex = new RegExp(condition.usageDetailPattern, condition.caseSensitive ? "" : "i");
    let sum = 0;
    for (const [key, units] of Object.entries(usage)) if (regex.test(key)) sum += units || 0;
    switch (condition.operator) {
      case "gt":
        return sum > condition.value;
      case "gte":
        return sum >= condition.value;
      case "lt":
        return sum < condition.value;
      case "lte":
        return sum <= condition.value;
      case "eq":
        return sum === condition.value;
      case "neq":
        return sum !== condition.value;
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/** The tier that prices `usage`, or null when the model has no default tier. */
export function matchPricingTier(
  tiers: readonly PricingTier[],
  usage: Record<string, number>,
  attributes: PricingAttributes,
): PricingTier | null {
  const candidates = tiers.filter((tier) => !tier.isDefault).sort((a, b) => a.priority - b.priority);
  for (const tier of candidates) {
    // A tier without conditions never matches (only the default tier has none).
    if (tier.conditions.length > 0 && tier.conditions.every((c) => holds(c, usage, attributes))) return tier;
  }
  return tiers.find((tier) => tier.isDefault) ?? null;
}
