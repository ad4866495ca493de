// Langfuse v4's reading of individual span attributes into one row, without HTTP.
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
  assert.equal(mapSpan(span({ "langfuse.observation.type": "tool" })).type, "TOOL");
  assert.equal(mapSpan(span({ "langfuse.observation.type": "chain" })).type, "CHAIN");
  assert.equal(mapSpan(span({ "langfuse.observation.type": "span", model: "m" })).type, "SPAN");
  assert.equal(mapSpan(span({ "openinference.span.kind": "LLM" })).type, "GENERATION");
  assert.equal(mapSpan(span({ "gen_ai.operation.name": "execute_tool" })).type, "TOOL");
  assert.equal(mapSpan(span({ "gen_ai.response.model": "m" })).type, "GENERATION");
  assert.equal(mapSpan(span({ "langfuse.observation.type": "bogus" })).type, "SPAN");
  assert.equal(mapSpan(span({})).type, "SPAN");
});

test("level: explicit level wins, an OTel error status means ERROR", () => {
  assert.equal(mapSpan(span({ "langfuse.observation.level": "DEBUG" })).level, "DEBUG");
  assert.equal(mapSpan(span({}, { statusCode: 2, statusMessage: "boom" })).level, "ERROR");
  assert.equal(mapSpan(span({}, { statusCode: 2, statusMessage: "boom" })).statusMessage, "boom");
  assert.equal(mapSpan(span({})).level, "DEFAULT");
});

test("completion start time accepts the SDK's double-stringified Date", () => {
  const iso = "2025-01-01T00:00:00.250Z";
  assert.equal(
    mapSpan(span({ "langfuse.observation.completion_start_time": JSON.stringify(iso) })).completionStartTime,
    iso,
  );
  assert.equal(mapSpan(span({ "langfuse.observation.completion_start_time": iso })).completionStartTime, iso);
  assert.equal(mapSpan(span({ "langfuse.observation.completion_start_time": "nonsense" })).completionStartTime, null);
});

test("metadata merges the whole-object attribute with per-key ones, restoring nested JSON", () => {
  const observation = mapSpan(
    span({
      "langfuse.observation.metadata": '{"a":1}',
      "langfuse.observation.metadata.b": '{"nested":true}',
      "langfuse.observation.metadata.c": "plain",
    }),
  );
  assert.deepEqual(JSON.parse(observation.metadata!), { a: 1, b: { nested: true }, c: "plain" });
});

test("trace context is read from the span's own attributes: user, session, name, tags, release, version, metadata", () => {
  const row = mapSpan(
    span(
      {
        "user.id": "u",
        "session.id": "s",
        "langfuse.trace.name": "chat",
        "langfuse.trace.tags": ["endpoint:chat"],
        "langfuse.trace.metadata.tenant": "acme",
        "langfuse.observation.metadata.step": "1",
        "langfuse.release": "r1",
        "langfuse.version": "v1",
        "langfuse.trace.public": true,
      },
      { origin: { resourceAttributes: { "service.version": "svc" }, scopeName: "s", scopeVersion: "" } },
    ),
  );
  assert.equal(row.userId, "u");
  assert.equal(row.sessionId, "s");
  assert.equal(row.traceName, "chat");
  assert.deepEqual(JSON.parse(row.tags), ["endpoint:chat"]);
  assert.deepEqual(JSON.parse(row.traceMetadata!), { tenant: "acme" });
  assert.deepEqual(JSON.parse(row.metadata!), { step: "1" }, "trace metadata stays out of the observation metadata");
  assert.equal(row.release, "r1");
  assert.equal(row.version, "v1");
  assert.equal(row.public, true);

  // A span that carries none of them has none: v4 copies nothing from other spans.
  const bare = mapSpan(span({}));
  assert.equal(bare.userId, null);
  assert.equal(bare.sessionId, null);
  assert.equal(bare.traceName, null);
  assert.equal(bare.tags, "[]");
  assert.equal(bare.traceMetadata, null);
  assert.equal(bare.public, null);
  assert.equal(bare.version, null);
});

test("user and session fall back as Langfuse reads them: langfuse.*, OTel, metadata keys, gen_ai conversation", () => {
  assert.equal(mapSpan(span({ "langfuse.user.id": "a", "user.id": "b" })).userId, "a");
  assert.equal(mapSpan(span({ "langfuse.trace.metadata.langfuse_user_id": "m" })).userId, "m");
  assert.equal(mapSpan(span({ "gen_ai.conversation.id": "c" })).sessionId, "c");
  assert.equal(mapSpan(span({ "langfuse.session.id": "x", "session.id": "y" })).sessionId, "x");
  assert.deepEqual(JSON.parse(mapSpan(span({ "langfuse.trace.metadata.langfuse_tags": '["t"]' })).tags), ["t"]);
});

test("roots: no parent, langfuse.internal.as_root or an app root; an app root keeps its parent", () => {
  assert.equal(mapSpan(span({}, { parentSpanId: null })).isRoot, true);
  assert.equal(mapSpan(span({})).isRoot, false);
  assert.equal(mapSpan(span({ "langfuse.internal.as_root": true })).isRoot, true);
  const appRoot = mapSpan(span({ "langfuse.internal.is_app_root": "true" }));
  assert.equal(appRoot.isRoot, true);
  assert.equal(appRoot.isAppRoot, true);
  assert.equal(appRoot.parentObservationId, "0".repeat(15) + "3");
  // Legacy trace I/O is kept apart from the observation's own.
  const legacy = mapSpan(span({ "langfuse.trace.input": '"q"', "langfuse.observation.input": '"i"' }));
  assert.equal(legacy.traceInput, '"q"');
  assert.equal(legacy.input, '"i"');
});

test("environment and release come from the span, else the resource; environment defaults to 'default'", () => {
  const fromResource = mapSpan(
    span(
      {},
      {
        origin: {
          resourceAttributes: { "deployment.environment": "staging", "langfuse.release": "v2" },
          scopeName: "",
          scopeVersion: "",
        },
      },
    ),
  );
  assert.equal(fromResource.environment, "staging");
  assert.equal(fromResource.release, "v2");
  assert.equal(mapSpan(span({ "langfuse.environment": "prod" })).environment, "prod");
  assert.equal(mapSpan(span({})).environment, "default");
});

test("tags read from arrays, JSON arrays and comma lists", () => {
  const tags = (value: unknown) => JSON.parse(mapSpan(span({ "langfuse.trace.tags": value })).tags) as string[];
  assert.deepEqual(tags(["a", "b"]), ["a", "b"]);
  assert.deepEqual(tags('["a","b"]'), ["a", "b"]);
  assert.deepEqual(tags("a, b"), ["a", "b"]);
  assert.deepEqual(tags("solo"), ["solo"]);
  assert.deepEqual(JSON.parse(mapSpan(span({ "langfuse.tags": "legacy" })).tags), ["legacy"]);
});

test("prompt link: only on generations, as Langfuse links it, from the SDK's keys and their fallbacks", () => {
  const generation = { "langfuse.observation.type": "generation" };
  const link = (attributes: OtlpAttributes) => {
    const row = mapSpan(span(attributes));
    return [row.promptName, row.promptVersion];
  };
  assert.deepEqual(
    link({ ...generation, "langfuse.observation.prompt.name": "classifier", "langfuse.observation.prompt.version": 3 }),
    ["classifier", 3],
  );
  // OtelIngestionProcessor: canLinkPrompt = type is GENERATION; any other observation links nothing.
  assert.deepEqual(
    link({
      "langfuse.observation.type": "agent",
      "langfuse.observation.prompt.name": "classifier",
      "langfuse.observation.prompt.version": 3,
    }),
    [null, null],
  );
  assert.deepEqual(
    link({ "langfuse.observation.prompt.name": "classifier", "langfuse.observation.prompt.version": 3 }),
    [null, null],
    "a plain span",
  );
  // Fallbacks: the older `langfuse.prompt.*` keys, then the Vercel AI SDK's telemetry metadata.
  assert.deepEqual(link({ ...generation, "langfuse.prompt.name": "old", "langfuse.prompt.version": "2" }), ["old", 2]);
  assert.deepEqual(link({ ...generation, "ai.telemetry.metadata.langfusePrompt": '{"name":"ai-sdk","version":5}' }), [
    "ai-sdk",
    5,
  ]);
  // The version as the events table keeps it (parseUInt16): an integer from 0 to 65535, else none.
  assert.deepEqual(
    link({ ...generation, "langfuse.observation.prompt.name": "p", "langfuse.observation.prompt.version": "7.9" }),
    ["p", 7],
  );
  assert.deepEqual(
    link({ ...generation, "langfuse.observation.prompt.name": "p", "langfuse.observation.prompt.version": 70000 }),
    ["p", null],
  );
  assert.deepEqual(
    link({ ...generation, "langfuse.observation.prompt.name": "p", "langfuse.observation.prompt.version": -1 }),
    ["p", null],
  );
});
