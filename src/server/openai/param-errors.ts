// Turns a zod validation issue into the 400 OpenAI answers for the same mistake: its message
// wording ("Invalid type for 'top_p': expected a decimal, but got a string instead."), its codes
// (invalid_type, decimal_below_min_value, ...) and `param` in its notation (`messages[2].role`).
// Clients and people who know OpenAI's errors read ours the same way.
import { z } from "zod";
import { apiError, type ApiError } from "../../chat/chat-errors.js";

type Path = readonly PropertyKey[];

/**
 * The message of every issue an integer parameter raises, so its errors say "integer" as
 * OpenAI's do: zod reports a string given to z.int() as "expected number" and its bounds as
 * numbers, with nothing else telling integers from decimals.
 */
const INTEGER_ISSUE = "switchboard:integer";

/** An integer parameter (max_tokens, n, seed, ...), optionally bounded. */
export function integer(min?: number, max?: number) {
  let schema = z.int({ error: INTEGER_ISSUE });
  if (min !== undefined) schema = schema.min(min, { error: INTEGER_ISSUE });
  if (max !== undefined) schema = schema.max(max, { error: INTEGER_ISSUE });
  return schema;
}

/** `["messages", 2, "role"]` -> `messages[2].role`. */
export function paramOf(path: Path): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  return out || "body";
}

function valueAt(body: unknown, path: Path): unknown {
  let value = body;
  for (const key of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** How OpenAI names a JSON value's type. */
function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a decimal";
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "a boolean";
  return "an object";
}

const EXPECTED: Record<string, string> = {
  number: "a decimal",
  int: "an integer",
  string: "a string",
  boolean: "a boolean",
  array: "an array",
  object: "an object",
};

function shown(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function listOf(values: readonly unknown[]): string {
  const quoted = values.map((v) => `'${shown(v)}'`);
  return quoted.length <= 2 ? quoted.join(" and ") : `${quoted.slice(0, -1).join(", ")}, and ${quoted.at(-1)}`;
}

function bound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, value: unknown, param: string): ApiError {
  const small = issue.code === "too_small";
  const limit = small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum;
  const op = small ? (issue.inclusive === false ? ">" : ">=") : issue.inclusive === false ? "<" : "<=";
  const dir = small ? "below" : "above";
  if (issue.origin === "string" && typeof value === "string") {
    const code = small ? "string_below_min_length" : "string_above_max_length";
    return apiError(
      code,
      `Invalid '${param}': string too ${small ? "short" : "long"}. Expected a string with ${small ? "minimum" : "maximum"} length ${limit}, but got a string with length ${value.length} instead.`,
      param,
    );
  }
  if (issue.origin === "array" && Array.isArray(value)) {
    if (small && value.length === 0)
      return apiError(
        "empty_array",
        `Invalid '${param}': empty array. Expected an array with minimum length ${limit}, but got an empty array instead.`,
        param,
      );
    const code = small ? "array_below_min_length" : "array_above_max_length";
    return apiError(
      code,
      `Invalid '${param}': array too ${small ? "short" : "long"}. Expected an array with ${small ? "minimum" : "maximum"} length ${limit}, but got an array with length ${value.length} instead.`,
      param,
    );
  }
  const kind = issue.message === INTEGER_ISSUE ? "integer" : "decimal";
  // Below the minimum or above the maximum: OpenAI's four codes of a number out of bounds.
  const code = small ? (`${kind}_below_min_value` as const) : (`${kind}_above_max_value` as const);
  return apiError(
    code,
    `Invalid '${param}': ${kind} ${dir} ${small ? "minimum" : "maximum"} value. Expected a value ${op} ${String(limit)}, but got ${shown(value)} instead.`,
    param,
  );
}

/**
 * Of a union's failed branches, the one meant for the value's type (an array given where
 * "a string or an array of strings" is expected is judged as an array), else none.
 */
function branchFor(issue: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue[] | undefined {
  return issue.errors.find((branch) => !branch.some((i) => i.code === "invalid_type" && i.path.length === 0));
}

function expectedOfUnion(issue: z.core.$ZodIssueInvalidUnion): string {
  const names = issue.errors.flatMap((branch) =>
    branch
      .filter((i) => i.code === "invalid_type" && i.path.length === 0)
      .map((i) => EXPECTED[(i as z.core.$ZodIssueInvalidType).expected] ?? (i as z.core.$ZodIssueInvalidType).expected),
  );
  const unique = [...new Set(names)];
  return unique.length ? unique.join(" or ") : "another value";
}

/** The ApiError (400, OpenAI's wording and code) for one issue found validating `body`. */
export function paramError(issue: z.core.$ZodIssue, body: unknown, prefix: Path = []): ApiError {
  const path = [...prefix, ...issue.path];
  const param = paramOf(path);
  const value = valueAt(body, path);
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return apiError("missing_required_parameter", param);
      return apiError(
        "invalid_type",
        `Invalid type for '${param}': expected ${issue.message === INTEGER_ISSUE ? "an integer" : (EXPECTED[issue.expected] ?? issue.expected)}, but got ${typeName(value)} instead.`,
        param,
      );
    case "too_small":
    case "too_big":
      return bound(issue, value, param);
    case "invalid_value":
      return apiError(
        "invalid_value",
        `Invalid value: '${shown(value)}'. Supported values are: ${listOf(issue.values)}.`,
        param,
      );
    case "invalid_union": {
      const branch = branchFor(issue);
      if (branch?.[0]) return paramError(branch[0], body, path);
      if (value === undefined) return apiError("missing_required_parameter", param);
      return apiError(
        "invalid_type",
        `Invalid type for '${param}': expected ${expectedOfUnion(issue)}, but got ${typeName(value)} instead.`,
        param,
      );
    }
    default:
      return apiError("invalid_value", `Invalid '${param}': ${issue.message}`, param);
  }
}

/** Parses `body` with `schema`, throwing the OpenAI-style 400 of its first issue. */
export function parseParams<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw apiError("invalid_body", "The request body must be a JSON object.");
  }
  const result = schema.safeParse(body);
  if (!result.success) throw paramError(result.error.issues[0]!, body);
  return result.data;
}
