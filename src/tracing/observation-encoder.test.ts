// The encoder's cut of JSON fields: a value that is plain data already is cut as it is, without
// its JSON made whole and parsed again; what users see must not depend on which way it went.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { decodeOtlpProtobuf } from "../receiver/otlp-protobuf-decoder.js";
import { OtlpProtobufFormat } from "./encoding/otlp-protobuf-format.js";
import { ProtobufWriter } from "./encoding/protobuf-writer.js";
import { createMasker } from "./masking/create-masker.js";
import { ObservationEncoder } from "./observation-encoder.js";
import { truncatedJson } from "./field-truncation.js";
import { toJsonValue } from "./to-text.js";
import { OK } from "./trace-contract.js";

const MARKER = /…\[truncated by switchboard: (\d+) chars\]/;
const FORMAT = new OtlpProtobufFormat({ serviceName: "test", serviceVersion: "0.0.0" });
const COMMON = {
  traceId: "a".repeat(32),
  spanId: "b".repeat(16),
  parentSpanId: "c".repeat(16),
  startMs: 1,
  endMs: 2,
  shared: new Uint8Array(0),
  routing: undefined,
  outcome: OK,
};

function encoderFor(maxFieldChars: number, mask?: string) {
  return new ObservationEncoder(
    { maxFieldChars, captureIo: true, legacyTraceIo: false, maxBatchBytes: 1_000_000 },
    { mask: mask ? createMasker(mask, undefined) : undefined },
  );
}

/** The span's attributes, as a receiver decodes them. */
function attributesOf(write: (target: ProtobufWriter) => void): Record<string, unknown> {
  const target = new ProtobufWriter();
  write(target);
  const body = Buffer.concat(FORMAT.body(target.buf.subarray(0, target.pos)));
  return decodeOtlpProtobuf(body)[0]!.attributes;
}

const nodeInput = (encoder: ObservationEncoder, input: Record<string, unknown>) =>
  attributesOf((t) =>
    encoder.node({ ...COMMON, name: "n", type: "chain", input, metadata: { input }, langgraphStep: undefined }, t),
  );

/** The same data the way a user may hand it over: an instance of a class, and an object with toJSON. */
class Snapshot {
  constructor(data: Record<string, unknown>) {
    Object.assign(this, data);
  }
}
const viaToJson = (data: Record<string, unknown>) => ({ toJSON: () => data });

test("a node input reads as its JSON round trip cut, whether it is plain data, a class instance or has toJSON; it is left as it was", () => {
  const email = "bob.smith@example.com";
  const quoted = `say "hi" \\ ${email}\n`;
  // Strings alone past the cap; within it but escapes past it; fits whole.
  const inputs = [
    { messages: [{ role: "user", content: quoted.repeat(2000) }], step: 3, flags: [true, null, 1.5] },
    { notes: ['"'.repeat(300), "short"], nested: { deeper: { text: `${email} ${'"'.repeat(150)}` } } },
    { messages_count: 2, current_intent: "billing", who: email },
    { messages: [new HumanMessage(quoted.repeat(1000)), new AIMessage("Which order?")], at: new Date(0) },
  ];
  for (const cap of [500, 20_000])
    for (const mask of [undefined, "email"])
      for (const input of inputs) {
        const before = JSON.stringify(input);
        const plain = nodeInput(encoderFor(cap, mask), input);
        // What the encoder made of it before it took values as data: the whole JSON, parsed again.
        const masker = mask ? createMasker(mask, undefined) : undefined;
        const expected =
          before.length <= cap ? (masker ? masker(before) : before) : truncatedJson(toJsonValue(input), cap, masker);
        assert.equal(plain["langfuse.observation.input"], expected, `cap ${cap}, mask ${mask}`);
        assert.equal(JSON.stringify(input), before, "the caller's input is not changed");
        for (const other of [new Snapshot(input) as unknown as Record<string, unknown>, viaToJson(input)])
          assert.deepEqual(nodeInput(encoderFor(cap, mask), other), plain, `cap ${cap}, mask ${mask}`);
        for (const key of ["langfuse.observation.input", "langfuse.observation.metadata.input"]) {
          const text = plain[key] as string;
          assert.ok(text.length <= cap, `${key}: ${text.length} > ${cap}`);
          assert.equal(mask !== undefined && text.includes(email), false, "masked");
          if (before.length > cap) assert.match(text, MARKER);
        }
      }
});

test("a message whose content is plain content parts is cut as the same parts given as instances, and left as it was", () => {
  const parts = [
    { type: "text", text: "Look at this: ".repeat(3000) },
    { type: "image_url", image_url: { url: `data:image/png;base64,${"A".repeat(30_000)}` } },
  ];
  const generation = (content: unknown) =>
    attributesOf((t) =>
      encoderFor(20_000).generation(
        {
          ...COMMON,
          name: "g",
          model: "m",
          parametersJson: undefined,
          messages: [
            { role: "system", content: "You are the orders desk." },
            { role: "user", content },
          ],
          reply: { content, toolCallsJson: '[{"id":"call_1","type":"function"}]' },
          usageJson: undefined,
          completionStartMs: undefined,
          prompt: undefined,
        },
        t,
      ),
    );
  const before = JSON.stringify(parts);
  const plain = generation(parts);
  assert.equal(JSON.stringify(parts), before, "the caller's content is not changed");
  assert.deepEqual(generation(parts.map((p) => new Snapshot(p))), plain);
  const input = JSON.parse(plain["langfuse.observation.input"] as string) as { content: unknown }[];
  assert.equal(input[0]!.content, "You are the orders desk.");
  const cut = input[1]!.content as { text: string }[];
  assert.equal(MARKER.exec(cut[0]!.text)?.[1], String(parts[0]!.text!.length));
  const output = JSON.parse(plain["langfuse.observation.output"] as string) as { tool_calls: unknown };
  assert.deepEqual(output.tool_calls, [{ id: "call_1", type: "function" }]);
});
