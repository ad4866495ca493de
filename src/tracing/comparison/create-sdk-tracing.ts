import { LangfuseSpanProcessor, type LangfuseSpanProcessorParams } from "@langfuse/otel";
import { getLangfuseTracerProvider, setLangfuseTracerProvider } from "@langfuse/tracing";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { NOOP_TRACING, NOOP_TURN, type Tracing, type TurnStart, type TurnTrace } from "../turn-trace.js";
import { ensureContextManager } from "./context-manager.js";
import { CountingSpanExporter, buildLangfuseOtlpExporter } from "./counting-exporter.js";
import type { SdkTracingOptions } from "./sdk-tracing-options.js";
import { startSdkTurn, type SdkTurnDeps } from "./sdk-turn-trace.js";

export type { SdkTracingOptions, SdkVariant } from "./sdk-tracing-options.js";

/**
 * OTel BatchSpanProcessor defaults (512 spans per batch, 5 s delay), which is what
 * LangfuseSpanProcessor ends up with when flushAt/flushInterval are not given. Passed explicitly
 * only so LANGFUSE_FLUSH_AT / LANGFUSE_FLUSH_INTERVAL / OTEL_BSP_* in the environment cannot
 * change the benchmark's "defaults" behind our back (config is passed in, never read from env).
 */
const SDK_DEFAULT_FLUSH_AT = 512;
const SDK_DEFAULT_FLUSH_INTERVAL_S = 5;

/**
 * A Tracing built on the official Langfuse JS SDK v5, as a benchmark comparison for our own
 * pipeline. Never throws: a setup failure is reported and yields a Tracing that traces nothing.
 */
export function createSdkTracing(options: SdkTracingOptions): Tracing {
  try {
    return buildSdkTracing(options);
  } catch (err) {
    options.faults.report("sdk_setup", err);
    return NOOP_TRACING;
  }
}

function processorParams(options: SdkTracingOptions): LangfuseSpanProcessorParams {
  const exporter = new CountingSpanExporter(buildLangfuseOtlpExporter(options), options.metrics);
  const common = {
    publicKey: options.publicKey,
    secretKey: options.secretKey,
    baseUrl: options.baseUrl,
    environment: options.environment,
    release: options.release,
    exporter,
    mediaUploadEnabled: true, // the SDK default, explicit so LANGFUSE_MEDIA_UPLOAD_ENABLED cannot flip it
    // The SDK hands the already-serialized attribute strings to mask; anything else passes as is.
    mask: options.mask
      ? ({ data }: { data: unknown }) => (typeof data === "string" ? options.mask!(data) : data)
      : undefined,
  };
  if (options.variant === "naive") {
    // The seed's "before": no batching (a SimpleSpanProcessor, one HTTP export per ended span).
    return { ...common, exportMode: "immediate" };
  }
  return {
    ...common,
    exportMode: "batched",
    flushAt: SDK_DEFAULT_FLUSH_AT,
    flushInterval: SDK_DEFAULT_FLUSH_INTERVAL_S,
  };
}

function buildSdkTracing(options: SdkTracingOptions): Tracing {
  const { metrics, faults, logger } = options;
  // Fail at setup, not on every export, when the URL cannot be one (the SDK would not check).
  new URL(`${options.baseUrl}/api/public/otel/v1/traces`);
  if (!ensureContextManager()) {
    // Spans are still exported, but flat: each observation its own trace, without user/session.
    faults.report(
      "sdk_context_manager",
      new Error("no working OpenTelemetry context manager; Langfuse observations will not nest"),
    );
  }

  const processor = new LangfuseSpanProcessor(processorParams(options));
  // Isolated provider, never registered as the global one (other OTel users must not share it).
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  setLangfuseTracerProvider(provider);
  logger.info({ variant: options.variant, baseUrl: options.baseUrl }, "langfuse sdk tracing enabled");

  const deps: SdkTurnDeps = {
    variant: options.variant,
    enableSpans: options.enableSpans,
    version: options.version,
    metrics,
    faults,
  };
  let shutdownPromise: Promise<void> | null = null;

  return {
    startTurn(turn: TurnStart): TurnTrace {
      if (shutdownPromise !== null) return NOOP_TURN;
      // Math.random() < 0 is never true, so sampleRate 0 traces nothing and 1 traces everything.
      if (!(Math.random() < options.sampleRate)) {
        metrics.sampledOut.inc();
        return NOOP_TURN;
      }
      return startSdkTurn(deps, turn);
    },
    shutdown(): Promise<void> {
      shutdownPromise ??= shutdownWithin(provider, options);
      return shutdownPromise;
    },
  };
}

/**
 * Drain -> flush -> stop, bounded by shutdownTimeoutMs. LangChain runs callback handlers in a
 * background queue by default, so a generation may still be waiting for its end event: drain that
 * queue first, or the flush would miss it.
 */
async function shutdownWithin(provider: NodeTracerProvider, options: SdkTracingOptions): Promise<void> {
  const work = (async () => {
    await awaitAllCallbacks();
    await provider.forceFlush();
    await provider.shutdown();
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), Math.max(0, options.shutdownTimeoutMs));
    timer.unref();
  });
  try {
    const outcome = await Promise.race([work.then(() => "done" as const), timedOut]);
    if (outcome === "timeout") {
      work.catch((err: unknown) => options.faults.report("sdk_shutdown", err));
      options.faults.report(
        "sdk_shutdown_timeout",
        new Error(`shutdown did not finish within ${options.shutdownTimeoutMs} ms`),
      );
    } else {
      options.logger.info({ variant: options.variant }, "langfuse sdk tracing flushed and stopped");
    }
  } catch (err) {
    options.faults.report("sdk_shutdown", err);
  } finally {
    clearTimeout(timer);
    try {
      // The SDK's provider slot is process-global: release it so later turns do not hit a stopped provider.
      if (getLangfuseTracerProvider() === provider) setLangfuseTracerProvider(null);
    } catch {}
  }
}
