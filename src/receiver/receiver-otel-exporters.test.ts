// Bodies from the real OpenTelemetry OTLP exporters (JSON and protobuf, gzip on and off) reach
// the store intact: ids, parent links, timestamps, every attribute value type.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ROOT_CONTEXT, trace, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { OTLPTraceExporter as OTLPJsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OTLPProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { startReceiver, type Receiver } from "./receiver.js";
import { DEV_AUTH, getJson, TEST_TIMEOUT_MS } from "../../test/support/receiver-http.js";

type Compression = NonNullable<NonNullable<ConstructorParameters<typeof OTLPJsonExporter>[0]>["compression"]>;

function makeExporter(receiver: Receiver, format: "json" | "protobuf", gzip: boolean): SpanExporter {
  const config = {
    url: `${receiver.url}/api/public/otel/v1/traces`,
    headers: { Authorization: DEV_AUTH },
    compression: (gzip ? "gzip" : "none") as Compression,
    timeoutMillis: 5_000,
  };
  return format === "json" ? new OTLPJsonExporter(config) : new OTLPProtoExporter(config);
}

/** One trace: a root request span with trace attributes, a generation child, an errored grandchild. */
function emitTrace(tracer: Tracer): { traceId: string; rootId: string; generationId: string; toolId: string } {
  const root = tracer.startSpan("request", {
    attributes: {
      "langfuse.trace.name": "chat",
      "user.id": "user-1",
      "session.id": "session-1",
      "langfuse.trace.tags": ["alpha", "beta"],
      "langfuse.trace.input": JSON.stringify({ message: "hi" }),
      "langfuse.trace.output": "hello there",
      "langfuse.trace.metadata.tenant": "acme",
    },
  });
  const rootContext = trace.setSpan(ROOT_CONTEXT, root);
  const generation = tracer.startSpan(
    "classifier",
    {
      attributes: {
        "langfuse.observation.type": "generation",
        "langfuse.observation.model.name": "sim-model",
        "langfuse.observation.usage_details": JSON.stringify({ input: 12, output: 3 }),
        "langfuse.observation.input": JSON.stringify([{ role: "user", content: "hi" }]),
        "langfuse.observation.output": JSON.stringify({ intent: "billing" }),
        "langfuse.observation.metadata.intent_type": "billing",
        "an.int": 42,
        "a.double": 0.25,
        "a.bool": true,
        "an.array": ["x", "y"],
      },
    },
    rootContext,
  );
  const tool = tracer.startSpan("lookup", {}, trace.setSpan(rootContext, generation));
  tool.setStatus({ code: SpanStatusCode.ERROR, message: "lookup failed" });
  tool.end();
  generation.end();
  root.end();
  return {
    traceId: root.spanContext().traceId,
    rootId: root.spanContext().spanId,
    generationId: generation.spanContext().spanId,
    toolId: tool.spanContext().spanId,
  };
}

for (const format of ["json", "protobuf"] as const) {
  for (const gzip of [false, true]) {
    test(
      `OTLP ${format} exporter, gzip ${gzip ? "on" : "off"}: spans stored and served as a Langfuse trace`,
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const receiver = await startReceiver({ port: 0 });
        const provider = new BasicTracerProvider({
          spanProcessors: [new BatchSpanProcessor(makeExporter(receiver, format, gzip))],
        });
        try {
          const ids = emitTrace(provider.getTracer("exporter-test"));
          await provider.forceFlush();

          const stats = receiver.stats();
          assert.equal(stats.requests.byStatus["200"], 1, JSON.stringify(stats));
          assert.equal(stats.spans.received, 3);
          assert.equal(stats.spans.duplicates, 0);
          assert.ok(stats.bytes.received > 0);
          if (gzip) assert.notEqual(stats.bytes.decoded, stats.bytes.received, "body was gzip-compressed");
          else assert.equal(stats.bytes.decoded, stats.bytes.received);

          const { status, body: t } = await getJson(receiver, `/api/public/traces/${ids.traceId}`);
          assert.equal(status, 200);
          assert.equal(t.id, ids.traceId);
          assert.equal(t.name, "chat");
          assert.equal(t.userId, "user-1");
          assert.equal(t.sessionId, "session-1");
          assert.deepEqual(t.tags, ["alpha", "beta"]);
          assert.deepEqual(t.input, { message: "hi" });
          assert.equal(t.output, "hello there");
          assert.deepEqual(t.metadata, { tenant: "acme" });
          assert.match(t.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

          const byId = new Map<string, any>(t.observations.map((observation: any) => [observation.id, observation]));
          assert.equal(byId.size, 3);
          const root = byId.get(ids.rootId);
          const generation = byId.get(ids.generationId);
          const tool = byId.get(ids.toolId);
          assert.equal(root.parentObservationId, null);
          assert.equal(root.type, "SPAN");
          assert.equal(generation.parentObservationId, ids.rootId);
          assert.equal(generation.type, "GENERATION");
          assert.equal(generation.model, "sim-model");
          assert.deepEqual(generation.usageDetails, { input: 12, output: 3, total: 15 });
          assert.deepEqual(generation.usage, { input: 12, output: 3, total: 15, unit: "TOKENS" });
          assert.deepEqual(generation.input, [{ role: "user", content: "hi" }]);
          assert.deepEqual(generation.output, { intent: "billing" });
          assert.deepEqual(generation.metadata, { intent_type: "billing" });
          assert.equal(tool.parentObservationId, ids.generationId);
          assert.equal(tool.level, "ERROR");
          assert.equal(tool.statusMessage, "lookup failed");
          assert.ok(Date.parse(generation.endTime) >= Date.parse(generation.startTime));

          const raw = await getJson(receiver, `/_receiver/spans?traceId=${ids.traceId}`);
          const rawGeneration = raw.body.data.find((r: any) => r.id === ids.generationId);
          assert.equal(rawGeneration.attributes["an.int"], 42);
          assert.equal(rawGeneration.attributes["a.double"], 0.25);
          assert.equal(rawGeneration.attributes["a.bool"], true);
          assert.deepEqual(rawGeneration.attributes["an.array"], ["x", "y"]);
          assert.equal(
            rawGeneration.attributes["langfuse.observation.input"],
            JSON.stringify([{ role: "user", content: "hi" }]),
          );
          assert.equal(rawGeneration.attributes["_receiver.omitted"], undefined);
          assert.equal(rawGeneration.scope_name, "exporter-test");
          assert.equal(typeof rawGeneration.resource_attributes["service.name"], "string");
        } finally {
          await provider.shutdown().catch(() => {});
          await receiver.close();
        }
      },
    );
  }
}
