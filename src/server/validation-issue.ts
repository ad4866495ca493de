// Turns the first problem zod finds in a request body into the API's 400: the field, and what is
// wrong with the value that was sent ("stream must be a boolean, not a string"). Zod 4 only puts
// the offending input on an issue when asked to, so the value is looked up in the body itself:
// "is required" is said only of a value that is really absent.
import type { z } from "zod";
import { apiError, type ApiError } from "../chat/chat-errors.js";

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

/** messages[0].content, user_id, ... */
export function pathText(path: readonly PathKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out || "body";
}

function valueAt(body: unknown, path: readonly PathKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** "a string", "an array", "null", as the value sent is described. */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" || type === "undefined" ? `an ${type}` : `a ${type}`;
}

function expectedKind(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** The messages zod writes itself; anything else on an issue was written by a schema's author. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized)/;

/** What is wrong with the value at the issue's path, phrased to follow the path. */
function problem(issue: Issue, body: unknown, path: readonly PathKey[]): { path: readonly PathKey[]; text: string } {
  const value = valueAt(body, path);
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return { path, text: "is required" };
      return { path, text: `must be ${expectedKind(issue.expected)}, not ${kindOf(value)}` };
    case "invalid_union": {
      if (value === undefined) return { path, text: "is required" };
      // A branch whose type matched but failed deeper explains the problem best.
      const deeper = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
      if (deeper) return problem(deeper[0]!, body, [...path, ...deeper[0]!.path]);
      // So does one whose type matched and failed a check of the value itself (too long, empty).
      const checked = issue.errors.find(
        (branch) => branch.length > 0 && branch.every((i) => i.code !== "invalid_type" && i.code !== "invalid_union"),
      );
      if (checked) return problem(checked[0]!, body, [...path, ...checked[0]!.path]);
      const expected = issue.errors.flatMap((branch) =>
        branch
          .filter((i) => i.code === "invalid_type" && i.path.length === 0)
          .map((i) => expectedKind((i as { expected: string }).expected)),
      );
      if (expected.length)
        return { path, text: `must be ${[...new Set(expected)].join(" or ")}, not ${kindOf(value)}` };
      return { path, text: "is not valid" };
    }
    case "invalid_value":
      return { path, text: `must be ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}` };
    case "unrecognized_keys":
      return { path, text: `has keys that are not allowed: ${issue.keys.join(", ")}` };
    case "too_small":
    case "too_big":
      if (!ZOD_DEFAULT.test(issue.message)) return { path, text: issue.message };
      if (issue.origin === "array")
        return {
          path,
          text: `must have ${issue.code === "too_small" ? "at least" : "at most"} ${String(issue.code === "too_small" ? issue.minimum : issue.maximum)} items`,
        };
      if (issue.origin === "string") {
        if (issue.code === "too_small") return { path, text: "must not be empty" };
        return {
          path,
          text: `is too long: ${typeof value === "string" ? value.length : "?"} characters, at most ${String(issue.maximum)}`,
        };
      }
      return { path, text: issue.message };
    default:
      return { path, text: issue.message };
  }
}

/** The 400 for the first issue of a failed parse of `body`; `field` is the top-level field. */
export function invalidRequest(issue: Issue, body: unknown): ApiError {
  const { path, text } = problem(issue, body, issue.path);
  return apiError("invalid_request", `${pathText(path)} ${text}`, path.length ? String(path[0]) : "body");
}
