// Both wire formats carry the same spans: what the receiver (decoding as Langfuse does: JSON, or
// protobuf through protobufjs and the OTLP schema) reads from a protobuf body equals what it
// reads from the JSON body of the same records.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeOtlpJson } from "../../receiver/otlp-json-decoder.js";
import { decodeOtlpProtobuf } from "../../receiver/otlp-protobuf-decoder.js";
import { exportTraceServiceRequestType } from "../../receiver/otlp-trace-proto.js";
import { OtlpJsonFormat } from "./otlp-json-format.js";
import { OtlpProtobufFormat } from "./otlp-protobuf-format.js";
import type { AttributeValue, SpanRecord } from "./span-format.js";

const RESOURCE = { serviceName: "switchboard", serviceVersion: "1.2.3" };
const json = new OtlpJsonFormat(RESOURCE);
const proto = new OtlpProtobufFormat(RESOURCE);

type Record_ = Omit<SpanRecord, "shared"> & { shared: Record<string, AttributeValue | undefined>[] };

function both(records: Record_[]) {
  const j = records.map((r) => json.encodeSpan({ ...r, shared: r.shared.map((s) => json.encodeAttributes(s)) }));
  const p = records.map((r) => proto.encodeSpan({ ...r, shared: r.shared.map((s) => proto.encodeAttributes(s)) }));
  return {
    fromJson: decodeOtlpJson(JSON.parse(json.body(json.join(j)) as string)),
    fromProto: decodeOtlpProtobuf(proto.body(proto.join(p)) as Uint8Array),
    json: j,
    proto: p,
  };
}

const record = (over: Partial<Record_> = {}): Record_ => ({
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  parentSpanId: "00f067aa0ba902b7",
  name: "agent_reply",
  startMs: 1_764_400_000_123.25,
  endMs: 1_764_400_000_456.5,
  shared: [{ "user.id": "张三", "session.id": "s-1", "langfuse.trace.tags": ["endpoint:chat", "x"] }],
  attributes: {
    "langfuse.observation.type": "generation",
    "langfuse.observation.input": JSON.stringify([{ role: "user", content: 'Where is "my" order?\n' }]),
    "langfuse.observation.usage_details": '{"input":10,"output":2,"total":12}',
    count: 42,
    ratio: 0.25,
    flag: true,
    skipped: undefined,
  },
  ...over,
});

describe("OTLP protobuf and JSON carry the same spans", () => {
  test("a generation with every kind of attribute value", () => {
    const { fromJson, fromProto } = both([record()]);
    assert.equal(fromProto.length, 1);
    assert.deepEqual({ ...fromProto[0], origin: undefined }, { ...fromJson[0], origin: undefined });
    assert.equal(fromProto[0]!.origin.scopeName, "langfuse-sdk");
    assert.deepEqual(fromProto[0]!.origin.resourceAttributes, fromJson[0]!.origin.resourceAttributes);
    assert.equal(fromProto[0]!.attributes["skipped"], undefined);
    assert.equal(fromProto[0]!.attributes["user.id"], "张三");
  });

  test("a root span (no parent) with an error status", () => {
    const { fromJson, fromProto } = both([record({ parentSpanId: undefined, errorMessage: "Error: upstream 500 ✗" })]);
    assert.deepEqual({ ...fromProto[0], origin: undefined }, { ...fromJson[0], origin: undefined });
    assert.equal(fromProto[0]!.parentSpanId, null);
    assert.equal(fromProto[0]!.statusCode, 2);
  });

  test("random spans (fast-check): identical after decoding; a payload splits back into its spans", () => {
    const value = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.boolean(),
      fc.nat(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.array(fc.string({ unit: "grapheme" }), { maxLength: 4 }),
    );
    const attrs = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 30 }).filter((k) => !k.includes("\u0000")),
      value,
      { maxKeys: 8 },
    );
    const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString("hex"));
    const span = fc.record({
      traceId: hex(16),
      spanId: hex(8),
      parentSpanId: fc.option(hex(8), { nil: undefined }),
      name: fc.string({ unit: "grapheme", maxLength: 40 }),
      startMs: fc.double({ min: 1e12, max: 2e12, noNaN: true }),
      endMs: fc.double({ min: 1e12, max: 2e12, noNaN: true }),
      shared: fc.array(attrs, { maxLength: 2 }),
      attributes: attrs,
      errorMessage: fc.option(fc.string({ unit: "grapheme" }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(span, { minLength: 1, maxLength: 5 }), (spans) => {
        // Doubles that are whole numbers are ints in both encodings; -0 is not distinguishable in JSON.
        const { fromJson, fromProto, proto: parts } = both(spans as Record_[]);
        assert.deepEqual(
          fromProto.map((s) => ({ ...s, origin: undefined })),
          fromJson.map((s) => ({ ...s, origin: undefined })),
        );
        const payload = proto.join(parts);
        assert.deepEqual(
          proto.split(payload).map((b) => Buffer.from(b).toString("hex")),
          parts.map((b) => Buffer.from(b).toString("hex")),
        );
      }),
      { numRuns: 300 },
    );
  });

  test("timestamps keep nanoseconds exactly (fixed64, as the JSON's decimal string)", () => {
    const r = record({ startMs: 1_764_400_000_000.25, endMs: 1_764_400_000_999.125 });
    const body = proto.body(proto.join([proto.encodeSpan({ ...r, shared: [] })])) as Uint8Array;
    const decoded = exportTraceServiceRequestType.toObject(exportTraceServiceRequestType.decode(body), {
      longs: String,
    }) as { resourceSpans: { scopeSpans: { spans: { startTimeUnixNano: string; endTimeUnixNano: string }[] }[] }[] };
    const span = decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    const fromJson = JSON.parse(json.encodeSpan({ ...r, shared: [] })) as {
      startTimeUnixNano: string;
      endTimeUnixNano: string;
    };
    assert.equal(span.startTimeUnixNano, "1764400000000250000");
    assert.equal(span.startTimeUnixNano, fromJson.startTimeUnixNano);
    assert.equal(span.endTimeUnixNano, fromJson.endTimeUnixNano);
  });
});
