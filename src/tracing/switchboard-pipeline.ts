import type { BatchExporter } from "./batch-exporter.js";
import type { FaultReporter } from "./fault-reporter.js";
import type { FieldSerializer } from "./field-serializer.js";
import { encodeSpan, type SpanRecord } from "./otlp-span-encoder.js";
import type { TracingMetrics } from "./tracing-metrics.js";

export interface SwitchboardPipelineOptions {
  exporter: BatchExporter;
  serializer: FieldSerializer;
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
  readonly #exporter: BatchExporter;

  constructor(options: SwitchboardPipelineOptions) {
    this.#exporter = options.exporter;
    this.serializer = options.serializer;
    this.metrics = options.metrics;
    this.faults = options.faults;
    this.environment = options.environment;
    this.release = options.release;
    this.version = options.version;
    this.legacyTraceIo = options.legacyTraceIo;
  }

  emitSpan(span: SpanRecord): void {
    try {
      this.#exporter.push(encodeSpan(span));
    } catch (err) {
      this.faults.report("encode", err);
      this.metrics.spansDropped.inc({ reason: "encode_failed" });
    }
  }
}
