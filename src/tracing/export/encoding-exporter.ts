import type { FaultReporter } from "../fault-reporter.js";
import type { SpanEncoder } from "../span-encoder.js";
import type { SpanFacts } from "../span-facts.js";
import type { DeliveryMetrics } from "./delivery-metrics.js";
import type { SpanExporter } from "./span-exporter.js";
import type { TraceExporter } from "./trace-exporter.js";

/**
 * Facts in, batches out: each observation is encoded once and handed to the span exporter. What
 * the export worker runs, and what the service runs in its own thread with
 * LANGFUSE_EXPORT_THREAD=main. A span that cannot be encoded is dropped, counted and logged once;
 * the others go on.
 */
export class EncodingExporter implements TraceExporter {
  constructor(
    private readonly encoder: SpanEncoder,
    readonly spans: SpanExporter,
    private readonly metrics: DeliveryMetrics,
    private readonly faults: FaultReporter,
  ) {}

  push(span: SpanFacts): void {
    try {
      this.spans.push(this.encoder.encode(span));
    } catch (err) {
      this.faults.report("encode", err);
      this.metrics.spansDropped.inc({ reason: "encode_failed" });
    }
  }

  forceFlush(timeoutMs: number): Promise<void> {
    return this.spans.forceFlush(timeoutMs);
  }

  shutdown(timeoutMs: number): Promise<void> {
    return this.spans.shutdown(timeoutMs);
  }
}
