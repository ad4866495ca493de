import { z } from "zod";

/**
 * The building blocks of every environment schema in Switchboard. Each option carries its
 * documentation with it, so `docs/configuration.md` is generated from the same objects that
 * parse the environment and cannot drift from them.
 */
export interface OptionSpec<T = unknown> {
  /** Parses the raw string (already known to be non-empty). */
  schema: z.ZodType<T>;
  /** Human-readable allowed values, used in errors and docs. */
  allowed: string;
  /** Default when the variable is unset or empty; undefined means "no default, optional". */
  default?: T;
  /** What the option does and why one would change it. */
  doc: string;
  /** Section heading in the docs. */
  section: string;
  /** True for secrets: never echoed in errors or docs. */
  secret?: boolean;
}

export type OptionsSpec = Record<string, OptionSpec<any>>;

export type ParsedOptions<S extends OptionsSpec> = {
  [K in keyof S]: S[K] extends OptionSpec<infer T> ? (S[K]["default"] extends undefined ? T | undefined : T) : never;
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Kind<T> = Pick<OptionSpec<T>, "schema" | "allowed">;

export const kinds = {
  int(min: number, max: number): Kind<number> {
    return {
      schema: z
        .string()
        .trim()
        .regex(/^-?\d+$/, "must be a whole number")
        .transform(Number)
        .pipe(z.number().int().min(min).max(max)),
      allowed: `integer ${min}..${max}`,
    };
  },
  number(min: number, max: number): Kind<number> {
    return {
      schema: z
        .string()
        .trim()
        .regex(/^-?(\d+\.?\d*|\.\d+)$/, "must be a number")
        .transform(Number)
        .pipe(z.number().min(min).max(max)),
      allowed: `number ${min}..${max}`,
    };
  },
  bool(): Kind<boolean> {
    return {
      schema: z
        .string()
        .trim()
        .toLowerCase()
        .pipe(z.enum(["true", "false", "1", "0", "yes", "no"]))
        .transform((v) => v === "true" || v === "1" || v === "yes"),
      allowed: "true | false (also 1/0, yes/no)",
    };
  },
  oneOf<const T extends readonly [string, ...string[]]>(values: T): Kind<T[number]> {
    return { schema: z.enum(values) as unknown as z.ZodType<T[number]>, allowed: values.join(" | ") };
  },
  string(max = 4096): Kind<string> {
    return { schema: z.string().max(max), allowed: `text, at most ${max} characters` };
  },
  url(): Kind<string> {
    return {
      schema: z
        .string()
        .trim()
        .refine((v) => {
          try {
            const u = new URL(v);
            return u.protocol === "http:" || u.protocol === "https:";
          } catch {
            return false;
          }
        }, "must be an http(s) URL")
        .transform((v) => v.replace(/\/+$/, "")),
      allowed: "http(s) URL",
    };
  },
};

export function option<T>(kind: Kind<T>, spec: Omit<OptionSpec<NoInfer<T>>, "schema" | "allowed">): OptionSpec<T> {
  return { ...kind, ...spec };
}

/**
 * Parses `env` against `spec`. Unset and empty variables take the default. Every problem is
 * reported at once, each naming the variable, the value (unless secret) and what is allowed.
 */
export function parseOptions<S extends OptionsSpec>(
  spec: S,
  env: Record<string, string | undefined>,
): ParsedOptions<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, opt] of Object.entries(spec)) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") {
      out[name] = opt.default;
      continue;
    }
    const result = opt.schema.safeParse(raw);
    if (result.success) out[name] = result.data;
    else {
      const shown = opt.secret ? "(hidden)" : JSON.stringify(raw);
      problems.push(
        `${name}=${shown} is invalid: ${result.error.issues[0]?.message ?? "bad value"}; allowed: ${opt.allowed}`,
      );
    }
  }
  if (problems.length) throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  return out as ParsedOptions<S>;
}
