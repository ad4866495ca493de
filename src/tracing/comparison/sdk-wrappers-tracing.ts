import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { setLangfuseTracerProvider } from "@langfuse/tracing";
import type { Registry } from "prom-client";
import { FaultReporter, type TracingLogger } from "../fault-reporter.js";
import { TracingMetrics } from "../tracing-metrics.js";
import type { Tracing } from "../turn-trace.js";
import { ensureContextManager } from "./context-manager.js";
import { startSdkTurn } from "./sdk-turn-trace.js";

/**
 * The official SDK's wrappers and CallbackHandler with no tracer provider registered: what the
 * Langfuse code costs on the request path when nothing is exported (a tracing-cost variant).
 * Leaves a global context manager registered; the caller disables it when done.
 */
export function createSdkWrappersOnlyTracing(registry: Registry, logger: TracingLogger): Tracing {
  setLangfuseTracerProvider(null);
  if (!ensureContextManager()) throw new Error("no OpenTelemetry context manager");
  const metrics = new TracingMetrics(registry);
  const deps = { variant: "sdk" as const, enableSpans: true, metrics, faults: new FaultReporter(metrics, logger) };
  return { startTurn: (turn) => startSdkTurn(deps, turn), shutdown: () => awaitAllCallbacks() };
}
