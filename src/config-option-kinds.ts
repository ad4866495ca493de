import { z } from "zod";
import type { OptionSpec } from "./config-schema.js";
import { compileMaskPatterns, MASK_PATTERN_DELIMITER, MASKER_NAMES, parseMaskNames } from "./tracing/index.js";

type Kind<T> = Pick<OptionSpec<T>, "schema" | "allowed">;

/** LANGFUSE_MASK: validated at start-up, kept as text (parsed again by createMasker). */
export function maskNamesKind(): Kind<string> {
  return {
    schema: z.string().trim().superRefine((v, ctx) => {
      try {
        parseMaskNames(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    }),
    allowed: `none | all | comma list of ${MASKER_NAMES.join(", ")}`,
  };
}

/** LANGFUSE_MASK_PATTERNS: every regex must compile, so a typo fails at start-up. */
export function maskPatternsKind(): Kind<string> {
  return {
    schema: z.string().max(16_384).superRefine((v, ctx) => {
      try {
        compileMaskPatterns(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    }),
    allowed: `JavaScript regexes separated by \`${MASK_PATTERN_DELIMITER}\``,
  };
}
