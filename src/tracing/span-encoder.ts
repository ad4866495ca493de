import type { Encoded, SpanFormat, SpanRecord } from "./encoding/span-format.js";
import { FieldSerializer } from "./field-serializer.js";
import { createMasker } from "./masking/create-masker.js";
import { QuotedStrings } from "./quoted-strings.js";
import type { SpanFacts, TurnFacts } from "./span-facts.js";
import {
  generationAttributes,
  nodeAttributes,
  rootAttributes,
  routingAttributes,
  traceContextAttributes,
  TRACE_NAME,
  type Attributes,
} from "./trace-contract.js";

export interface SpanEncoderOptions {
  /** The wire format spans are encoded in, once. */
  format: SpanFormat<string> | SpanFormat<Uint8Array>;
  /** Caps, masks and LANGFUSE_CAPTURE_IO applied to every value. */
  serializer: FieldSerializer;
  /** Largest encoded span, UTF-8 bytes (a batch's byte cap less its envelope): larger ones are cut to fit. */
  maxSpanBytes: number;
  /** Langfuse environment written on every observation, when set. */
  environment?: string;
  /** Release written on every observation, when set. */
  release?: string;
  /** The application's version, written on every observation (`langfuse.version`). */
  version?: string;
  /** Also write the turn's input/output as `langfuse.trace.input/output` (self-hosted Langfuse v3). */
  legacyTraceIo: boolean;
  /** Called once per span cut to fit. */
  onCut?: () => void;
}

/** SpanEncoderOptions as plain data (what the export worker is started with). */
export interface EncodingSettings {
  /** LANGFUSE_MAX_FIELD_CHARS. */
  maxFieldChars: number;
  /** LANGFUSE_CAPTURE_IO. */
  captureIo: boolean;
  /** LANGFUSE_MASK and LANGFUSE_MASK_PATTERNS, as configured. */
  mask: string;
  maskPatterns: string | undefined;
  maxSpanBytes: number;
  environment?: string;
  release?: string;
  version?: string;
  legacyTraceIo: boolean;
}

/** The encoder the settings describe, writing `format`. */
export function spanEncoderFor(
  settings: EncodingSettings,
  format: SpanFormat<string> | SpanFormat<Uint8Array>,
  onCut?: () => void,
): SpanEncoder {
  return new SpanEncoder({
    format,
    serializer: new FieldSerializer({
      maxChars: settings.maxFieldChars,
      captureIo: settings.captureIo,
      mask: createMasker(settings.mask, settings.maskPatterns),
    }),
    maxSpanBytes: settings.maxSpanBytes,
    environment: settings.environment,
    release: settings.release,
    version: settings.version,
    legacyTraceIo: settings.legacyTraceIo,
    onCut,
  });
}

/** What is encoded once per turn and shared by its spans. */
interface TurnCache {
  context: Encoded;
  routingKey: string;
  routing: Encoded | undefined;
  quotes: QuotedStrings;
}

/** Turns remembered at once; a turn whose root never ends is forgotten in order of arrival. */
const MAX_TURNS_CACHED = 4096;

/**
 * From facts to the wire: Langfuse's attributes as the trace contract says (trace-contract.ts),
 * every value capped and masked, encoded once in the configured format. The turn's trace context
 * and routing are encoded once per turn and joined into each of its spans; the turn's strings
 * are quoted once however many observations they go into. Runs in the export worker (or in the
 * caller's thread with LANGFUSE_EXPORT_THREAD=main).
 */
export class SpanEncoder {
  readonly #o: SpanEncoderOptions;
  readonly #format: SpanFormat<Encoded>;
  readonly #turns = new Map<string, TurnCache>();

  constructor(options: SpanEncoderOptions) {
    this.#o = options;
    this.#format = options.format as SpanFormat<Encoded>;
  }

  encode(facts: SpanFacts): Encoded {
    const s = this.#o.serializer;
    const turn = this.#turnOf(facts.turn);
    const routingKey = facts.routing ? `${facts.routing.intent ?? ""}\u0000${facts.routing.agent ?? ""}` : "";
    if (routingKey !== turn.routingKey) {
      turn.routingKey = routingKey;
      turn.routing = facts.routing
        ? this.#format.encodeAttributes(routingAttributes(facts.routing.intent, facts.routing.agent))
        : undefined;
    }
    let attributes: Attributes;
    let parentSpanId: string | undefined;
    switch (facts.kind) {
      case "root":
        attributes = rootAttributes(s, facts, this.#o.legacyTraceIo);
        // The root ends last: the turn's cache is not needed any more.
        this.#turns.delete(facts.turn.traceId);
        break;
      case "node":
        attributes = nodeAttributes(s, facts);
        parentSpanId = facts.parentId;
        break;
      case "generation":
        attributes = generationAttributes(s, facts, turn.quotes);
        parentSpanId = facts.parentId;
        break;
    }
    const record: SpanRecord<Encoded> = {
      traceId: facts.turn.traceId,
      spanId: facts.spanId,
      parentSpanId,
      name: facts.kind === "root" ? TRACE_NAME : facts.name,
      startMs: facts.startMs,
      endMs: facts.endMs,
      shared: turn.routing === undefined ? [turn.context] : [turn.context, turn.routing],
      attributes,
      errorMessage: facts.outcome.level === "ERROR" ? s.valueText(facts.outcome.message) : undefined,
    };
    const encoded = this.#format.encodeSpan(record);
    // sizeOf is exact for bytes, and for text at most a third of the UTF-8 size: only spans that might not fit are measured.
    return this.#format.sizeOf(encoded) * (typeof encoded === "string" ? 3 : 1) > this.#o.maxSpanBytes
      ? this.#fit(record, encoded)
      : encoded;
  }

  #turnOf(turn: TurnFacts): TurnCache {
    let cached = this.#turns.get(turn.traceId);
    if (!cached) {
      if (this.#turns.size >= MAX_TURNS_CACHED) this.#turns.delete(this.#turns.keys().next().value!);
      cached = {
        context: this.#format.encodeAttributes(
          traceContextAttributes({
            userId: turn.userId,
            sessionId: turn.sessionId,
            tags: [`endpoint:${turn.endpoint}`],
            metadata: { tenant: turn.tenant },
            environment: this.#o.environment,
            release: this.#o.release,
            version: this.#o.version,
          }),
        ),
        routingKey: "",
        routing: undefined,
        quotes: new QuotedStrings(),
      };
      this.#turns.set(turn.traceId, cached);
    }
    return cached;
  }

  /**
   * One span larger than a batch may be: its longest string attributes are cut, with the
   * truncation marker, until it fits. Langfuse then stores it, cut, instead of rejecting the
   * request that carries it (413).
   */
  #fit(span: SpanRecord<Encoded>, encoded: Encoded): Encoded {
    for (let round = 0; round < 4; round++) {
      const excess = this.#format.byteLength(encoded) - this.#o.maxSpanBytes;
      if (excess <= 0) return encoded;
      let longestKey: string | undefined;
      let longest = 0;
      for (const key in span.attributes) {
        const value = span.attributes[key];
        if (typeof value === "string" && value.length > longest) {
          longest = value.length;
          longestKey = key;
        }
      }
      if (longestKey === undefined) break;
      // Each character cut removes at least one encoded byte; the margin covers the marker.
      span.attributes[longestKey] = this.#o.serializer.cut(
        span.attributes[longestKey] as string,
        Math.max(0, longest - excess - 256),
      );
      encoded = this.#format.encodeSpan(span);
      this.#o.onCut?.();
    }
    return encoded;
  }
}
