import type { TraceExporter } from "./export/trace-exporter.js";
import type { FaultReporter } from "./fault-reporter.js";
import type { FieldSerializer } from "./field-serializer.js";
import type { Encoded, SpanFormat, SpanRecord } from "./encoding/span-format.js";
import type { TracingMetrics } from "./tracing-metrics.js";

export interface SwitchboardPipelineOptions {
  exporter: TraceExporter;
  /** The wire format spans are encoded in, once, when they end. */
  format: SpanFormat<string> | SpanFormat<Uint8Array>;
  serializer: FieldSerializer;
  /** Largest encoded span, UTF-8 bytes (a batch's byte cap less its envelope): larger ones are cut to fit. */
  maxSpanBytes: number;
  metrics: TracingMetrics;
  faults: FaultReporter;
  /** Langfuse environment written on every observation, when set. */
  environment?: string;
  /** Release written on every observation, when set. */
  release?: string;
  /** The application's version, written on every observation (`langfuse.version`). */
  version?: string;
  /** Also write the turn's input/output as `langfuse.trace.input/output` (self-hosted Langfuse v3). */
  legacyTraceIo: boolean;
}

/**
 * Where finished observations go: each is encoded once, with the configured caps, and handed to
 * the exporter. A failure here is isolated: counted, logged once, and the span is dropped.
 */
export class SwitchboardPipeline {
  readonly serializer: FieldSerializer;
  readonly metrics: TracingMetrics;
  readonly faults: FaultReporter;
  readonly environment: string | undefined;
  readonly release: string | undefined;
  readonly version: string | undefined;
  readonly legacyTraceIo: boolean;
  readonly format: SpanFormat<Encoded>;
  readonly #exporter: TraceExporter;
  readonly #maxSpanBytes: number;

  constructor(options: SwitchboardPipelineOptions) {
    this.#exporter = options.exporter;
    this.format = options.format as SpanFormat<Encoded>;
    this.serializer = options.serializer;
    this.metrics = options.metrics;
    this.faults = options.faults;
    this.environment = options.environment;
    this.release = options.release;
    this.version = options.version;
    this.legacyTraceIo = options.legacyTraceIo;
    this.#maxSpanBytes = options.maxSpanBytes;
  }

  emitSpan(span: SpanRecord): void {
    try {
      let encoded = this.format.encodeSpan(span);
      // sizeOf is exact for bytes, and for text at most a third of the UTF-8 size: only spans that might not fit are measured.
      if (this.format.sizeOf(encoded) * (typeof encoded === "string" ? 3 : 1) > this.#maxSpanBytes) encoded = this.#fit(span, encoded);
      this.#exporter.push(encoded);
    } catch (err) {
      this.faults.report("encode", err);
      this.metrics.spansDropped.inc({ reason: "encode_failed" });
    }
  }

  /**
   * One span larger than a batch may be: its longest string attributes are cut, with the
   * truncation marker, until it fits. Langfuse then stores it, cut, instead of rejecting the
   * request that carries it (413).
   */
  #fit(span: SpanRecord, encoded: Encoded): Encoded {
    for (let round = 0; round < 4; round++) {
      const excess = this.format.byteLength(encoded) - this.#maxSpanBytes;
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
      span.attributes[longestKey] = this.serializer.cut(span.attributes[longestKey] as string, Math.max(0, longest - excess - 256));
      encoded = this.format.encodeSpan(span);
      this.metrics.spansCut.inc();
    }
    return encoded;
  }
}
