import type { Registry } from "prom-client";
import { openSpanExporter, type ExportSettings } from "./export/export-settings.js";
import { FaultReporter, type TracingLogger } from "./fault-reporter.js";
import { createMasker } from "./masking/create-masker.js";
import { ObservationEncoder } from "./observation-encoder.js";
import { ScoreExporter } from "./scores/score-exporter.js";
import { ScoreMetrics } from "./scores/score-metrics.js";
import { SwitchboardTracing } from "./switchboard-tracing.js";
import { TracingMetrics } from "./tracing-metrics.js";
import { resolveTracingOptions, type TracingOptions } from "./tracing-options.js";
import { NOOP_TRACING, type Tracing } from "./turn-trace.js";

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
    const settings = resolveTracingOptions(options);
    const { publicKey, secretKey, baseUrl } = settings;
    if (settings.pipeline !== "switchboard") {
      // Loaded only for the comparisons: the OpenTelemetry SDK and Langfuse's SDK cost start-up
      // time and memory a service that does not use them should not pay.
      const { createSdkTracing } = await import("./comparison/create-sdk-tracing.js");
      const tracing = createSdkTracing({
        ...settings,
        variant: settings.pipeline,
        mask: createMasker(settings.mask, settings.maskPatterns),
        metrics,
        faults,
        logger,
      });
      return withShutdownHook(tracing, settings.onShutdown);
    }

    const exportSettings: ExportSettings = {
      ...settings,
      url: `${baseUrl}/api/public/otel/v1/traces`,
      headers: {
        authorization: `Basic ${Buffer.from(`${publicKey}:${secretKey}`).toString("base64")}`,
        "x-langfuse-public-key": publicKey,
        // Who sends, as Langfuse attributes ingestion to an SDK (ingestionSdkName / Version).
        "x-langfuse-sdk-name": "switchboard",
        "x-langfuse-sdk-version": settings.version,
        // Langfuse v4's direct write path; without it non-SDK traffic takes the dual-write path,
        // which can delay traces by minutes.
        "x-langfuse-ingestion-version": "4",
      },
      resource: { serviceName: settings.serviceName, serviceVersion: settings.version },
    };
    const exporter = openSpanExporter(exportSettings, metrics, faults, logger);
    let pendingScores = () => 0;
    const scoreMetrics = new ScoreMetrics(registry, metrics.errors, () => pendingScores());
    const scores = new ScoreExporter(exportSettings, scoreMetrics, faults, logger);
    pendingScores = () => scores.pending;
    const encoder = new ObservationEncoder(settings, {
      mask: createMasker(settings.mask, settings.maskPatterns),
      onCut: () => metrics.spansCut.inc(),
    });
    return new SwitchboardTracing({
      exporter,
      encoder,
      metrics,
      faults,
      settings,
      logger,
      scores,
      onShutdown: settings.onShutdown,
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
