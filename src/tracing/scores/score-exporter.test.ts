// Scores delivered durably: journaled before record() returns, sent to Langfuse's scores API,
// held while Langfuse is down and sent once after, kept across a restart, never stored twice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { RecordingLogger } from "../../../test/support/export-fakes.js";
import type { ExportSettings } from "../export/export-settings.js";
import { FaultReporter } from "../fault-reporter.js";
import { TracingMetrics } from "../tracing-metrics.js";
import { resolveTracingOptions } from "../tracing-options.js";
import { ScoreExporter } from "./score-exporter.js";
import { ScoreMetrics } from "./score-metrics.js";
import { scoreId } from "./score.js";
import { startReceiver } from "../../receiver/receiver.js";

/** Langfuse's scores endpoint as far as these tests need it: upsert by id, or a failing status. */
async function scoresEndpoint() {
  const stored = new Map<string, Record<string, unknown>>();
  const posts: Record<string, unknown>[] = [];
  let status = 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/api/public/scores") return void res.writeHead(404).end();
      if (req.headers["authorization"] !== `Basic ${Buffer.from("pk:sk").toString("base64")}`)
        return void res.writeHead(401).end();
      if (status !== 200) return void res.writeHead(status).end();
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      posts.push(body);
      stored.set(body["id"] as string, body);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: body["id"] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stored,
    posts,
    setStatus: (s: number) => void (status = s),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function exporterFor(baseUrl: string, spoolDir: string | null) {
  const registry = new Registry();
  const logger = new RecordingLogger();
  const tracingMetrics = new TracingMetrics(registry);
  const faults = new FaultReporter(tracingMetrics, logger);
  const pending = { count: () => 0 };
  const metrics = new ScoreMetrics(registry, tracingMetrics.errors, () => pending.count());
  const settings: ExportSettings = {
    ...resolveTracingOptions({
      baseUrl,
      environment: "test",
      timeoutMs: 2000,
      journalDir: spoolDir,
      maxJournalBytes: 1e6,
      maxQueueBytes: 1e6,
      maxRetries: 1,
      retryDelayMs: 50,
      replayRatePerSec: 100,
      flushAt: 100,
      maxBatchBytes: 1e6,
      flushIntervalMs: 100,
    }),
    url: `${baseUrl}/api/public/otel/v1/traces`,
    headers: { authorization: `Basic ${Buffer.from("pk:sk").toString("base64")}`, "x-langfuse-public-key": "pk" },
    resource: { serviceName: "t", serviceVersion: "0" },
  };
  const exporter = new ScoreExporter(settings, metrics, faults, logger);
  pending.count = () => exporter.pending;
  const counter = async (name: string) =>
    ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((n, v) => n + v.value, 0);
  return { exporter, counter };
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function untilAsync(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const THUMBS_UP = {
  traceId: "a".repeat(32),
  name: "user_feedback",
  value: true,
  comment: "great",
  author: "none/alice",
};

test("a boolean score reaches Langfuse's scores API as BOOLEAN 1, with a stable id", async () => {
  const langfuse = await scoresEndpoint();
  const { exporter, counter } = exporterFor(langfuse.url, null);
  try {
    const id = exporter.record(THUMBS_UP);
    assert.equal(id, scoreId(THUMBS_UP), "the id depends on trace, name and author only");
    await until("the score stored", () => langfuse.stored.size === 1);
    assert.deepEqual(langfuse.stored.get(id), {
      id,
      traceId: THUMBS_UP.traceId,
      name: "user_feedback",
      value: 1,
      dataType: "BOOLEAN",
      comment: "great",
      environment: "test",
    });
    // Counted once the answer is in, a moment after the endpoint stored it.
    await untilAsync("the delivery counted", async () => (await counter("switchboard_scores_delivered_total")) === 1);
    exporter.record({ ...THUMBS_UP, value: 4.5 });
    exporter.record({ ...THUMBS_UP, name: "topic", value: "billing" });
    await until("three posts", () => langfuse.posts.length === 3);
    assert.deepEqual(
      langfuse.posts.map((p) => [p["name"], p["value"], p["dataType"]]),
      [
        ["user_feedback", 1, "BOOLEAN"],
        ["user_feedback", 4.5, "NUMERIC"],
        ["topic", "billing", "CATEGORICAL"],
      ],
    );
    assert.equal(langfuse.stored.size, 2, "the same author scoring the same trace again replaces their score");
  } finally {
    await exporter.shutdown(1000);
    await langfuse.close();
  }
});

test("feedback given while Langfuse is down is kept on disk, survives a restart and arrives once after", async () => {
  const langfuse = await scoresEndpoint();
  const dir = mkdtempSync(join(tmpdir(), "scores-journal-"));
  try {
    langfuse.setStatus(503);
    const first = exporterFor(langfuse.url, dir);
    const ids = [first.exporter.record(THUMBS_UP), first.exporter.record({ ...THUMBS_UP, author: "none/bob" })];
    assert.equal(first.exporter.pending, 2, "journaled before record returns");
    await new Promise((r) => setTimeout(r, 300));
    await first.exporter.shutdown(0);
    assert.equal(langfuse.stored.size, 0);

    langfuse.setStatus(200);
    const second = exporterFor(langfuse.url, dir);
    await until("both scores stored", () => langfuse.stored.size === 2);
    assert.deepEqual([...langfuse.stored.keys()].sort(), ids.sort());
    await until("the journal empty", () => second.exporter.pending === 0);
    await second.exporter.shutdown(1000);
    assert.equal(langfuse.posts.length, 2, "each delivered once");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await langfuse.close();
  }
});

test("a changed mind given after a restart is not undone by the replay of the earlier run's feedback", async () => {
  const langfuse = await scoresEndpoint();
  const dir = mkdtempSync(join(tmpdir(), "scores-journal-"));
  try {
    langfuse.setStatus(503);
    const first = exporterFor(langfuse.url, dir);
    const id = first.exporter.record(THUMBS_UP);
    await first.exporter.shutdown(0);

    // The next run replays the thumbs up, refused once: it waits for the backlog's next probe...
    const second = exporterFor(langfuse.url, dir);
    await untilAsync(
      "the replay refused",
      async () => (await second.counter("switchboard_score_export_failures_total")) > 0,
    );
    // ...while Langfuse is back and the user's thumbs down goes out live, before it.
    langfuse.setStatus(200);
    assert.equal(second.exporter.record({ ...THUMBS_UP, value: false, comment: "no" }), id);
    await until("the journal empty", () => second.exporter.pending === 0);
    assert.equal(langfuse.posts.length, 2, "both versions were delivered");
    await second.exporter.shutdown(1000);
    assert.equal(langfuse.stored.size, 1);
    assert.deepEqual(
      [langfuse.stored.get(id)!["value"], langfuse.stored.get(id)!["comment"]],
      [0, "no"],
      "whatever was delivered last carries the latest value",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await langfuse.close();
  }
});

test("a score on a trace is one Langfuse's scores API stores (a trace score names no session)", async () => {
  // The local receiver checks a score's body as Langfuse's API does (exactly one of traceId,
  // sessionId, datasetRunId): a score it would refuse (400) is dropped, never delivered.
  const receiver = await startReceiver({ port: 0, keys: [{ publicKey: "pk", secretKey: "sk" }] });
  const { exporter, counter } = exporterFor(receiver.url, null);
  try {
    const id = exporter.record(THUMBS_UP);
    await until("the score settled", () => exporter.pending === 0);
    assert.equal(await counter("switchboard_scores_rejected_total"), 0, "Langfuse refused nothing");
    assert.equal(await counter("switchboard_scores_delivered_total"), 1);
    const stored = await fetch(`${receiver.url}/api/public/v2/scores/${id}`, {
      headers: { authorization: `Basic ${Buffer.from("pk:sk").toString("base64")}` },
    });
    assert.equal(stored.status, 200);
    const score = (await stored.json()) as Record<string, unknown>;
    assert.equal(score["traceId"], THUMBS_UP.traceId);
    assert.equal(score["sessionId"], null);
    assert.equal(score["dataType"], "BOOLEAN");
  } finally {
    await exporter.shutdown(1000);
    await receiver.close();
  }
});
