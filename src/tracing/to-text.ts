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
const MAX_DATA_DEPTH = 32;

/** `value` as plain JSON data (see jsonData), and how many characters its JSON has at least. */
export interface JsonData {
  value: unknown;
  minChars: number;
}

/** Thrown inside jsonData's walk where only the JSON text can say what JSON makes of a value. */
const TEXT_ONLY = new Error("taken through its JSON text");
/** What JSON.stringify leaves out of an object (and writes as null in an array). */
const LEFT_OUT = Symbol("left out");

/**
 * `value` (an object or array) as JSON.parse(JSON.stringify(value)) gives it, without making its
 * JSON: toJSON called as JSON.stringify calls it, undefined, functions and symbols left out of
 * objects and null in arrays, numbers that are not finite null. What is plain already is not
 * copied (an object's own enumerable keys are all JSON reads of it, whatever its class); strings
 * never are. Undefined where only the JSON text can tell (a bigint, a boxed primitive, a cycle or
 * nesting past MAX_DATA_DEPTH, a toJSON or getter that throws): toJsonValue is then the way.
 */
export function jsonData(value: object): JsonData | undefined {
  const size = { chars: 0 };
  try {
    const data = dataOf(value, "", 0, size);
    return data === LEFT_OUT ? undefined : { value: data, minChars: size.chars };
  } catch {
    // TEXT_ONLY, or a toJSON or getter that threw: toText says what JSON makes of it.
    return undefined;
  }
}

function dataOf(value: unknown, key: string, depth: number, size: { chars: number }): unknown {
  if ((typeof value === "object" && value !== null) || typeof value === "bigint") {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") value = (toJSON as (key: string) => unknown).call(value, key);
  }
  switch (typeof value) {
    case "string":
      size.chars += value.length + 2;
      return value;
    case "number":
      size.chars += 1;
      return Number.isFinite(value) ? value : null;
    case "boolean":
      size.chars += 4;
      return value;
    case "object":
      break;
    case "bigint":
      throw TEXT_ONLY;
    default:
      return LEFT_OUT;
  }
  if (value === null) {
    size.chars += 4;
    return null;
  }
  if (depth >= MAX_DATA_DEPTH) throw TEXT_ONLY;
  if (value instanceof Number || value instanceof String || value instanceof Boolean || value instanceof BigInt)
    throw TEXT_ONLY;
  if (Array.isArray(value)) {
    const items = new Array<unknown>(value.length);
    let changed = false;
    size.chars += 2 + Math.max(0, value.length - 1);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      let data = dataOf(item, String(i), depth + 1, size);
      if (data === LEFT_OUT) {
        data = null;
        size.chars += 4;
      }
      items[i] = data;
      if (data !== item) changed = true;
    }
    return changed ? items : value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const values = new Array<unknown>(keys.length);
  let changed = false;
  size.chars += 2;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = record[key];
    const data = dataOf(item, key, depth + 1, size);
    if (data !== LEFT_OUT) size.chars += key.length + 3;
    values[i] = data;
    if (data !== item) changed = true;
  }
  if (!changed) return value;
  // As JSON.parse makes it: each key its own property ("__proto__" too), in the same order.
  const copy = Object.create(null) as Record<string, unknown>;
  for (let i = 0; i < keys.length; i++) if (values[i] !== LEFT_OUT) copy[keys[i]!] = values[i];
  return copy;
}

/**
 * toJsonValue(value) without the round trip through JSON text when jsonData can give it: an
 * object or array is taken as its data, anything else as toJsonValue takes it (a string is read
 * as the JSON it may hold).
 */
export function asJsonValue(value: unknown): unknown {
  const data = typeof value === "object" && value !== null ? jsonData(value) : undefined;
  return data ? data.value : toJsonValue(value);
}
