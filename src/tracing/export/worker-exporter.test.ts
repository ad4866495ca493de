// The export worker end to end: observations recorded on the main thread are encoded, masked,
// batched and sent by the worker to a real HTTP server; its metrics reach the main thread's
// registry; what waits for the worker is bounded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RecordingLogger, testMetrics } from "../../../test/support/export-fakes.js";
import { startRecordingProxy } from "../../../test/support/recording-proxy.js";
import type { SpanFacts, TurnFacts } from "../span-facts.js";
import type { ExportSettings } from "./export-settings.js";
import { WorkerExporter } from "./worker-exporter.js";

function settings(url: string, overrides: Partial<ExportSettings> = {}): ExportSettings {
  return {
    url: `${url}/api/public/otel/v1/traces`,
    headers: { authorization: "Basic dGVzdDp0ZXN0" },
    timeoutMs: 5000,
    maxSockets: 3,
    spoolDir: null,
    maxJournalBytes: 64 * 1024 * 1024,
    maxMemoryBytes: 64 * 1024 * 1024,
    concurrency: 2,
    maxRetries: 1,
    retryDelayMs: 50,
    replayRatePerSec: 1000,
    resource: { serviceName: "switchboard", serviceVersion: "0.0.0-test" },
    format: "json",
    maxBatchSpans: 100,
    maxBatchBytes: 1_000_000,
    flushIntervalMs: 50,
    encoding: {
      maxFieldChars: 20_000,
      captureIo: true,
      mask: "email",
      maskPatterns: undefined,
      maxSpanBytes: 990_000,
      environment: "test",
      legacyTraceIo: false,
    },
    ...overrides,
  };
}

const TURN: TurnFacts = {
  traceId: "0af7651916cd43dd8448eb211c80319c",
  userId: "u-1",
  sessionId: "s-1",
  endpoint: "chat",
  tenant: "none",
};

function root(i: number, input: string): SpanFacts {
  return {
    kind: "root",
    turn: TURN,
    spanId: (0x1000 + i).toString(16).padStart(16, "0"),
    name: "",
    startMs: 1.7e12,
    endMs: 1.7e12 + 5,
    outcome: { level: undefined, message: undefined },
    input: { value: input, chars: input.length },
    output: { value: "ok", chars: 2 },
  };
}

test("the worker encodes, masks and sends what the main thread recorded; its counts reach the main registry", async () => {
  const server = await startRecordingProxy({ reply: () => ({ status: 200, body: "{}" }) });
  const { metrics, faults, count } = testMetrics();
  const exporter = new WorkerExporter({
    settings: settings(server.url),
    metrics,
    faults,
    logger: new RecordingLogger(),
  });
  try {
    await exporter.ready(10_000);
    for (let i = 0; i < 5; i++) exporter.push(root(i, `mail me at bob${i}@example.com`));
    await exporter.forceFlush(5000);
    const body = server.bodies();
    for (let i = 0; i < 5; i++) assert.ok(body.includes((0x1000 + i).toString(16).padStart(16, "0")), `span ${i} sent`);
    assert.ok(!body.includes("@example.com"), "masked in the worker, before it left the process");
    assert.ok(body.includes("[email]"));
    assert.ok(body.includes("langfuse.environment"), "encoding settings reached the worker");
    await exporter.sync();
    assert.equal(await count("spans_exported_total"), 5);
    assert.equal(exporter.heldSpans, 0);
  } finally {
    await exporter.shutdown(2000);
    await server.close();
  }
});

test("observations waiting for the worker are bounded by LANGFUSE_MAX_QUEUE_BYTES; the rest are dropped and counted, the kept ones delivered", async () => {
  const server = await startRecordingProxy({ reply: () => ({ status: 200, body: "{}" }) });
  const { metrics, faults, count } = testMetrics();
  // Pushed before the worker is ready: everything waits on the main thread, under the bound.
  const exporter = new WorkerExporter({
    settings: settings(server.url, { maxMemoryBytes: 50_000 }),
    metrics,
    faults,
    logger: new RecordingLogger(),
  });
  try {
    const big = "x".repeat(9_000);
    for (let i = 0; i < 10; i++) exporter.push(root(i, big));
    const dropped = await count("spans_dropped_total", { reason: "queue_full" });
    assert.ok(dropped >= 5 && dropped < 10, `dropped ${dropped} of 10 at a 50 KB bound`);
    assert.equal(exporter.heldSpans, 10 - dropped);
    await exporter.ready(10_000);
    await exporter.forceFlush(5000);
    const sent = server.bodies();
    let delivered = 0;
    for (let i = 0; i < 10; i++) if (sent.includes((0x1000 + i).toString(16).padStart(16, "0"))) delivered++;
    assert.equal(delivered, 10 - dropped, "the kept ones are delivered, the first ones first");
    assert.ok(sent.includes((0x1000).toString(16).padStart(16, "0")));
  } finally {
    await exporter.shutdown(2000);
    await server.close();
  }
});
