import { z } from "zod";
import type { OptionSpec } from "../config-schema.js";
import { parseApiKeyList } from "./api-key-set.js";

type Kind<T> = Pick<OptionSpec<T>, "schema" | "allowed">;

/** API_KEYS / METRICS_API_KEY: checked at start-up; errors name the entry's position only. */
export function apiKeyListKind(): Kind<string> {
  return {
    schema: z.string().max(65_536).superRefine((v, ctx) => {
      try {
        parseApiKeyList(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    }),
    allowed: "comma-separated keys (16+ characters each) or `sha256:<64 hex>` of a key",
  };
}
