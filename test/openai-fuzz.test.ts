// Property-based tests of the OpenAI-compatible endpoints over real HTTP: whatever parameters
// arrive (wrong types, out of range, nested, unicode, prototype names), the answer is a 200 or a
// 4xx in OpenAI's error shape naming the parameter, never a 500; a stream never fails
// internally, and a 200 has the body OpenAI's clients read. Every turn is traced to a local
// receiver. Bounded by FUZZ_RUNS (default 3000 -> 750 requests per endpoint, ~6 s); the count
// printed is of requests actually sent and answered.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { assertRan, propertyRuns } from "./support/property-runs.js";
import { startService, type RunningService } from "./support/start-service.js";
import { startReceiver, tracedEnv, type Receiver } from "./support/tracing-helpers.js";
import {
  assertChatCompletion,
  assertChatCompletionStream,
  assertResponse,
  assertResponseStream,
} from "./support/openai-answer-shapes.js";

const FUZZ = propertyRuns({
  name: "OpenAI parameter fuzz (a quarter of FUZZ_RUNS per endpoint)",
  runsVariable: "FUZZ_RUNS",
  defaultRuns: 3000,
  minRuns: 600,
  seedVariable: "FUZZ_SEED",
  defaultSeed: 20_260_107,
});
const RUNS = Math.round(FUZZ.numRuns / 4);

describe("fuzzed OpenAI parameters", () => {
  let svc: RunningService;
  let receiver: Receiver;
  let cases = 0;
  let answered200 = 0;
  before(async () => {
    receiver = await startReceiver();
    svc = await startService({ ...tracedEnv(receiver), MAX_BODY_BYTES: "16384", MAX_MESSAGE_CHARS: "2000" });
  });
  after(async () => {
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    await svc.close();
    await receiver.close();
    console.log(`# fast-check requests sent to the OpenAI endpoints: ${cases} (${answered200} answered 200)`);
    console.log(`# ${FUZZ.summary()}`);
    // A run where nothing got through to a turn checked nothing of the answers.
    assert.ok(answered200 > 0, "no request was answered 200");
  });

  const weird = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: "binary", maxLength: 30 }),
    fc.constantFrom(
      "__proto__",
      "constructor",
      "",
      " ",
      "\u0000",
      "\ud800",
      "😀",
      "auto",
      "none",
      "required",
      "text",
      "json_schema",
      "user",
      "assistant",
    ),
  );
  const value = fc.oneof(
    weird,
    fc.double(),
    fc.integer({ min: -1_000_000, max: 1_000_000 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.oneof(weird, fc.integer()), { maxLength: 6 }),
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({ type: fc.oneof(weird, fc.constantFrom("text", "json_object", "json_schema", "function")) }),
  );
  const PARAMS = [
    "model",
    "stream",
    "temperature",
    "top_p",
    "user",
    "max_tokens",
    "max_completion_tokens",
    "max_output_tokens",
    "stop",
    "n",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "response_format",
    "text",
    "tools",
    "tool_choice",
    "functions",
    "function_call",
    "metadata",
    "store",
    "stream_options",
    "previous_response_id",
    "instructions",
    "include",
    "background",
    "conversation",
    "prompt",
    "modalities",
    "audio",
    "__proto__",
    "constructor",
  ];
  const params = fc.dictionary(fc.constantFrom(...PARAMS), value, { maxKeys: 4 });
  const role = fc.oneof(fc.constantFrom("user", "assistant", "system", "developer", "tool"), weird);
  const content = fc.oneof(
    weird,
    fc.constant("Where is my order?"),
    fc.array(fc.record({ type: fc.constantFrom("text", "input_text", "image_url"), text: weird }), { maxLength: 3 }),
    value,
  );
  const messages = fc.oneof(fc.array(fc.record({ role, content }, { requiredKeys: [] }), { maxLength: 4 }), value);
  const input = fc.oneof(
    weird,
    fc.constant("I was charged twice"),
    fc.array(
      fc.record(
        { type: fc.constantFrom("message", "item_reference", "function_call_output"), role, content },
        { requiredKeys: [] },
      ),
      { maxLength: 4 },
    ),
    value,
  );

  async function send(path: string, body: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${svc.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    cases++;
    const text = await res.text();
    const context = `${path} ${JSON.stringify(body).slice(0, 300)} -> ${res.status} ${text.slice(0, 300)}`;
    assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), context);
    if (res.status >= 400) {
      const { error } = JSON.parse(text) as { error: Record<string, unknown> };
      assert.deepEqual(
        Object.keys(error)
          .filter((k) => k !== "trace_id")
          .sort(),
        ["code", "message", "param", "type"],
        context,
      );
      assert.equal(error["type"], "invalid_request_error", context);
      assert.equal(typeof error["message"], "string", context);
      if (res.status === 400 && error["code"] !== "invalid_json" && error["code"] !== "invalid_body")
        assert.equal(typeof error["param"], "string", `a 400 names the parameter: ${context}`);
    } else {
      answered200++;
      const stream = (res.headers.get("content-type") ?? "").includes("event-stream");
      if (path === "/v1/chat/completions")
        (stream ? assertChatCompletionStream : assertChatCompletion)(stream ? text : JSON.parse(text), context, true);
      else (stream ? assertResponseStream : assertResponse)(stream ? text : JSON.parse(text), context, true);
    }
  }

  async function check<T extends unknown[]>(prop: fc.IAsyncPropertyWithHooks<T>): Promise<void> {
    const out = await fc.check(prop, { numRuns: RUNS, seed: FUZZ.seed });
    if (out.failed)
      throw new Error(
        `${(fc.defaultReportMessage(out) ?? "").slice(0, 1500)}\n${String(out.errorInstance).slice(0, 1000)}`,
      );
    assertRan(out, RUNS, "an OpenAI parameter fuzz property");
  }

  test("POST /v1/chat/completions", { timeout: 120_000 }, async () => {
    await check(
      fc.asyncProperty(messages, params, async (m, p) =>
        send("/v1/chat/completions", { model: "switchboard-router", messages: m, ...p }),
      ),
    );
  });

  test("POST /v1/responses", { timeout: 120_000 }, async () => {
    await check(
      fc.asyncProperty(input, params, async (i, p) =>
        send("/v1/responses", { model: "switchboard-router", input: i, ...p }),
      ),
    );
  });
});
