import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Registry } from "prom-client";
import { startReceiver } from "../../collector/receiver.js";
import { FaultReporter } from "../fault-reporter.js";
import { createBatchEnvelope, encodeSpan } from "../otlp-span-encoder.js";
import { OtlpHttpSender } from "../otlp-http-sender.js";
import { newSpanId, newTraceId } from "../ids.js";
import { TracingMetrics } from "../tracing-metrics.js";
import { DiskSpool } from "./disk-spool.js";

const quiet = { warn() {}, info() {}, error() {} };

function span(payload = "x"): string {
  return encodeSpan({ traceId: newTraceId(), spanId: newSpanId(), parentSpanId: undefined, name: "s", startMs: Date.now(), endMs: Date.now() + 1, attributes: { "langfuse.observation.input": payload } });
}

async function setup(maxBytes: number) {
  const dir = mkdtempSync(join(tmpdir(), "disk-spool-"));
  const receiver = await startReceiver({ port: 0 });
  const registry = new Registry();
  const metrics = new TracingMetrics(registry);
  const open = () =>
    DiskSpool.open({
      dir,
      maxBytes,
      replayRatePerSec: 100_000,
      sender: new OtlpHttpSender({ url: `${receiver.url}/api/public/otel/v1/traces`, headers: { authorization: `Basic ${Buffer.from("pk-lf-local:sk-lf-local").toString("base64")}` }, timeoutMs: 2000, maxSockets: 1 }),
      envelope: createBatchEnvelope({ serviceName: "t", serviceVersion: "0" }),
      metrics,
      faults: new FaultReporter(metrics, quiet),
      logger: quiet,
    });
  const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.reduce((n, v) => n + v.value, 0);
  return { dir, receiver, open, value, cleanup: async () => { await receiver.close(); rmSync(dir, { recursive: true, force: true }); } };
}

const waitFor = async (check: () => Promise<boolean>) => {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail("timed out");
};

test("at its cap the spool evicts the oldest batches and counts them", async () => {
  const t = await setup(20_000);
  await t.receiver.close(); // nothing can be delivered: everything stays spooled
  try {
    const spool = t.open();
    for (let i = 0; i < 10; i++) assert.equal(spool.accept([span("y".repeat(4000))], 4000, "retries_exhausted"), true);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.ok((await t.value("switchboard_tracing_spool_bytes")) <= 20_000);
    assert.ok((await t.value("switchboard_tracing_spool_batches_evicted_total")) >= 5);
    assert.equal(await t.value("switchboard_tracing_spans_dropped_total"), await t.value("switchboard_tracing_spool_batches_evicted_total"));
    assert.equal((await t.value("switchboard_tracing_spool_batches")) + (await t.value("switchboard_tracing_spool_batches_evicted_total")), 10);
    spool.close();
  } finally {
    await t.cleanup();
  }
});

test("a corrupted entry is skipped and counted; the others are delivered", async () => {
  const t = await setup(10_000_000);
  try {
    const first = t.open();
    // Spool while the receiver is unreachable for this spool: close it right away.
    first.accept([span("a")], 1, "backend_down");
    first.accept([span("b")], 1, "backend_down");
    first.accept([span("c")], 1, "backend_down");
    first.close();
    const db = new Database(join(t.dir, "spool.db"));
    db.prepare("UPDATE batches SET spans = spans || 'garbage' WHERE id = 2").run();
    db.close();
    const second = t.open();
    second.start();
    await waitFor(async () => (await t.value("switchboard_tracing_spool_batches")) === 0);
    assert.equal(await t.value("switchboard_tracing_spool_entries_corrupt_total"), 1);
    assert.equal(await t.value("switchboard_tracing_spool_batches_replayed_total"), 2);
    assert.equal(t.receiver.stats().spans.unique, 2);
    second.close();
  } finally {
    await t.cleanup();
  }
});
