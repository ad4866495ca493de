import assert from "node:assert/strict";
import { test } from "node:test";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { Registry } from "prom-client";
import { TracingMetrics } from "../tracing-metrics.js";
import { CountingSpanExporter, classifyExportFailure } from "./counting-exporter.js";

class FixedResultExporter implements SpanExporter {
  calls = 0;
  readonly #result: ExportResult;

  constructor(result: ExportResult) {
    this.#result = result;
  }
  export(_spans: ReadableSpan[], cb: (r: ExportResult) => void): void {
    this.calls++;
    cb(this.#result);
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function value(
  c: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await c.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((s, v) => s + v.value, 0);
}

const spans = [{}, {}, {}] as unknown as ReadableSpan[];

test("success: result passed through unchanged, spans exported and one attempt counted", async () => {
  const metrics = new TracingMetrics(new Registry());
  const result: ExportResult = { code: ExportResultCode.SUCCESS };
  const inner = new FixedResultExporter(result);
  let seen: ExportResult | undefined;
  new CountingSpanExporter(inner, metrics).export(spans, (r) => (seen = r));
  assert.equal(seen, result);
  assert.equal(inner.calls, 1);
  assert.equal(await value(metrics.spansExported), 3);
  assert.equal(await value(metrics.exportAttempts), 1);
});

test("the exporter's in-flight limit is a queue_full drop, not an HTTP attempt", async () => {
  const metrics = new TracingMetrics(new Registry());
  const exporter = new CountingSpanExporter(
    new FixedResultExporter({ code: ExportResultCode.FAILED, error: new Error("Concurrent export limit reached") }),
    metrics,
  );
  exporter.export(spans, () => {});
  assert.equal(await value(metrics.spansDropped, { reason: "queue_full" }), 3);
  assert.equal(await value(metrics.exportAttempts), 0);
  assert.equal(await value(metrics.exportFailures), 0);
});

test("failure classification", () => {
  const httpError = (code: number) => Object.assign(new Error("x"), { code });
  assert.deepEqual(classifyExportFailure(httpError(401)), { failure: "http_4xx", dropped: "rejected" });
  assert.deepEqual(classifyExportFailure(httpError(500)), { failure: "http_5xx", dropped: "rejected" });
  assert.deepEqual(classifyExportFailure(new Error("Request timed out")), {
    failure: "timeout",
    dropped: "retries_exhausted",
  });
  assert.deepEqual(classifyExportFailure(new Error("Export failed with retryable status")), {
    failure: "http_5xx",
    dropped: "retries_exhausted",
  });
  assert.deepEqual(classifyExportFailure(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })), {
    failure: "network",
    dropped: "retries_exhausted",
  });
  assert.deepEqual(classifyExportFailure(undefined), { failure: "network", dropped: "retries_exhausted" });
});
