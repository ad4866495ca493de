import { maskBankCards } from "./bank-card-masker.js";
import { maskCnIds } from "./cn-id-masker.js";
import { compileMaskPatterns, customPatternMasker } from "./custom-pattern-masker.js";
import { maskEmails } from "./email-masker.js";
import type { Masker } from "./masker.js";
import { maskPhones } from "./phone-masker.js";

export const MASKER_NAMES = ["email", "phone", "cn_id", "bank_card"] as const;
export type MaskerName = (typeof MASKER_NAMES)[number];

// Applied in this order: an 18-digit ID number must be taken before the card masker (13-19
// digits) sees it, and phone numbers before cards so a spaced +86 number is labeled a phone.
const BUILT_IN: Record<MaskerName, Masker> = {
  email: maskEmails,
  cn_id: maskCnIds,
  phone: maskPhones,
  bank_card: maskBankCards,
};
const ORDER: MaskerName[] = ["email", "cn_id", "phone", "bank_card"];

/**
 * Parses LANGFUSE_MASK (`none`, `all`, or a comma list of built-in names). Throws naming the
 * unknown entry, so a typo fails at start-up instead of silently leaking.
 */
export function parseMaskNames(raw: string): MaskerName[] {
  const entries = raw
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (entries.length === 0 || (entries.length === 1 && entries[0] === "none")) return [];
  if (entries.includes("all")) return [...MASKER_NAMES];
  for (const e of entries) {
    if (!(MASKER_NAMES as readonly string[]).includes(e)) throw new Error(`unknown masker "${e}"`);
  }
  return entries as MaskerName[];
}

/** One masker for all configured rules, or undefined when nothing is masked (zero cost). */
export function createMasker(names: string, patterns: string | undefined): Masker | undefined {
  const chosen = new Set(parseMaskNames(names));
  const steps: Masker[] = ORDER.filter((n) => chosen.has(n)).map((n) => BUILT_IN[n]);
  const custom = patterns ? compileMaskPatterns(patterns) : [];
  if (custom.length) steps.push(customPatternMasker(custom));
  if (steps.length === 0) return undefined;
  return (text) => {
    let out = text;
    for (const step of steps) out = step(out);
    return out;
  };
}
