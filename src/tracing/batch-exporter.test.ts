// The export side against the real receiver over a socket, with its faults: batching, retries,
// drops, the memory bound, shutdown, and senders that misbehave.
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { startReceiver, type Receiver } from "../collector/receiver.js";
import { BatchExporter, type BatchExporterOptions } from "./batch-exporter.js";
import { FaultReporter } from "./fault-reporter.js";
import { OtlpHttpSender, type SendResult, type SpanSender } from "./otlp-http-sender.js";
import { createBatchEnvelope, encodeSpan } from "./otlp-span-encoder.js";
import { TracingMetrics } from "./tracing-metrics.js";

const AUTH = `Basic ${Buffer.from("pk-lf-local:sk-lf-local").toString("base64")}`;
const ENVELOPE = createBatchEnvelope({ serviceName: "exporter-test", serviceVersion: "0" });

let seq = 0;
function span(bytes = 0): string {
  seq++;
  const id = seq.toString(16).padStart(16, "0");
  return encodeSpan({
    traceId: `${"a".repeat(16)}${id}`,
    spanId: id,
    parentSpanId: undefined,
    name: "unit",
    startMs: Date.now(),
    endMs: Date.now() + 1,
    attributes: { "langfuse.observation.type": "span", pad: "p".repeat(bytes) },
  });
}

interface Harness {
  exporter: BatchExporter;
  registry: Registry;
  warnings: Array<Record<string, unknown>>;
  count(name: string, labels?: Record<string, string>): Promise<number>;
}

function harness(sender: SpanSender, overrides: Partial<BatchExporterOptions> = {}): Harness {
  const registry = new Registry();
  const metrics = new TracingMetrics(registry);
  const warnings: Array<Record<string, unknown>> = [];
  const logger = { warn: (o: object) => void warnings.push(o as Record<string, unknown>), info() {}, error() {} };
  const exporter = new BatchExporter({
    sender,
    envelope: ENVELOPE,
    flushAt: 10,
    flushIntervalMs: 20,
    concurrency: 2,
    maxRetries: 2,
    retryDelayMs: 10,
    maxQueueBytes: 1024 * 1024,
    metrics,
    faults: new FaultReporter(metrics, logger),
    ...overrides,
  });
  return {
    exporter,
    registry,
    warnings,
    async count(name, labels = {}) {
      const metric = registry.getSingleMetric(`switchboard_tracing_${name}`);
      if (!metric) throw new Error(`no metric ${name}`);
      const values = (await metric.get()).values;
      return values.filter((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l)).reduce((sum, v) => sum + v.value, 0);
    },
  };
}

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("BatchExporter against the receiver", () => {
  let receiver: Receiver;
  let sender: OtlpHttpSender;
  const newSender = (timeoutMs = 2000) => new OtlpHttpSender({ url: `${receiver.url}/api/public/otel/v1/traces`, headers: { authorization: AUTH }, timeoutMs, maxSockets: 2 });

  before(async () => {
    receiver = await startReceiver({ port: 0 });
  });
  beforeEach(() => {
    receiver.reset();
    receiver.faults.reset();
    sender = newSender();
  });
  after(() => receiver?.close());

  test("full batches go at once, a partial batch after the interval; everything is delivered once", async () => {
    const h = harness(sender, { flushAt: 10, flushIntervalMs: 50 });
    for (let i = 0; i < 25; i++) h.exporter.push(span());
    // The receiver stores before it answers: wait for the exporter to have seen the answers.
    await waitFor("25 spans exported", async () => (await h.count("spans_exported_total")) === 25);
    const stats = receiver.stats();
    assert.equal(stats.requests.total, 3, "10 + 10 + 5");
    assert.equal(stats.spans.duplicates, 0);
    assert.equal(await h.count("spans_exported_total"), 25);
    assert.equal(h.exporter.heldSpans, 0);
    assert.equal(h.exporter.heldBytes, 0);
    assert.equal(await h.count("queue_bytes"), 0);
    await h.exporter.shutdown(1000);
  });

  test("500s are retried maxRetries times, then the batch is dropped as retries_exhausted", async () => {
    receiver.faults.set({ failRatio: 1, failStatus: 500 });
    const h = harness(sender, { maxRetries: 2 });
    for (let i = 0; i < 10; i++) h.exporter.push(span());
    await waitFor("the drop", async () => (await h.count("spans_dropped_total", { reason: "retries_exhausted" })) === 10);
    assert.equal(receiver.stats().requests.byStatus["500"], 3);
    assert.equal(await h.count("export_failures_total", { reason: "http_5xx" }), 3);
    assert.equal(h.warnings.filter((w) => w["kind"] === "export_http_5xx").length, 1, "logged once");
    assert.equal(h.exporter.heldBytes, 0);
    await h.exporter.shutdown(1000);
  });

  test("a 4xx is not retried: dropped as rejected after one attempt", async () => {
    receiver.faults.set({ failRatio: 1, failStatus: 400 });
    const h = harness(sender, { maxRetries: 5 });
    for (let i = 0; i < 10; i++) h.exporter.push(span());
    await waitFor("the drop", async () => (await h.count("spans_dropped_total", { reason: "rejected" })) === 10);
    assert.equal(receiver.stats().requests.total, 1);
    await h.exporter.shutdown(1000);
  });

  test("Retry-After takes precedence over a long retry delay", async () => {
    // Every second request fails with 429, Retry-After: 0: the failed batch is retried at once,
    // not after the 60 s backoff.
    receiver.faults.set({ failRatio: 0.5, failStatus: 429, retryAfterSeconds: 0 });
    const h = harness(sender, { retryDelayMs: 60_000, concurrency: 1 });
    for (let i = 0; i < 20; i++) h.exporter.push(span());
    await waitFor("20 spans exported", async () => (await h.count("spans_exported_total")) === 20);
    assert.equal(receiver.stats().spans.received, 20);
    assert.equal(receiver.stats().requests.byStatus["429"], 1);
    assert.equal(await h.count("spans_exported_total"), 20);
    await h.exporter.shutdown(1000);
  });

  test("hung receiver: attempts time out, memory stays under maxQueueBytes, the excess is dropped as queue_full", async () => {
    receiver.faults.set({ hang: true });
    const bound = 16 * 1024;
    const h = harness(newSender(10_000), { maxQueueBytes: bound, flushAt: 5, maxRetries: 0 });
    let maxHeld = 0;
    for (let i = 0; i < 100; i++) {
      h.exporter.push(span(500));
      maxHeld = Math.max(maxHeld, h.exporter.heldBytes);
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.ok(maxHeld <= bound, `held ${maxHeld} > ${bound}`);
    assert.ok((await h.count("spans_dropped_total", { reason: "queue_full" })) > 0);
    assert.ok((await h.count("queue_bytes")) <= bound);
    // Shutdown with attempts hung: bounded by its timeout, what is left counted once.
    const started = Date.now();
    await h.exporter.shutdown(200);
    assert.ok(Date.now() - started < 200 + 2000, "shutdown is bounded by its timeout");
    const dropped = await h.count("spans_dropped_total");
    const created = 100;
    assert.equal(dropped + (await h.count("spans_exported_total")), created, "every span is accounted for exactly once");
    await new Promise((r) => setTimeout(r, 100)); // the cut-off attempts settle
    assert.equal(await h.count("spans_dropped_total"), dropped, "not counted again when the cut-off attempts settle");
  });

  test("push after shutdown is counted as dropped (shutdown), never sent", async () => {
    const h = harness(sender);
    await h.exporter.shutdown(100);
    h.exporter.push(span());
    assert.equal(await h.count("spans_dropped_total", { reason: "shutdown" }), 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(receiver.stats().requests.total, 0);
  });

  test("forceFlush sends batches waiting for a retry now", async () => {
    receiver.faults.set({ failRatio: 1, failStatus: 503 });
    const h = harness(sender, { retryDelayMs: 60_000, maxRetries: 3 });
    for (let i = 0; i < 10; i++) h.exporter.push(span());
    await waitFor("the first failure", () => receiver.stats().requests.total === 1);
    receiver.faults.reset();
    await h.exporter.forceFlush(3000);
    assert.equal(receiver.stats().spans.received, 10);
    assert.equal(h.exporter.heldSpans, 0);
    await h.exporter.shutdown(100);
  });
});

describe("BatchExporter with misbehaving senders", () => {
  test("a sender that throws (sync or async): push never throws, failures are counted as network, spans dropped", async () => {
    for (const mode of ["sync", "async"] as const) {
      let calls = 0;
      const throwing: SpanSender = {
        send(): Promise<SendResult> {
          calls++;
          if (mode === "sync") throw new Error("sender exploded");
          return Promise.reject(new Error("sender exploded"));
        },
        close() {
          throw new Error("close exploded too");
        },
      };
      const h = harness(throwing, { flushAt: 5, maxRetries: 1, retryDelayMs: 1 });
      assert.doesNotThrow(() => {
        for (let i = 0; i < 5; i++) h.exporter.push(span());
      });
      await waitFor(`${mode}: the drop`, async () => (await h.count("spans_dropped_total", { reason: "retries_exhausted" })) === 5);
      assert.equal(calls, 2);
      assert.equal(await h.count("export_failures_total", { reason: "network" }), 2);
      assert.equal(h.warnings.length, 1, "logged once");
      await h.exporter.shutdown(100).catch((err: unknown) => assert.fail(`shutdown threw: ${String(err)}`));
    }
  });

  test("an onUndeliverable hook that throws is isolated; the spans are counted as dropped", async () => {
    const never: SpanSender = { send: () => new Promise(() => {}), close() {} };
    const h = harness(never, {
      maxQueueBytes: 64,
      onUndeliverable: () => {
        throw new Error("spool broken");
      },
    });
    assert.doesNotThrow(() => h.exporter.push(span(100)));
    assert.equal(await h.count("spans_dropped_total", { reason: "queue_full" }), 1);
    assert.equal(await h.count("errors_total", { kind: "undeliverable_hook" }), 1);
    await h.exporter.shutdown(10);
  });
});
