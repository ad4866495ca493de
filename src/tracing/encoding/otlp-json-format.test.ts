import { test } from "node:test";
import assert from "node:assert/strict";
import { LANGFUSE_SDK_VERSION, LANGFUSE_TRACER_NAME } from "@langfuse/core";
import { decodeOtlpJson } from "../../receiver/otlp-json-decoder.js";
import { toIsoString, toUnixNanoString } from "../otlp-time.js";
import { OtlpJsonFormat } from "./otlp-json-format.js";
import type { SpanRecord } from "./span-format.js";

const format = new OtlpJsonFormat({ serviceName: "switchboard", serviceVersion: "9.9.9" });
const encodeSpan = (span: SpanRecord<string>) => format.encodeSpan(span);

const base: SpanRecord<string> = {
  traceId: "0123456789abcdef0123456789abcdef",
  spanId: "0123456789abcdef",
  parentSpanId: "fedcba9876543210",
  name: "route_node",
  startMs: 1_700_000_000_123.25,
  endMs: 1_700_000_000_456.5,
  attributes: {},
};

test("a span is one valid OTLP/JSON span object with typed attribute values", () => {
  const text = encodeSpan({
    ...base,
    attributes: {
      s: 'quote " backslash \\ newline \n emoji 😀 中文',
      i: 42,
      d: 0.25,
      t: true,
      f: false,
      arr: ["endpoint:chat", "x"],
      skipped: undefined,
    },
  });
  const span = JSON.parse(text);
  assert.equal(span.traceId, base.traceId);
  assert.equal(span.spanId, base.spanId);
  assert.equal(span.parentSpanId, base.parentSpanId);
  assert.equal(span.name, "route_node");
  assert.equal(span.kind, 1);
  assert.equal(span.startTimeUnixNano, "1700000000123250000");
  assert.equal(span.endTimeUnixNano, "1700000000456500000");
  assert.deepEqual(span.status, { code: 0 });
  const attrs = Object.fromEntries(span.attributes.map((a: { key: string; value: unknown }) => [a.key, a.value]));
  assert.deepEqual(attrs, {
    s: { stringValue: 'quote " backslash \\ newline \n emoji 😀 中文' },
    i: { intValue: "42" },
    d: { doubleValue: 0.25 },
    t: { boolValue: true },
    f: { boolValue: false },
    arr: { arrayValue: { values: [{ stringValue: "endpoint:chat" }, { stringValue: "x" }] } },
  });
});

test("a root span has no parentSpanId; a failed one has status ERROR with its message", () => {
  const span = JSON.parse(encodeSpan({ ...base, parentSpanId: undefined, errorMessage: 'Error: "bad"' }));
  assert.ok(!("parentSpanId" in span));
  assert.deepEqual(span.status, { code: 2, message: 'Error: "bad"' });
});

test("a batch in the envelope decodes with the receiver's OTLP/JSON decoder, under Langfuse's scope", () => {
  const spans = [
    encodeSpan({ ...base, parentSpanId: undefined, name: "chat", attributes: { "user.id": "u1" } }),
    encodeSpan({
      ...base,
      spanId: "1111111111111111",
      parentSpanId: base.spanId,
      attributes: { "langfuse.observation.type": "span" },
    }),
  ];
  const body = JSON.parse(format.body(format.join(spans)));
  assert.equal(body.resourceSpans[0].scopeSpans[0].scope.name, LANGFUSE_TRACER_NAME);
  assert.equal(body.resourceSpans[0].scopeSpans[0].scope.version, LANGFUSE_SDK_VERSION);
  const decoded = decodeOtlpJson(body);
  assert.equal(decoded.length, 2);
  const [root, child] = decoded;
  assert.equal(root!.name, "chat");
  assert.equal(root!.parentSpanId, null);
  assert.equal(root!.attributes["user.id"], "u1");
  assert.equal(child!.parentSpanId, base.spanId);
  assert.equal(child!.attributes["langfuse.observation.type"], "span");
  assert.equal(root!.origin.resourceAttributes["service.name"], "switchboard");
  assert.equal(root!.origin.resourceAttributes["service.version"], "9.9.9");
  assert.equal(root!.origin.scopeName, LANGFUSE_TRACER_NAME);
});

test("epoch milliseconds become exact nanosecond strings (beyond 2^53) and ISO strings", () => {
  assert.equal(toUnixNanoString(0), "0000000");
  assert.equal(toUnixNanoString(1), "1000000");
  assert.equal(toUnixNanoString(1_700_000_000_000), "1700000000000000000");
  // A fraction that rounds up to a whole millisecond carries into the millisecond part.
  assert.equal(toUnixNanoString(1_000.9999999), "1001000000");
  assert.equal(toIsoString(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
});
