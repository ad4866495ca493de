import type { FaultReporter, TracingLogger } from "../fault-reporter.js";
import type { TracingMetrics } from "../tracing-metrics.js";

/**
 * Which official-SDK comparison pipeline to build.
 * - "sdk":   the Langfuse v5 SDK set up as its docs show, with its default export settings.
 * - "naive": the seed's "before": every span exported as it ends, user/session ids repeated
 *            in every span's input and metadata (agent_key twice in agent spans).
 */
export type SdkVariant = "sdk" | "naive";

export interface SdkTracingOptions {
  /** Which comparison pipeline: the SDK's defaults ("sdk") or the seed's unoptimized setup ("naive"). */
  variant: SdkVariant;
  /** Langfuse project public key (pk-lf-...); also sent as x-langfuse-public-key. */
  publicKey: string;
  /** Langfuse project secret key (sk-lf-...); only used for the Basic auth header. */
  secretKey: string;
  /** Langfuse base URL without a trailing path, e.g. http://127.0.0.1:3000; spans go to `${baseUrl}/api/public/otel/v1/traces`. */
  baseUrl: string;
  /** Langfuse environment tag on every span; when absent the SDK falls back to LANGFUSE_TRACING_ENVIRONMENT itself. */
  environment?: string;
  /** Release tag on every span; when absent the SDK falls back to LANGFUSE_RELEASE itself. */
  release?: string;
  /** The application's version, propagated to every observation as `langfuse.version`. */
  version?: string;
  /** False drops the node spans (route_node, agent_*); generations then hang directly under the root. */
  enableSpans: boolean;
  /** Fraction of turns traced, 0..1, decided once per turn. */
  sampleRate: number;
  /** Upper bound for shutdown(): drain + flush + stop never takes longer than this. */
  shutdownTimeoutMs: number;
  /** LANGFUSE_MASK: applied by the SDK's span processor to input, output and metadata before export. */
  mask?: (text: string) => string;
  /** Shared self-metrics, so benchmarks compare the SDK pipelines with ours on the same counters. */
  metrics: TracingMetrics;
  /** Where tracing's own errors go (counted, logged once per kind), never thrown into requests. */
  faults: FaultReporter;
  /** For the few informational lines (setup, shutdown outcome). */
  logger: TracingLogger;
}
