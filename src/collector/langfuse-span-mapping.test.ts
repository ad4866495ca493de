// Langfuse's reading of individual span attributes, without HTTP.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mapSpan } from "./langfuse-span-mapping.js";
import type { OtlpAttributes, OtlpSpan } from "./otlp-span.js";

function span(attributes: OtlpAttributes, extra: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId: "0".repeat(31) + "1",
    spanId: "0".repeat(15) + "2",
    parentSpanId: "0".repeat(15) + "3",
    name: "op",
    kind: 1,
    startTime: "2025-01-01T00:00:00.000Z",
    endTime: "2025-01-01T00:00:01.000Z",
    attributes,
    statusCode: 0,
    statusMessage: null,
    origin: { resourceAttributes: {}, scopeName: "s", scopeVersion: "" },
    ...extra,
  };
}

test("observation type: explicit Langfuse type, then gen_ai / openinference hints, then model, else SPAN", () => {
  assert.equal(mapSpan(span({ "langfuse.observation.type": "tool" })).observation.type, "TOOL");
  assert.equal(mapSpan(span({ "langfuse.observation.type": "chain" })).observation.type, "CHAIN");
  assert.equal(mapSpan(span({ "langfuse.observation.type": "span", model: "m" })).observation.type, "SPAN");
  assert.equal(mapSpan(span({ "openinference.span.kind": "LLM" })).observation.type, "GENERATION");
  assert.equal(mapSpan(span({ "gen_ai.operation.name": "execute_tool" })).observation.type, "TOOL");
  assert.equal(mapSpan(span({ "gen_ai.response.model": "m" })).observation.type, "GENERATION");
  assert.equal(mapSpan(span({ "langfuse.observation.type": "bogus" })).observation.type, "SPAN");
  assert.equal(mapSpan(span({})).observation.type, "SPAN");
});

test("level: explicit level wins, an OTel error status means ERROR", () => {
  assert.equal(mapSpan(span({ "langfuse.observation.level": "DEBUG" })).observation.level, "DEBUG");
  assert.equal(mapSpan(span({}, { statusCode: 2, statusMessage: "boom" })).observation.level, "ERROR");
  assert.equal(mapSpan(span({}, { statusCode: 2, statusMessage: "boom" })).observation.statusMessage, "boom");
  assert.equal(mapSpan(span({})).observation.level, "DEFAULT");
});

test("completion start time accepts the SDK's double-stringified Date", () => {
  const iso = "2025-01-01T00:00:00.250Z";
  assert.equal(mapSpan(span({ "langfuse.observation.completion_start_time": JSON.stringify(iso) })).observation.completionStartTime, iso);
  assert.equal(mapSpan(span({ "langfuse.observation.completion_start_time": iso })).observation.completionStartTime, iso);
  assert.equal(mapSpan(span({ "langfuse.observation.completion_start_time": "nonsense" })).observation.completionStartTime, null);
});

test("metadata merges the whole-object attribute with per-key ones, restoring nested JSON", () => {
  const { observation } = mapSpan(
    span({
      "langfuse.observation.metadata": '{"a":1}',
      "langfuse.observation.metadata.b": '{"nested":true}',
      "langfuse.observation.metadata.c": "plain",
    }),
  );
  assert.deepEqual(JSON.parse(observation.metadata!), { a: 1, b: { nested: true }, c: "plain" });
});

test("trace facts: a root span names the trace; langfuse.internal.as_root makes a child a root", () => {
  const root = mapSpan(span({}, { parentSpanId: null, name: "request" })).trace;
  assert.equal(root.isRoot, true);
  assert.equal(root.rootName, "request");
  const child = mapSpan(span({ "langfuse.trace.name": "chat", "langfuse.user.id": "u" })).trace;
  assert.equal(child.isRoot, false);
  assert.equal(child.rootName, null);
  assert.equal(child.explicitName, "chat");
  assert.equal(child.userId, "u");
  assert.equal(mapSpan(span({ "langfuse.internal.as_root": true })).trace.isRoot, true);
});

test("environment and release come from the span, else the resource; environment defaults to 'default'", () => {
  const fromResource = mapSpan(
    span({}, { origin: { resourceAttributes: { "deployment.environment": "staging", "langfuse.release": "v2" }, scopeName: "", scopeVersion: "" } }),
  );
  assert.equal(fromResource.observation.environment, "staging");
  assert.equal(fromResource.trace.release, "v2");
  assert.equal(mapSpan(span({ "langfuse.environment": "prod" })).observation.environment, "prod");
  assert.equal(mapSpan(span({})).observation.environment, "default");
});

test("tags read from arrays, JSON arrays and comma lists", () => {
  assert.deepEqual(mapSpan(span({ "langfuse.trace.tags": ["a", "b"] })).trace.tags, ["a", "b"]);
  assert.deepEqual(mapSpan(span({ "langfuse.trace.tags": '["a","b"]' })).trace.tags, ["a", "b"]);
  assert.deepEqual(mapSpan(span({ "langfuse.trace.tags": "a, b" })).trace.tags, ["a", "b"]);
  assert.deepEqual(mapSpan(span({ "langfuse.trace.tags": "solo" })).trace.tags, ["solo"]);
});
