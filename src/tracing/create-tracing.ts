import type { Registry } from "prom-client";
import { openSpanExporter, type ExportSettings } from "./export/export-settings.js";
import { ENVELOPE_ALLOWANCE_BYTES } from "./export/span-exporter.js";
import { FaultReporter, type TracingLogger } from "./fault-reporter.js";
import { createMasker } from "./masking/create-masker.js";
import { ObservationEncoder } from "./observation-encoder.js";
import { ScoreExporter } from "./scores/score-exporter.js";
import { ScoreMetrics } from "./scores/score-metrics.js";
import { SwitchboardTracing } from "./switchboard-tracing.js";
import { TracingMetrics } from "./tracing-metrics.js";
import { TRACING_DEFAULTS, type TracingOptions } from "./tracing-options.js";
import { NOOP_TRACING, type Tracing } from "./turn-trace.js";

type ResolvedOptions = TracingOptions & Required<Pick<TracingOptions, keyof typeof TRACING_DEFAULTS>>;

/** The options with every absent (or undefined) field at its default. */
function withDefaults(options: TracingOptions): ResolvedOptions {
  const resolved: Record<string, unknown> = { ...TRACING_DEFAULTS };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) resolved[key] = value;
  return resolved as unknown as ResolvedOptions;
}

/**
 * Builds the tracing pipeline the options describe, its metrics registered on `registry`. Never
 * throws and never waits on Langfuse: a setup failure is logged and counted, and the Tracing
 * returned traces nothing.
 */
export async function createTracing(
  options: TracingOptions,
  registry: Registry,
  logger: TracingLogger,
): Promise<Tracing> {
  const metrics = new TracingMetrics(registry);
  const faults = new FaultReporter(metrics, logger);
  try {
    const o = withDefaults(options);
    const { publicKey, secretKey, baseUrl } = o;
    if (o.pipeline !== "switchboard") {
      // Loaded only for the comparisons: the OpenTelemetry SDK and Langfuse's SDK cost start-up
      // time and memory a service that does not use them should not pay.
      const { createSdkTracing } = await import("./comparison/create-sdk-tracing.js");
      const tracing = createSdkTracing({
        variant: o.pipeline,
        publicKey,
        secretKey,
        baseUrl,
        environment: o.environment,
        release: o.release,
        version: o.version,
        enableSpans: o.enableSpans,
        sampleRate: o.sampleRate,
        shutdownTimeoutMs: o.shutdownTimeoutMs,
        mask: createMasker(o.mask, o.maskPatterns),
        metrics,
        faults,
        logger,
      });
      return withShutdownHook(tracing, o.onShutdown);
    }

    const resource = { serviceName: o.serviceName, serviceVersion: o.version };
    const settings: ExportSettings = {
      url: `${baseUrl}/api/public/otel/v1/traces`,
      headers: {
        authorization: `Basic ${Buffer.from(`${publicKey}:${secretKey}`).toString("base64")}`,
        "x-langfuse-public-key": publicKey,
        // Who sends, as Langfuse attributes ingestion to an SDK (ingestionSdkName / Version).
        "x-langfuse-sdk-name": "switchboard",
        "x-langfuse-sdk-version": o.version,
        // Langfuse v4's direct write path; without it non-SDK traffic takes the dual-write path,
        // which can delay traces by minutes.
        "x-langfuse-ingestion-version": "4",
      },
      timeoutMs: o.timeoutMs,
      // One socket more than the live lane's attempts: the backlog's replay has its own.
      maxSockets: o.concurrency + 1,
      spoolDir: o.spoolDir,
      maxJournalBytes: o.maxSpoolBytes,
      maxMemoryBytes: o.maxQueueBytes,
      concurrency: o.concurrency,
      maxRetries: o.maxRetries,
      retryDelayMs: o.retryDelayMs,
      replayRatePerSec: o.replayRatePerSec,
      resource,
      maxBatchSpans: o.flushAt,
      maxBatchBytes: o.maxBatchBytes,
      flushIntervalMs: o.flushIntervalMs,
    };
    const exporter = openSpanExporter(settings, metrics, faults, logger);
    let pendingScores = () => 0;
    const scoreMetrics = new ScoreMetrics(registry, metrics.errors, () => pendingScores());
    const scores = new ScoreExporter(settings, baseUrl, o.environment, scoreMetrics, faults, logger);
    pendingScores = () => scores.pending;
    const encoder = new ObservationEncoder({
      maxFieldChars: o.maxFieldChars,
      captureIo: o.captureIo,
      mask: createMasker(o.mask, o.maskPatterns),
      // The envelope takes a little of each batch.
      maxSpanBytes: o.maxBatchBytes - ENVELOPE_ALLOWANCE_BYTES,
      environment: o.environment,
      release: o.release,
      version: o.version,
      legacyTraceIo: o.legacyTraceIo,
      onCut: () => metrics.spansCut.inc(),
    });
    return new SwitchboardTracing({
      exporter,
      encoder,
      metrics,
      faults,
      enableSpans: o.enableSpans,
      sampleRate: o.sampleRate,
      keepSlowerThanMs: o.keepSlowerThanMs,
      shutdownTimeoutMs: o.shutdownTimeoutMs,
      scores,
      onShutdown: o.onShutdown,
    });
  } catch (err) {
    faults.report("setup", err);
    return NOOP_TRACING;
  }
}

function withShutdownHook(tracing: Tracing, onShutdown: (() => Promise<void>) | undefined): Tracing {
  if (!onShutdown) return tracing;
  return {
    startTurn: (turn) => tracing.startTurn(turn),
    async shutdown() {
      await tracing.shutdown();
      await onShutdown();
    },
  };
}
