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
  /**
   * The field of a package's options this variable sets, for options objects built from the
   * configuration without a line per variable (src/config.ts: the tracing package's).
   */
  feeds?: string;
  /** The factor from the variable's unit to the field's (1000: seconds to milliseconds). */
  scale?: number;
  /**
   * Former names of the variable, still read: deprecated (a warning at start-up, see
   * `formerNamesIn`), and an error when one is set to another value than the variable.
   */
  formerNames?: readonly string[];
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

const isSet = (raw: string | undefined): raw is string => raw !== undefined && raw.trim() !== "";

/**
 * Parses `env` against `spec`. Unset and empty variables take the default; a variable's former
 * name is read when the variable is not set. Every problem is reported at once, each naming the
 * variable, the value (unless secret) and what is allowed.
 */
export function parseOptions<S extends OptionsSpec>(
  spec: S,
  env: Record<string, string | undefined>,
): ParsedOptions<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, opt] of Object.entries(spec)) {
    const given = [name, ...(opt.formerNames ?? [])].filter((n) => isSet(env[n]));
    if (given.length === 0) {
      out[name] = opt.default;
      continue;
    }
    const shown = (n: string) => `${n}=${opt.secret ? "(hidden)" : JSON.stringify(env[n])}`;
    const values: unknown[] = [];
    for (const n of given) {
      const result = opt.schema.safeParse(env[n]);
      if (result.success) values.push(result.data);
      else
        problems.push(
          `${shown(n)} is invalid: ${result.error.issues[0]?.message ?? "bad value"}; allowed: ${opt.allowed}`,
        );
    }
    if (values.length < given.length) continue;
    if (values.some((v) => !Object.is(v, values[0]))) {
      problems.push(
        `${given.map(shown).join(" and ")} are both set, to different values: ${given.filter((n) => n !== name).join(", ")} is the deprecated former name of ${name}; set ${name} only`,
      );
      continue;
    }
    out[name] = values[0];
  }
  if (problems.length) throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  return out as ParsedOptions<S>;
}

/** The deprecated former names `env` sets, each with the variable that replaces it. */
export function formerNamesIn(
  spec: OptionsSpec,
  env: Record<string, string | undefined>,
): { formerName: string; name: string }[] {
  return Object.entries(spec).flatMap(([name, opt]) =>
    (opt.formerNames ?? []).filter((n) => isSet(env[n])).map((formerName) => ({ formerName, name })),
  );
}
