import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// No Collector binary is installable from Debian here, so the configuration is checked for
// structure: it must receive on the path Switchboard posts to and forward to Langfuse's OTLP
// endpoint with Basic auth. js-yaml comes with eslint (a dev dependency).
const yaml = createRequire(import.meta.url)("js-yaml") as { load(text: string): unknown };
const text = readFileSync("deploy/otel-collector.yaml", "utf8");
const config = yaml.load(text) as any;

test("the Collector receives OTLP/HTTP on the path Switchboard's exporter posts to", () => {
  const http = config.receivers.otlp.protocols.http;
  assert.match(http.endpoint, /^127\.0\.0\.1:\d+$/);
  // create-tracing.ts sends to `${LANGFUSE_BASE_URL}/api/public/otel/v1/traces`.
  const exporterSource = readFileSync("src/tracing/create-tracing.ts", "utf8");
  assert.ok(exporterSource.includes("/api/public/otel/v1/traces"));
  assert.equal(http.traces_url_path, "/api/public/otel/v1/traces");
});

test("it exports to Langfuse's OTLP endpoint with a Basic Authorization header, queued on disk", () => {
  const exporter = config.exporters["otlphttp/langfuse"];
  assert.match(exporter.endpoint, /^\$\{env:[A-Z_]+\}$/);
  assert.match(exporter.headers.Authorization, /^Basic \$\{env:[A-Z_]+\}$/);
  // The Collector does not forward the instances' headers: Langfuse's v4 ingestion needs this one.
  assert.equal(exporter.headers["x-langfuse-ingestion-version"], "4");
  assert.equal(exporter.retry_on_failure.enabled, true);
  assert.equal(exporter.sending_queue.storage, "file_storage");
  assert.ok(config.extensions.file_storage.directory);
});

test("the traces pipeline wires receiver, processors and exporter that all exist", () => {
  const p = config.service.pipelines.traces;
  for (const r of p.receivers) assert.ok(config.receivers[r], r);
  for (const x of p.processors) assert.ok(config.processors[x], x);
  for (const e of p.exporters) assert.ok(config.exporters[e], e);
  for (const ext of config.service.extensions) assert.ok(config.extensions[ext], ext);
});

test("docs/deployment.md shows exactly this file", () => {
  assert.ok(readFileSync("docs/deployment.md", "utf8").includes(text));
});
