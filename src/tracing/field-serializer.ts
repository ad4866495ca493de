/** How trace fields (input, output, metadata values) become attribute strings. */
export interface FieldSerializerOptions {
  /** Longer serialized values are cut to this many characters, with a marker. */
  maxChars: number;
  /** false: inputs and outputs are replaced by their size. */
  captureIo: boolean;
  /** Replaces personal data (LANGFUSE_MASK) in every captured value before it leaves the process. */
  mask?: (s: string) => string;
}

const TRUNCATION_MARKER = "…[truncated by switchboard: ";
// Masking looks this far past the cap, so a value straddling the cut is masked whole before it
// is cut, while a huge field does not cost a regex pass over all of it.
const MASK_LOOKAHEAD = 256;

/**
 * Serializes one field value once, safely and with a size cap. Strings are used as they are;
 * anything else is JSON, and values JSON cannot take (BigInt, cycles, throwing getters) degrade
 * to a readable placeholder instead of throwing.
 */
export class FieldSerializer {
  constructor(private readonly options: FieldSerializerOptions) {}

  /** Inputs and outputs: subject to LANGFUSE_CAPTURE_IO. */
  io(value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    const text = toText(value);
    if (!this.options.captureIo) return `{"captured":false,"chars":${text.length}}`;
    return this.#cap(text);
  }

  /**
   * An input or output already serialized (JSON text or a plain string): subject to
   * LANGFUSE_CAPTURE_IO, capped, masked. `chars` is its length before clipForField, when clipped.
   */
  ioText(text: string | undefined, chars = text?.length ?? 0): string | undefined {
    if (text === undefined) return undefined;
    if (!this.options.captureIo) return `{"captured":false,"chars":${chars}}`;
    return this.#cap(text, chars);
  }

  /** A small field already as text (node input, metadata value, status message): capped and masked, always captured. */
  valueText(text: string | undefined): string | undefined {
    return text === undefined ? undefined : this.#cap(text);
  }

  /** Metadata values and other small fields: always captured, still capped. */
  value(value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    return this.#cap(toText(value));
  }

  /** Keeps the first `keep` characters of an already serialized value, with the truncation marker. */
  cut(text: string, keep: number): string {
    return `${text.slice(0, keep)}${TRUNCATION_MARKER}${text.length} chars]`;
  }

  #cap(text: string, chars = text.length): string {
    const max = this.options.maxChars;
    const mask = this.options.mask;
    if (text.length <= max) return mask ? mask(text) : text;
    const head = mask ? mask(text.slice(0, max + MASK_LOOKAHEAD)) : text;
    return `${head.slice(0, max)}${TRUNCATION_MARKER}${chars} chars]`;
  }
}

/**
 * The part of a text the field cap can keep, taken where the text is recorded: what lies past
 * the cap and the masking lookahead is never read again, so a 1 MB message costs a slice (and
 * the export worker gets a copy of 20 KB, not 1 MB). The cut itself, with its marker, is made
 * after masking, by the serializer.
 */
export function clipForField(text: string, maxChars: number): string {
  const keep = maxChars + MASK_LOOKAHEAD;
  return text.length <= keep ? text : text.slice(0, keep);
}

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

/** The slow path for values plain JSON.stringify rejects. */
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
