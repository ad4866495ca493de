import { LANGFUSE_TRACER_NAME } from "@langfuse/core";
import type { ResourceInfo } from "./span-format.js";

/**
 * The instrumentation scope our spans are sent under. Langfuse reads spans whose scope name
 * starts with `langfuse-sdk` as written to its own attribute conventions (as its SDK writes
 * them); for any other scope it also copies every span attribute into each stored row's
 * metadata. So the name keeps that prefix and says who we are after it, and the version is
 * the application's, not the official SDK's.
 */
export function otlpScope(resource: ResourceInfo): { name: string; version: string } {
  return { name: `${LANGFUSE_TRACER_NAME}/switchboard`, version: resource.serviceVersion };
}

/** The OTLP resource's attributes: the service, and the telemetry SDK (us). */
export function resourceAttributes(resource: ResourceInfo): Record<string, string> {
  return {
    "service.name": resource.serviceName,
    "service.version": resource.serviceVersion,
    "telemetry.sdk.language": "nodejs",
    "telemetry.sdk.name": "switchboard",
    "telemetry.sdk.version": resource.serviceVersion,
  };
}
