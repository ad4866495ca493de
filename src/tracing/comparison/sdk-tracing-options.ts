import type { FaultReporter, TracingLogger } from "../fault-reporter.js";
import type { TracingMetrics } from "../tracing-metrics.js";
import type { TracingOptions, TracingSettings } from "../tracing-options.js";

/**
 * Which official-SDK comparison pipeline to build.
 * - "sdk":   the Langfuse v5 SDK set up as its docs show, with its default export settings.
 * - "naive": the seed's "before": every span exported as it ends, user/session ids repeated
 *            in every span's input and metadata (agent_key twice in agent spans).
 */
export type SdkVariant = "sdk" | "naive";

/**
 * A comparison pipeline's options: the tracing settings it shares with ours (each documented on
 * TracingOptions), taken as they are, and what only it needs.
 */
export type SdkTracingOptions = Pick<TracingSettings, "baseUrl" | "enableSpans" | "sampleRate" | "shutdownTimeoutMs"> &
  Pick<TracingOptions, "publicKey" | "secretKey"> &
  Partial<Pick<TracingOptions, "environment" | "release" | "version">> & {
    /** Which comparison pipeline: the SDK's defaults ("sdk") or the seed's unoptimized setup ("naive"). */
    variant: SdkVariant;
    /** LANGFUSE_MASK, compiled: applied by the SDK's span processor to input, output and metadata before export. */
    mask?: (text: string) => string;
    /** Shared self-metrics, so benchmarks compare the SDK pipelines with ours on the same counters. */
    metrics: TracingMetrics;
    /** Where tracing's own errors go (counted, logged once per kind), never thrown into requests. */
    faults: FaultReporter;
    /** For the few informational lines (setup, shutdown outcome). */
    logger: TracingLogger;
  };
