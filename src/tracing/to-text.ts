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

/** A value JSON can take as it is, or undefined: what structured truncation works on. */
export function toJsonValue(value: unknown): unknown {
  try {
    return JSON.parse(toText(value)) as unknown;
  } catch {
    return toText(value);
  }
}
