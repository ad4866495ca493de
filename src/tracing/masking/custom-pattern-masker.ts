import type { Masker } from "./masker.js";

/** Separates the regexes in LANGFUSE_MASK_PATTERNS; chosen because it never occurs in a useful regex. */
export const PATTERN_DELIMITER = ";;";

/** Splits and compiles LANGFUSE_MASK_PATTERNS; throws with the offending pattern's position. */
export function compileMaskPatterns(raw: string): RegExp[] {
  const parts = raw
    .split(PATTERN_DELIMITER)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  return parts.map((source, i) => {
    let re: RegExp;
    try {
      re = new RegExp(source, "gu");
    } catch (err) {
      throw new Error(`pattern ${i + 1} is not a valid regular expression: ${(err as Error).message}`);
    }
    // A pattern that matches nothing at all would insert a marker between every character.
    if (re.test("")) throw new Error(`pattern ${i + 1} matches the empty string`);
    re.lastIndex = 0;
    return re;
  });
}

export function customPatternMasker(patterns: RegExp[]): Masker {
  return (text) => {
    let out = text;
    for (const re of patterns) out = out.replace(re, "[masked]");
    return out;
  };
}
