// The benchmark's counting endpoint reads span counts from real OTLP/protobuf bodies (encoded by
// OpenTelemetry's own serializer) and JSON bodies, counts body bytes, and refuses other keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { countProtobufSpans, startCountingReceiver } from "./counting-receiver.js";

function encodedSpans(n: number): Uint8Array {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer("bench-test");
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan(`span ${i}`, { attributes: { "langfuse.observation.input": "x".repeat(300 * i) } });
    span.end();
  }
  return ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!;
}

test("spans and bytes of protobuf and JSON bodies are counted; another key is refused and not counted", async () => {
  assert.equal(countProtobufSpans(Buffer.from(encodedSpans(7))), 7);
  const receiver = await startCountingReceiver();
  try {
    const url = `${receiver.baseUrl}/api/public/otel/v1/traces`;
    const auth = `Basic ${Buffer.from(`${receiver.publicKey}:${receiver.secretKey}`).toString("base64")}`;
    const body = encodedSpans(3);
    const post = (authorization: string, contentType: string, payload: Uint8Array | string) =>
      fetch(url, { method: "POST", headers: { authorization, "content-type": contentType }, body: payload });
    assert.equal((await post(auth, "application/x-protobuf", body)).status, 200);
    const json = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{}, {}] }, { spans: [{}] }] }] });
    assert.equal((await post(auth, "application/json", json)).status, 200);
    await receiver.untilSpans(6, 1000);
    assert.equal(receiver.spans, 6);
    assert.equal(receiver.bytes, body.byteLength + Buffer.byteLength(json));
    const wrong = `Basic ${Buffer.from(`${receiver.publicKey}:not-the-secret`).toString("base64")}`;
    assert.equal((await post(wrong, "application/x-protobuf", body)).status, 401);
    assert.equal(receiver.spans, 6);
    await assert.rejects(receiver.untilSpans(7, 50), /6 of 7 spans/);
  } finally {
    await receiver.close();
  }
});
