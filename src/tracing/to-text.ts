/** A value as text: strings as they are, anything else as JSON (never throws). */
export function toText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return safeStringify(value);
  }
}

/** The slow path for values plain JSON.stringify rejects (BigInt, cycles, throwing getters). */
function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "bigint") return v.toString();
      if (typeof v === "object" && v !== null) {
        if (seen.has(v)) return "[Circular]";
        seen.add(v);
      }
      return v;
    });
  } catch (err) {
    return `"[unserializable: ${err instanceof Error ? err.message : "unknown error"}]"`;
  }
}

/**
 * A value JSON can take as it is, or undefined: what structured truncation works on. `text`:
 * `toText(value)`, when the caller has it already.
 */
export function toJsonValue(value: unknown, text = toText(value)): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Nesting deeper than this is not looked into: such a value goes the way of its JSON text. */
const MAX_PLAIN_DEPTH = 32;

/**
 * How many characters `value`'s JSON has at least, when `value` is plain JSON data already:
 * strings, finite numbers, booleans, null, and arrays and plain objects of them, nested at most
 * MAX_PLAIN_DEPTH deep. Such a value reads as its own JSON.parse(JSON.stringify()) does, so it
 * can be cut as it is, without its JSON made and parsed again. Undefined for anything else
 * (class instances, toJSON, undefined, holes, cycles), which toJsonValue makes plain.
 */
export function plainJsonMinChars(value: unknown, depth = 0): number | undefined {
  switch (typeof value) {
    case "string":
      return value.length + 2;
    case "number":
      return Number.isFinite(value) ? 1 : undefined;
    case "boolean":
      return 4;
    case "object":
      break;
    default:
      return undefined;
  }
  if (value === null) return 4;
  if (depth >= MAX_PLAIN_DEPTH) return undefined;
  const proto: unknown = Object.getPrototypeOf(value);
  let chars = 2;
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) return undefined;
    for (let i = 0; i < value.length; i++) {
      const n = plainJsonMinChars(value[i], depth + 1);
      if (n === undefined) return undefined;
      chars += n + (i > 0 ? 1 : 0);
    }
    return chars;
  }
  if (proto !== Object.prototype && proto !== null) return undefined;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const n = plainJsonMinChars(record[key], depth + 1);
    if (n === undefined) return undefined;
    chars += key.length + 3 + n + (chars > 2 ? 1 : 0);
  }
  return chars;
}

/**
 * toJsonValue(value) without the copy when it would equal `value`: plain data other than a string
 * (a string is read as the JSON it may hold) is taken as it is.
 */
export function asJsonValue(value: unknown): unknown {
  return typeof value !== "string" && plainJsonMinChars(value) !== undefined ? value : toJsonValue(value);
}
