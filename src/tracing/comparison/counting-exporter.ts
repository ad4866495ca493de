import { LANGFUSE_SDK_VERSION, base64Encode } from "@langfuse/core";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { DropReason, FailureReason, TracingMetrics } from "../tracing-metrics.js";

/** The SDK's default export timeout (LangfuseSpanProcessor: `timeout` 5 s). */
export const SDK_DEFAULT_EXPORT_TIMEOUT_MS = 5_000;

export interface LangfuseExporterParams {
  publicKey: string;
  secretKey: string;
  baseUrl: string;
}

/**
 * Builds exactly the exporter LangfuseSpanProcessor builds when it is given none
 * (@langfuse/otel 5.11 span-processor.ts): OTLP/HTTP JSON to `${baseUrl}/api/public/otel/v1/traces`,
 * Basic auth, the three x-langfuse-* headers, timeoutMillis = 5 s. Passing it in explicitly only
 * lets us wrap it for counting; it also keeps the SDK from reading LANGFUSE_TIMEOUT from the env.
 */
export function buildLangfuseOtlpExporter(params: LangfuseExporterParams): OTLPTraceExporter {
  return new OTLPTraceExporter({
    url: `${params.baseUrl}/api/public/otel/v1/traces`,
    headers: {
      Authorization: `Basic ${base64Encode(`${params.publicKey}:${params.secretKey}`)}`,
      "x-langfuse-sdk-name": "javascript",
      "x-langfuse-sdk-version": LANGFUSE_SDK_VERSION,
      "x-langfuse-public-key": params.publicKey,
    },
    timeoutMillis: SDK_DEFAULT_EXPORT_TIMEOUT_MS,
  });
}

/** How the OTLP exporter's failure is counted: the attempt's failure reason and why its spans were lost. */
export interface FailureClass {
  /** Undefined when no HTTP attempt was made (the exporter refused the batch up front). */
  failure: FailureReason | undefined;
  dropped: DropReason;
}

/**
 * Reads the failed ExportResult of @opentelemetry/otlp-exporter-base 0.2xx:
 * - "Concurrent export limit reached": more than 30 exports in flight, the batch is refused
 *   without any HTTP request (hits exportMode "immediate" under load);
 * - OTLPExporterError with an HTTP `code`: a non-retryable status, the batch is rejected;
 * - "Request timed out": the last attempt hit the deadline;
 * - "Export failed with retryable status": 429/502/503/504 until the deadline (status not kept);
 * - anything else: a network error (refused, reset, DNS).
 */
export function classifyExportFailure(error: unknown): FailureClass {
  const message = error instanceof Error ? error.message : "";
  if (message === "Concurrent export limit reached") return { failure: undefined, dropped: "queue_full" };
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "number") {
    const failure: FailureReason = code === 429 ? "http_429" : code >= 500 ? "http_5xx" : "http_4xx";
    return { failure, dropped: "rejected" };
  }
  if (message === "Request timed out") return { failure: "timeout", dropped: "retries_exhausted" };
  if (message === "Export failed with retryable status") return { failure: "http_5xx", dropped: "retries_exhausted" };
  return { failure: "network", dropped: "retries_exhausted" };
}

/**
 * A pass-through exporter that only counts. Behaviour-identical to the wrapped exporter: same
 * spans, same call order, the result is handed back unchanged in the same callback. Counting
 * cannot throw into the export path.
 *
 * Granularity: the OTLP exporter retries inside one export() call (all within its timeout), so
 * one export() that reaches HTTP is one attempt here; a failed result means the last try failed.
 */
export class CountingSpanExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #metrics: TracingMetrics;

  constructor(inner: SpanExporter, metrics: TracingMetrics) {
    this.#inner = inner;
    this.#metrics = metrics;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const started = performance.now();
    this.#inner.export(spans, (result) => {
      try {
        this.#count(spans.length, result, (performance.now() - started) / 1000);
      } catch {}
      resultCallback(result);
    });
  }

  #count(n: number, result: ExportResult, seconds: number): void {
    if (result.code === ExportResultCode.SUCCESS) {
      this.#metrics.exportAttempts.inc();
      this.#metrics.exportDuration.observe({ outcome: "success" }, seconds);
      this.#metrics.spansExported.inc(n);
      return;
    }
    const { failure, dropped } = classifyExportFailure(result.error);
    if (failure !== undefined) {
      this.#metrics.exportAttempts.inc();
      this.#metrics.exportDuration.observe({ outcome: "failure" }, seconds);
      this.#metrics.exportFailures.inc({ reason: failure });
    }
    this.#metrics.spansDropped.inc({ reason: dropped }, n);
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}
