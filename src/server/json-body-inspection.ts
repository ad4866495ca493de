// Checks a parsed JSON body for what JSON.parse accepts but the service must not keep:
// - keys that pollute prototypes once the object is merged or copied by code that is not
//   careful: "__proto__" anywhere, and "constructor" holding a "prototype" (the rule of
//   secure-json-parse, which Fastify's own parser applies);
// - strings (values and keys) that are not valid Unicode: a lone surrogate written as an escape
//   ("\ud800"), which would be stored and then break every strict JSON reader of the session;
// - numbers too large for a double (1e400), which JSON.parse turns into Infinity, and which
//   validation could only describe as "a decimal that is not a decimal".
// The walk only runs when the raw text could contain any of them, so ordinary bodies cost three
// scans of the text for a few fixed substrings. Nesting is bounded before parsing
// (json-nesting.ts), so the walk and the paths it reports are bounded too.
import { apiError, type ApiError } from "../chat/chat-errors.js";
import { invalidUnicodeProblem } from "../chat/unicode-text.js";
import { shownKey } from "./json-nesting.js";
import { pathText } from "./validation-issue.js";

/** Prototype keys can be spelled with escapes ("\u005f_proto__"), so any \u00XX escape counts. */
const MAY_HAVE_FORBIDDEN_KEY = /__proto__|constructor|\\u00/;
/** A lone surrogate can only arrive as an escape: raw UTF-8 cannot encode one. */
const MAY_HAVE_SURROGATE = /\\u[dD][89a-fA-F]/;
/** A double overflows past 1.8e308: an exponent of three digits or more, or 309 digits in a row. */
const MAY_OVERFLOW = /[eE]\+?0*[1-9]\d{2}|\d{309}/;

interface Node {
  value: unknown;
  parent: number;
  key: string | number;
}

/** Throws a 400 naming the first forbidden key or invalid string found in `body`. */
export function inspectJsonBody(body: unknown, rawText: string): void {
  const keys = MAY_HAVE_FORBIDDEN_KEY.test(rawText);
  const text = MAY_HAVE_SURROGATE.test(rawText);
  const numbers = MAY_OVERFLOW.test(rawText);
  if (!keys && !text && !numbers) return;
  // An explicit stack (bodies may nest thousands deep), keeping parents to name the path.
  const nodes: Node[] = [{ value: body, parent: -1, key: "" }];
  const pathOf = (index: number, last?: string | number): (string | number)[] => {
    const path: (string | number)[] = last === undefined ? [] : [last];
    for (let i = index; i > 0; i = nodes[i]!.parent) path.push(nodes[i]!.key);
    return path.reverse();
  };
  const stack = [0];
  while (stack.length) {
    const index = stack.pop()!;
    const { value } = nodes[index]!;
    if (typeof value === "string") {
      const problem = text ? invalidUnicodeProblem(value) : null;
      if (problem) throw invalidText(pathOf(index), problem);
      continue;
    }
    if (typeof value === "number") {
      if (numbers && !Number.isFinite(value)) throw outOfRange(pathOf(index), value);
      continue;
    }
    if (typeof value !== "object" || value === null) continue;
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value);
    // Pushed in reverse, so the walk (and the first problem reported) follows document order.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      if (typeof key === "string") {
        if (
          keys &&
          (key === "__proto__" ||
            (key === "constructor" && typeof child === "object" && child !== null && Object.hasOwn(child, "prototype")))
        ) {
          throw forbiddenKey(key, pathOf(index, key));
        }
        const problem = text ? invalidUnicodeProblem(key) : null;
        if (problem) throw invalidText(pathOf(index), `has a key that is not valid Unicode: ${problem}`);
      }
      nodes.push({ value: child, parent: index, key });
      stack.push(nodes.length - 1);
    }
  }
}

function fieldOf(path: (string | number)[]): string {
  return path.length ? shownKey(String(path[0])) : "body";
}

/** The path as messages show it, every key cut to a readable length. */
function shownPath(path: (string | number)[]): string {
  return pathText(path.map((key) => (typeof key === "string" ? shownKey(key) : key)));
}

function outOfRange(path: (string | number)[], value: number): ApiError {
  const what = path.length ? shownPath(path) : "the body";
  return apiError("number_out_of_range", what, value, fieldOf(path));
}

function forbiddenKey(key: string, path: (string | number)[]): ApiError {
  return apiError("forbidden_key", key, shownPath(path), fieldOf(path));
}

function invalidText(path: (string | number)[], problem: string): ApiError {
  const what = path.length ? shownPath(path) : "the body";
  const message = problem.startsWith("has a key") ? `${what} ${problem}` : `${what} must be valid Unicode: ${problem}`;
  return apiError("invalid_unicode", message, fieldOf(path));
}
