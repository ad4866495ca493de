// The option kinds of src/config.ts that check a value with its owner's parser.
import { z } from "zod";
import type { OptionSpec } from "./config-schema.js";
import { parseApiKeyList } from "./auth/api-key-set.js";
import { compileMaskPatterns, MASK_PATTERN_DELIMITER, MASKER_NAMES, parseMaskNames } from "./tracing/index.js";

type Kind<T> = Pick<OptionSpec<T>, "schema" | "allowed">;

/** The string schema, refined: what `parse` throws is the option's error message. */
function checkedBy(schema: z.ZodString, parse: (value: string) => unknown) {
  return schema.superRefine((v, ctx) => {
    try {
      parse(v);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
    }
  });
}

/** LANGFUSE_MASK: validated at start-up, kept as text (parsed again by createMasker). */
export function maskNamesKind(): Kind<string> {
  return {
    schema: checkedBy(z.string().trim(), parseMaskNames),
    allowed: `none | all | comma list of ${MASKER_NAMES.join(", ")}`,
  };
}

/** LANGFUSE_MASK_PATTERNS: every regex must compile, so a typo fails at start-up. */
export function maskPatternsKind(): Kind<string> {
  return {
    schema: checkedBy(z.string().max(16_384), compileMaskPatterns),
    allowed: `JavaScript regexes separated by \`${MASK_PATTERN_DELIMITER}\``,
  };
}

/** API_KEYS / METRICS_API_KEY: checked at start-up; errors name the entry's position only. */
export function apiKeyListKind(): Kind<string> {
  return {
    schema: checkedBy(z.string().max(65_536), parseApiKeyList),
    allowed: "comma-separated keys (16+ characters each) or `sha256:<64 hex>` of a key",
  };
}
