// The parameter rules of the OpenAI-compatible endpoints: OpenAI's types, ranges and error shape;
// a clear 400 for what the router cannot honour; the parameters that reach the answering model.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { z } from "zod";
import { zodResponseFormat } from "openai/helpers/zod";
import { loadCatalog } from "../src/agents/catalog.js";
import { estimateTokens } from "../src/llm/token-estimate.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { postJson, startService, type RunningService } from "./support/start-service.js";
import { SESSION_ID_PATTERN } from "../src/chat/session-id.js";

const MODEL = "switchboard-router";
const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [{ role: "user", content }],
  ...extra,
});

interface Expected {
  status?: number;
  code: string;
  param: string;
  message?: RegExp;
}

async function expectError(url: string, body: unknown, expected: Expected): Promise<void> {
  const res = await postJson(url, body);
  const context = `${JSON.stringify(body).slice(0, 200)} -> ${res.status} ${JSON.stringify(res.body)}`;
  assert.equal(res.status, expected.status ?? 400, context);
  assert.deepEqual(Object.keys(res.body.error).sort(), ["code", "message", "param", "type"], context);
  assert.equal(res.body.error.type, "invalid_request_error", context);
  assert.equal(res.body.error.code, expected.code, context);
  assert.equal(res.body.error.param, expected.param, context);
  if (expected.message) assert.match(res.body.error.message, expected.message, context);
}

describe("chat completions: parameters validated as OpenAI validates them", () => {
  let svc: RunningService;
  let url: string;
  before(async () => {
    svc = await startService({ MAX_MESSAGE_CHARS: "500" });
    url = `${svc.url}/v1/chat/completions`;
  });
  after(() => svc.close());

  const typeAndRange: [string, Record<string, unknown>, Expected][] = [
    [
      "n negative",
      { n: -1 },
      {
        code: "integer_below_min_value",
        param: "n",
        message: /^Invalid 'n': integer below minimum value\. Expected a value >= 1, but got -1 instead\.$/,
      },
    ],
    [
      "n a decimal",
      { n: 1.5 },
      { code: "invalid_type", param: "n", message: /expected an integer, but got a decimal/ },
    ],
    [
      "max_tokens a string",
      { max_tokens: "abc" },
      {
        code: "invalid_type",
        param: "max_tokens",
        message: /^Invalid type for 'max_tokens': expected an integer, but got a string instead\.$/,
      },
    ],
    ["max_tokens negative", { max_tokens: -5 }, { code: "integer_below_min_value", param: "max_tokens" }],
    ["max_tokens zero", { max_tokens: 0 }, { code: "integer_below_min_value", param: "max_tokens" }],
    [
      "max_completion_tokens a decimal",
      { max_completion_tokens: 2.5 },
      { code: "invalid_type", param: "max_completion_tokens" },
    ],
    [
      "temperature far below 0",
      { temperature: -100 },
      { code: "decimal_below_min_value", param: "temperature", message: /Expected a value >= 0, but got -100 instead/ },
    ],
    [
      "temperature above 2",
      { temperature: 2.5 },
      { code: "decimal_above_max_value", param: "temperature", message: /Expected a value <= 2, but got 2.5/ },
    ],
    [
      "temperature a string",
      { temperature: "hot" },
      { code: "invalid_type", param: "temperature", message: /expected a decimal, but got a string/ },
    ],
    [
      "top_p a string",
      { top_p: "x" },
      {
        code: "invalid_type",
        param: "top_p",
        message: /^Invalid type for 'top_p': expected a decimal, but got a string instead\.$/,
      },
    ],
    ["top_p above 1", { top_p: 1.5 }, { code: "decimal_above_max_value", param: "top_p" }],
    [
      "presence_penalty above 2",
      { presence_penalty: 3 },
      { code: "decimal_above_max_value", param: "presence_penalty" },
    ],
    [
      "frequency_penalty below -2",
      { frequency_penalty: -3 },
      { code: "decimal_below_min_value", param: "frequency_penalty" },
    ],
    ["seed a decimal", { seed: 0.5 }, { code: "invalid_type", param: "seed" }],
    [
      "stop with five sequences",
      { stop: ["a", "b", "c", "d", "e"] },
      { code: "array_above_max_length", param: "stop", message: /maximum length 4, but got an array with length 5/ },
    ],
    [
      "stop a number",
      { stop: 5 },
      { code: "invalid_type", param: "stop", message: /expected a string or an array, but got an integer/ },
    ],
    ["stop with an empty sequence", { stop: ["", "x"] }, { code: "string_below_min_length", param: "stop[0]" }],
    ["stream a string", { stream: "yes" }, { code: "invalid_type", param: "stream", message: /expected a boolean/ }],
    ["user a number", { user: 42 }, { code: "invalid_type", param: "user" }],
    [
      "user longer than OpenAI's 64 characters",
      { user: "u".repeat(65) },
      { code: "string_above_max_length", param: "user", message: /maximum length 64, but got a string with length 65/ },
    ],
    ["logprobs a string", { logprobs: "yes" }, { code: "invalid_type", param: "logprobs" }],
    ["top_logprobs above 20", { top_logprobs: 21 }, { code: "integer_above_max_value", param: "top_logprobs" }],
    [
      "response_format of an unknown type",
      { response_format: { type: "yaml" } },
      {
        code: "invalid_value",
        param: "response_format.type",
        message: /Supported values are: 'text', 'json_object', and 'json_schema'/,
      },
    ],
    ["metadata with a non-string value", { metadata: { a: 1 } }, { code: "invalid_type", param: "metadata.a" }],
  ];
  for (const [name, extra, expected] of typeAndRange) {
    test(`400 for ${name}`, () => expectError(url, ask("hi", extra), expected));
  }

  const unsupported: [string, Record<string, unknown>, Expected][] = [
    [
      "n above 1",
      { n: 2 },
      { code: "unsupported_value", param: "n", message: /one choice per request: 'n' must be 1, not 2/ },
    ],
    [
      "tools",
      { tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }] },
      { code: "unsupported_parameter", param: "tools", message: /does not call tools/ },
    ],
    ["tool_choice required", { tool_choice: "required" }, { code: "unsupported_value", param: "tool_choice" }],
    [
      "tool_choice naming a function",
      { tool_choice: { type: "function", function: { name: "lookup" } } },
      { code: "unsupported_value", param: "tool_choice" },
    ],
    ["functions", { functions: [{ name: "lookup" }] }, { code: "unsupported_parameter", param: "functions" }],
    [
      "function_call naming a function",
      { function_call: { name: "lookup" } },
      { code: "unsupported_value", param: "function_call" },
    ],
    [
      "response_format json_schema",
      { response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } } },
      { code: "unsupported_value", param: "response_format", message: /cannot guarantee JSON output/ },
    ],
    [
      "response_format json_object",
      { response_format: { type: "json_object" } },
      { code: "unsupported_value", param: "response_format" },
    ],
    ["logprobs", { logprobs: true }, { code: "unsupported_value", param: "logprobs", message: /log probabilities/ }],
    ["top_logprobs", { logprobs: false, top_logprobs: 3 }, { code: "unsupported_value", param: "top_logprobs" }],
    ["logit_bias", { logit_bias: { "50256": -100 } }, { code: "unsupported_parameter", param: "logit_bias" }],
    ["audio output", { modalities: ["text", "audio"] }, { code: "unsupported_parameter", param: "modalities" }],
    ["web search", { web_search_options: {} }, { code: "unsupported_parameter", param: "web_search_options" }],
    [
      "stream_options without stream",
      { stream_options: { include_usage: true } },
      { code: "invalid_value", param: "stream_options", message: /only allowed when 'stream' is enabled/ },
    ],
  ];
  for (const [name, extra, expected] of unsupported) {
    test(`400 saying so for what the router cannot honour: ${name}`, () =>
      expectError(url, ask("hi", extra), expected));
  }

  test("what asks for nothing the router cannot do is accepted: n 1, tools [], tool_choice none/auto, text format, logprobs false, nulls", async () => {
    for (const extra of [
      { n: 1 },
      { tools: [], tool_choice: "auto" },
      { tool_choice: "none" },
      { response_format: { type: "text" } },
      { logprobs: false, top_logprobs: 0 },
      { temperature: null, top_p: null, max_tokens: null, stop: null, user: null, n: null },
      { top_k: 40, repetition_penalty: 1.1 },
    ]) {
      const res = await postJson(url, ask("Where is my order?", extra));
      assert.equal(res.status, 200, `${JSON.stringify(extra)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.choices.length, 1);
    }
  });

  test("the messages: required, not empty, known roles", async () => {
    await expectError(
      url,
      { model: MODEL },
      { code: "missing_required_parameter", param: "messages", message: /^Missing required parameter: 'messages'\.$/ },
    );
    await expectError(url, { model: MODEL, messages: [] }, { code: "empty_array", param: "messages" });
    await expectError(
      url,
      { model: MODEL, messages: [{ role: "bot", content: "hi" }] },
      {
        code: "invalid_value",
        param: "messages[0].role",
        message:
          /^Invalid value: 'bot'\. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool', and 'function'\.$/,
      },
    );
    await expectError(
      url,
      { model: MODEL, messages: [{ role: "user", content: 7 }] },
      { code: "invalid_type", param: "messages[0].content" },
    );
  });

  test("the last message must be the user's; an assistant or tool message last is a 400 and the session is untouched", async () => {
    const headers = { "x-session-id": "last-message-rule", "x-user-id": "lm" };
    const first = await postJson(url, ask("Where is my order 42?"), headers);
    assert.equal(first.status, 200);
    const history = [
      { role: "user", content: "Where is my order 42?" },
      { role: "assistant", content: first.body.choices[0].message.content },
    ];
    for (const [messages, role] of [
      [history, "assistant"],
      [
        [
          ...history,
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
          },
          { role: "tool", tool_call_id: "c1", content: "{}" },
        ],
        "tool",
      ],
      [[...history, { role: "system", content: "be brief" }], "system"],
    ] as const) {
      const res = await postJson(url, { model: MODEL, messages }, headers);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.param, `messages[${messages.length - 1}].role`);
      assert.match(res.body.error.message, new RegExp(`must have role 'user', not '${role}'`));
    }
    const session = await fetch(`${svc.url}/api/v1/sessions/last-message-rule?user_id=lm`).then(
      (r) => r.json() as Promise<any>,
    );
    assert.equal(session.turns.length, 1, "no refused request replayed the last user message as a new turn");
    assert.equal(session.turns[0].user, "Where is my order 42?");
  });

  test("a last user message with no text (only an image) is a 400 naming it", async () => {
    await expectError(
      url,
      {
        model: MODEL,
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }] }],
      },
      { code: "invalid_value", param: "messages[0].content", message: /no text/ },
    );
  });

  test("user: any string up to 64 characters names one running session (spaces, accents, emoji)", async () => {
    for (const user of ["a b", "José Müller", "用户🚀", "u".repeat(64), `quote"and'apostrophe`, "alice/../bob"]) {
      const one = await postJson(url, ask("My order has not arrived", { user }));
      assert.equal(one.status, 200, `${JSON.stringify(user)}: ${JSON.stringify(one.body)}`);
      const two = await postJson(url, ask("what should I do next?", { user }));
      assert.equal(two.status, 200);
      const sid = one.body.switchboard.session_id;
      assert.equal(two.body.switchboard.session_id, sid, `${JSON.stringify(user)} keeps its session`);
      assert.equal(two.body.switchboard.agent, "orders", "the follow-up is answered in the session's context");
      assert.match(sid, SESSION_ID_PATTERN, "the derived session id is a valid session id");
      assert.equal(one.headers.get("x-session-id"), sid);
    }
    const plain = await postJson(url, ask("hello", { user: "plain.user@example.com" }));
    assert.equal(
      plain.body.switchboard.session_id,
      "openai:plain.user@example.com",
      "plain users keep the readable openai:<user> session",
    );
    const spaced = await postJson(url, ask("hello", { user: "a b" }));
    assert.match(spaced.body.switchboard.session_id, /^openai-sha256:[0-9a-f]{64}$/);
    const other = await postJson(url, ask("hello", { user: "a  b" }));
    assert.notEqual(
      other.body.switchboard.session_id,
      spaced.body.switchboard.session_id,
      "different users, different sessions",
    );
    const empty = await postJson(url, ask("hello", { user: "" }));
    assert.match(empty.body.switchboard.session_id, /^[0-9a-f-]{36}$/, "an empty user is no user: a new session");
  });

  test("max_tokens caps the answer (finish_reason length); the smaller of max_tokens and max_completion_tokens holds", async () => {
    const full = await postJson(url, ask("Where is my order 77?"));
    assert.equal(full.body.choices[0].finish_reason, "stop");
    assert.ok(estimateTokens(full.body.choices[0].message.content) > 20);
    const capped = await postJson(url, ask("Where is my order 77?", { max_tokens: 5 }));
    const text = capped.body.choices[0].message.content;
    assert.equal(estimateTokens(text), 5, text);
    assert.ok(full.body.choices[0].message.content.startsWith(text), "the capped answer is the start of the full one");
    assert.equal(capped.body.choices[0].finish_reason, "length");
    const both = await postJson(url, ask("Where is my order 77?", { max_tokens: 9, max_completion_tokens: 4 }));
    assert.equal(estimateTokens(both.body.choices[0].message.content), 4);
    const roomy = await postJson(url, ask("Where is my order 77?", { max_tokens: 4000 }));
    assert.equal(roomy.body.choices[0].finish_reason, "stop", "a limit the answer does not reach is a normal stop");
  });

  test("max_tokens caps a streamed answer too", async () => {
    const client = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const stream = await client.chat.completions.create({
      ...ask("Where is my order 78?", { max_tokens: 6 }),
      stream: true,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    let text = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(estimateTokens(text), 6, text);
    assert.equal(finish, "length");
  });

  test("stop sequences end the answer before the first one", async () => {
    const full = (await postJson(url, ask("Where is my order 79?"))).body.choices[0].message.content as string;
    const res = await postJson(url, ask("Where is my order 79?", { stop: ["zzz", "desk"] }));
    const text = res.body.choices[0].message.content as string;
    assert.equal(text, full.slice(0, full.indexOf("desk")));
    assert.equal(res.body.choices[0].finish_reason, "stop");
    const single = await postJson(url, ask("Where is my order 79?", { stop: "here" }));
    assert.equal(single.body.choices[0].message.content, full.slice(0, full.indexOf("here")));
  });

  test("the official client's parse() with a JSON schema is refused clearly, not answered in prose", async () => {
    const client = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: "unused", maxRetries: 0 });
    await assert.rejects(
      client.chat.completions.parse({
        ...ask("Where is my order?"),
        response_format: zodResponseFormat(z.object({ status: z.string() }), "order"),
      } as any),
      (err: any) =>
        err instanceof OpenAI.BadRequestError &&
        err.param === "response_format" &&
        /cannot guarantee JSON output/.test(err.message),
    );
  });
});

describe("responses: parameters validated as OpenAI validates them", () => {
  let svc: RunningService;
  let url: string;
  before(async () => {
    svc = await startService({ MAX_MESSAGE_CHARS: "500" });
    url = `${svc.url}/v1/responses`;
  });
  after(() => svc.close());
  const input = (extra: Record<string, unknown> = {}) => ({ model: MODEL, input: "Where is my order?", ...extra });

  const cases: [string, Record<string, unknown>, Expected][] = [
    ["input missing", { input: undefined }, { code: "missing_required_parameter", param: "input" }],
    [
      "input a number",
      { input: 5 },
      { code: "invalid_type", param: "input", message: /expected a string or an array/ },
    ],
    ["input an empty array", { input: [] }, { code: "empty_array", param: "input" }],
    [
      "an input message of an unknown role",
      { input: [{ role: "bot", content: "hi" }] },
      { code: "invalid_value", param: "input[0].role" },
    ],
    [
      "max_output_tokens below OpenAI's 16",
      { max_output_tokens: 5 },
      { code: "integer_below_min_value", param: "max_output_tokens", message: /Expected a value >= 16, but got 5/ },
    ],
    ["max_output_tokens a string", { max_output_tokens: "many" }, { code: "invalid_type", param: "max_output_tokens" }],
    ["temperature below 0", { temperature: -1 }, { code: "decimal_below_min_value", param: "temperature" }],
    ["top_p a string", { top_p: "x" }, { code: "invalid_type", param: "top_p" }],
    ["instructions a number", { instructions: 3 }, { code: "invalid_type", param: "instructions" }],
    ["user over 64 characters", { user: "é".repeat(65) }, { code: "string_above_max_length", param: "user" }],
    [
      "previous_response_id empty",
      { previous_response_id: "" },
      { code: "string_below_min_length", param: "previous_response_id" },
    ],
    [
      "tools",
      { tools: [{ type: "function", name: "lookup", parameters: {} }] },
      { code: "unsupported_parameter", param: "tools" },
    ],
    ["tool_choice required", { tool_choice: "required" }, { code: "unsupported_value", param: "tool_choice" }],
    [
      "a JSON schema output format",
      { text: { format: { type: "json_schema", name: "x", schema: { type: "object" } } } },
      { code: "unsupported_value", param: "text.format", message: /cannot guarantee JSON output/ },
    ],
    [
      "a JSON object output format",
      { text: { format: { type: "json_object" } } },
      { code: "unsupported_value", param: "text.format" },
    ],
    ["top_logprobs", { top_logprobs: 2 }, { code: "unsupported_value", param: "top_logprobs" }],
    [
      "logprobs through include",
      { include: ["message.output_text.logprobs"] },
      { code: "unsupported_value", param: "include" },
    ],
    ["background", { background: true }, { code: "unsupported_value", param: "background" }],
    ["a conversation", { conversation: "conv_123" }, { code: "unsupported_parameter", param: "conversation" }],
    ["a stored prompt", { prompt: { id: "pmpt_1" } }, { code: "unsupported_parameter", param: "prompt" }],
    [
      "an unknown previous response",
      { previous_response_id: "resp_doesnotexist" },
      { status: 404, code: "response_not_found", param: "previous_response_id" },
    ],
    ["an unknown model", { model: "gpt-4o" }, { status: 404, code: "model_not_found", param: "model" }],
  ];
  for (const [name, extra, expected] of cases) {
    test(`${expected.status ?? 400} for ${name}`, () => expectError(url, input(extra), expected));
  }

  test("the last input item must be a user message", async () => {
    const user = { role: "user", content: "Where is my order?" };
    const assistant = {
      type: "message",
      role: "assistant",
      id: "msg_1",
      status: "completed",
      content: [{ type: "output_text", text: "Orders desk here.", annotations: [] }],
    };
    await expectError(url, input({ input: [user, assistant] }), {
      code: "invalid_value",
      param: "input[1]",
      message: /must be a user message, not a message with role 'assistant'/,
    });
    await expectError(url, input({ input: [user, { type: "function_call_output", call_id: "c1", output: "{}" }] }), {
      code: "invalid_value",
      param: "input[1]",
      message: /not an item of type 'function_call_output'/,
    });
    await expectError(url, input({ input: [{ role: "developer", content: "be brief" }] }), {
      code: "invalid_value",
      param: "input[0]",
    });
    await expectError(
      url,
      input({ input: [{ role: "user", content: [{ type: "input_image", image_url: "https://example.com/a.png" }] }] }),
      { code: "invalid_value", param: "input[0].content", message: /no text/ },
    );
    await expectError(url, input({ input: "   " }), { code: "invalid_value", param: "input" });
    await expectError(url, input({ input: "x".repeat(501) }), {
      code: "string_above_max_length",
      param: "input",
      message: /at most 500/,
    });
  });

  test("a history of earlier items (item references, assistant messages, tool outputs) is accepted; its last user message is answered", async () => {
    const res = await postJson(
      url,
      input({
        input: [
          { role: "system", content: "ignored: agents have their own prompts" },
          { role: "user", content: [{ type: "input_text", text: "hello" }] },
          { type: "item_reference", id: "msg_abc" },
          { type: "function_call_output", call_id: "c1", output: "{}" },
          { type: "message", role: "user", content: [{ type: "input_text", text: "I was charged twice" }] },
        ],
      }),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.switchboard.agent, "billing");
  });

  test("max_output_tokens caps the answer: status incomplete, reason max_output_tokens", async () => {
    const res = await postJson(url, input({ max_output_tokens: 16 }));
    assert.equal(res.status, 200);
    assert.equal(res.body.status, "incomplete");
    assert.deepEqual(res.body.incomplete_details, { reason: "max_output_tokens" });
    assert.equal(res.body.output[0].status, "incomplete");
    assert.equal(estimateTokens(res.body.output[0].content[0].text), 16);
    assert.equal(res.body.max_output_tokens, 16);
    const full = await postJson(
      url,
      input({
        max_output_tokens: 4000,
        temperature: 0.2,
        top_p: 0.9,
        instructions: "be brief",
        metadata: { ticket: "T-1" },
      }),
    );
    assert.equal(full.body.status, "completed");
    assert.equal(full.body.incomplete_details, null);
    assert.equal(full.body.temperature, 0.2);
    assert.equal(full.body.top_p, 0.9);
    assert.equal(full.body.instructions, "be brief");
    assert.deepEqual(full.body.metadata, { ticket: "T-1" });
  });
});

describe("parameters reach the OpenAI-compatible model endpoint", () => {
  const catalog = loadCatalog("agents/shop-support.json");
  let fake: FakeOpenAIServer;
  let svc: RunningService;
  before(async () => {
    fake = await startFakeOpenAIServer({ catalog, replyTokens: 40 });
    svc = await startService({
      LLM_PROVIDER: "openai",
      LLM_BASE_URL: fake.baseUrl,
      LLM_API_KEY: "sk-test",
      LLM_MODEL: "gpt-fake",
      LLM_MAX_RETRIES: "0",
    });
  });
  after(async () => {
    await svc.close();
    await fake.close();
  });

  /** The requests of the last turn: the classifier's (structured output) and the answer's. */
  function lastTurn(from: number) {
    const requests = fake.chatRequests().slice(from);
    const classifier = requests.filter((r) => r.response_format && r.response_format.type !== "text");
    const answer = requests.filter((r) => !r.response_format);
    assert.equal(classifier.length, 1, "one classifier call");
    assert.equal(answer.length, 1, "one answering call");
    return { classifier: classifier[0]!, answer: answer[0]! };
  }

  test("chat completions: max_tokens, temperature, top_p, stop, penalties and seed are sent with the answering call only", async () => {
    const from = fake.chatRequests().length;
    const res = await postJson(
      `${svc.url}/v1/chat/completions`,
      ask("Where is my order 5?", {
        max_tokens: 30,
        temperature: 0.3,
        top_p: 0.5,
        stop: ["zz", "qq"],
        presence_penalty: 0.1,
        frequency_penalty: 0.2,
        seed: 42,
      }),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { classifier, answer } = lastTurn(from);
    assert.equal(answer.max_tokens, 30);
    assert.equal(answer.temperature, 0.3);
    assert.equal(answer.top_p, 0.5);
    assert.deepEqual(answer.stop, ["zz", "qq"]);
    assert.equal(answer.presence_penalty, 0.1);
    assert.equal(answer.frequency_penalty, 0.2);
    assert.equal(answer.seed, 42);
    for (const key of ["max_tokens", "temperature", "top_p", "stop", "presence_penalty", "frequency_penalty", "seed"]) {
      assert.equal(classifier[key], undefined, `the classifier keeps its own ${key}`);
    }
  });

  test("streamed chat completions send them too; a single stop string becomes a list", async () => {
    const from = fake.chatRequests().length;
    const res = await fetch(`${svc.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        ask("Where is my order 6?", { stream: true, max_completion_tokens: 25, temperature: 1.2, stop: "zz" }),
      ),
    });
    assert.equal(res.status, 200);
    await res.text();
    const { answer } = lastTurn(from);
    assert.equal(answer.stream, true);
    assert.equal(answer.max_tokens, 25);
    assert.equal(answer.temperature, 1.2);
    assert.deepEqual(answer.stop, ["zz"]);
  });

  test("responses: max_output_tokens, temperature and top_p are sent; a parameter left out is not", async () => {
    const from = fake.chatRequests().length;
    const res = await postJson(`${svc.url}/v1/responses`, {
      model: MODEL,
      input: "Where is my order 7?",
      max_output_tokens: 20,
      temperature: 0,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { answer } = lastTurn(from);
    assert.equal(answer.max_tokens, 20);
    assert.equal(answer.temperature, 0);
    assert.equal("top_p" in answer, false);
  });

  test("the endpoint's finish reason comes back: length when it stopped at max_tokens", async () => {
    const chat = await postJson(`${svc.url}/v1/chat/completions`, ask("Where is my order 8?", { max_tokens: 3 }));
    assert.equal(chat.body.choices[0].finish_reason, "length");
    assert.equal(estimateTokens(chat.body.choices[0].message.content), 3);
    const response = await postJson(`${svc.url}/v1/responses`, {
      model: MODEL,
      input: "Where is my order 8?",
      max_output_tokens: 16,
    });
    assert.equal(response.body.status, "incomplete");
    assert.equal(response.body.incomplete_details.reason, "max_output_tokens");
    const stopped = await postJson(`${svc.url}/v1/chat/completions`, ask("Where is my order 8?", { max_tokens: 4000 }));
    assert.equal(stopped.body.choices[0].finish_reason, "stop");
  });
});
