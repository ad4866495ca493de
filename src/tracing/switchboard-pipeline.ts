import type { BatchExporter } from "./batch-exporter.js";
import type { FaultReporter } from "./fault-reporter.js";
import type { FieldSerializer } from "./field-serializer.js";
import { newSpanId } from "./ids.js";
import { encodeSpan, type SpanRecord } from "./otlp-span-encoder.js";
import { toIsoString } from "./otlp-time.js";
import type { TracingMetrics } from "./tracing-metrics.js";

/** Langfuse's attribute names, as its SDK writes them (see @langfuse/core LangfuseOtelSpanAttributes). */
export const A = {
  type: "langfuse.observation.type",
  input: "langfuse.observation.input",
  output: "langfuse.observation.output",
  metadata: "langfuse.observation.metadata",
  level: "langfuse.observation.level",
  statusMessage: "langfuse.observation.status_message",
  model: "langfuse.observation.model.name",
  usage: "langfuse.observation.usage_details",
  completionStart: "langfuse.observation.completion_start_time",
  traceName: "langfuse.trace.name",
  traceTags: "langfuse.trace.tags",
  traceInput: "langfuse.trace.input",
  traceOutput: "langfuse.trace.output",
  traceMetadata: "langfuse.trace.metadata",
  userId: "user.id",
  sessionId: "session.id",
  environment: "langfuse.environment",
  release: "langfuse.release",
} as const;


export interface GenerationEmit {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  startMs: number;
  endMs: number;
  model: string | undefined;
  input: unknown;
  output: unknown;
  usage: { input: number; output: number; total: number } | undefined;
  completionStartMs: number | undefined;
  error?: string;
}

export interface SwitchboardPipelineOptions {
  exporter: BatchExporter;
  serializer: FieldSerializer;
  metrics: TracingMetrics;
  faults: FaultReporter;
  /** Langfuse environment written on every observation, when set. */
  environment?: string;
  /** Release written on every observation, when set. */
  release?: string;
}

/**
 * Where finished observations go: each is encoded once, with the configured caps, and handed to
 * the exporter. A failure here is isolated: counted, logged once, and the span is dropped.
 */
export class SwitchboardPipeline {
  readonly serializer: FieldSerializer;
  readonly metrics: TracingMetrics;
  readonly faults: FaultReporter;
  readonly #exporter: BatchExporter;
  readonly #environment: string | undefined;
  readonly #release: string | undefined;

  constructor(options: SwitchboardPipelineOptions) {
    this.#exporter = options.exporter;
    this.serializer = options.serializer;
    this.metrics = options.metrics;
    this.faults = options.faults;
    this.#environment = options.environment;
    this.#release = options.release;
  }

  newSpanId(): string {
    return newSpanId();
  }

  emitSpan(span: SpanRecord): void {
    try {
      const attributes = span.attributes;
      if (this.#environment) attributes[A.environment] = this.#environment;
      if (this.#release) attributes[A.release] = this.#release;
      this.#exporter.push(encodeSpan(span));
    } catch (err) {
      this.faults.report("encode", err);
      this.metrics.spansDropped.inc({ reason: "encode_failed" });
    }
  }

  emitGeneration(gen: GenerationEmit): void {
    const s = this.serializer;
    this.emitSpan({
      traceId: gen.traceId,
      spanId: gen.spanId,
      parentSpanId: gen.parentSpanId,
      name: gen.name,
      startMs: gen.startMs,
      endMs: gen.endMs,
      attributes: {
        [A.type]: "generation",
        [A.model]: gen.model,
        [A.input]: s.io(gen.input),
        [A.output]: s.io(gen.output),
        [A.usage]: gen.usage ? `{"input":${gen.usage.input},"output":${gen.usage.output},"total":${gen.usage.total}}` : undefined,
        [A.completionStart]: gen.completionStartMs === undefined ? undefined : JSON.stringify(toIsoString(gen.completionStartMs)),
        [A.level]: gen.error === undefined ? undefined : "ERROR",
        [A.statusMessage]: gen.error === undefined ? undefined : s.value(gen.error),
      },
      errorMessage: gen.error,
    });
  }
}
