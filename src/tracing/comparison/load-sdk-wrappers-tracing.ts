import type { Registry } from "prom-client";
import type { TracingLogger } from "../fault-reporter.js";
import type { Tracing } from "../turn-trace.js";

/**
 * The official SDK's wrappers with nothing exported (the tracing-cost benchmark's comparison),
 * loaded on first use: importing the package's face must not load the OpenTelemetry SDK.
 */
export async function createSdkWrappersOnlyTracing(registry: Registry, logger: TracingLogger): Promise<Tracing> {
  const { createSdkWrappersOnlyTracing: create } = await import("./sdk-wrappers-tracing.js");
  return create(registry, logger);
}
