// The popular OpenAI clients against Switchboard with their defaults, over real HTTP: the Vercel
// AI SDK (its default model speaks the Responses API; `.chat()` chat completions) and LangChain's
// ChatOpenAI (chat completions, or the Responses API with `useResponsesApi`). Also runs the
// examples of docs/openai-clients.md exactly as the page shows them.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { createOpenAI } from "@ai-sdk/openai";
import { APICallError, generateText, Output, streamText } from "ai";
import { ChatOpenAI } from "@langchain/openai";
import { z } from "zod";
import { estimateTokens } from "../src/llm/token-estimate.js";
import { startService, type RunningService } from "./support/start-service.js";

const MODEL = "switchboard-router";

const sessionTurns = async (svc: RunningService, sid: string, user: string) => {
  const res = await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=${encodeURIComponent(user)}`);
  return res.status === 200 ? ((await res.json()) as any).turns : res.status;
};

describe("the Vercel AI SDK", () => {
  let svc: RunningService;
  let openai: ReturnType<typeof createOpenAI>;
  before(async () => {
    svc = await startService();
    openai = createOpenAI({ baseURL: `${svc.url}/v1`, apiKey: "unused" });
  });
  after(() => svc.close());

  test("default model (Responses API): generateText answers, with usage and the response id", async () => {
    const result = await generateText({
      model: openai(MODEL),
      prompt: "Where is my order 1234?",
      providerOptions: { openai: { user: "ai-alice" } },
      maxRetries: 0,
    });
    assert.match(result.text, /^Orders desk here/);
    assert.equal(result.finishReason, "stop");
    assert.ok(result.usage.inputTokens! > 0 && result.usage.outputTokens! > 0);
    assert.equal(result.usage.totalTokens, result.usage.inputTokens! + result.usage.outputTokens!);
    assert.match(result.response.id, /^resp_/);
    const turns = await sessionTurns(svc, "openai:ai-alice", "ai-alice");
    assert.equal(turns.at(-1).reply, result.text);
  });

  test("default model: streamText streams the answer; previousResponseId continues the conversation", async () => {
    const first = await generateText({ model: openai(MODEL), prompt: "My order has not arrived", maxRetries: 0 });
    const result = streamText({
      model: openai(MODEL),
      prompt: "ok, what should I do next?",
      providerOptions: { openai: { previousResponseId: first.response.id } },
      maxRetries: 0,
    });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    assert.ok(deltas.length > 3, "the answer arrives in pieces");
    const text = deltas.join("");
    assert.match(text, /^Orders desk here/, "the follow-up stays with the conversation's agent");
    assert.equal(await result.finishReason, "stop");
    const usage = await result.usage;
    assert.ok(usage.outputTokens! > 0);
    assert.equal((await result.response).id.startsWith("resp_"), true);
  });

  test("default model: maxOutputTokens caps the answer and finishes with 'length'", async () => {
    const result = await generateText({
      model: openai(MODEL),
      prompt: "Where is my order?",
      maxOutputTokens: 16,
      maxRetries: 0,
    });
    assert.equal(result.finishReason, "length");
    assert.equal(estimateTokens(result.text), 16);
  });

  test(".chat() model (chat completions): generateText and streamText", async () => {
    const plain = await generateText({ model: openai.chat(MODEL), prompt: "I was charged twice", maxRetries: 0 });
    assert.match(plain.text, /^Billing desk here/);
    assert.equal(plain.finishReason, "stop");
    assert.ok(plain.usage.totalTokens! > 0);
    const streamed = streamText({
      model: openai.chat(MODEL),
      prompt: "I was charged twice",
      maxOutputTokens: 5,
      maxRetries: 0,
    });
    let text = "";
    for await (const delta of streamed.textStream) text += delta;
    assert.equal(estimateTokens(text), 5);
    assert.equal(await streamed.finishReason, "length");
  });

  test("structured output (a JSON schema) is refused with a 400 that says so, on both models", async () => {
    for (const model of [openai(MODEL), openai.chat(MODEL)]) {
      await assert.rejects(
        generateText({
          model,
          prompt: "Where is my order?",
          output: Output.object({ schema: z.object({ status: z.string() }) }),
          maxRetries: 0,
        }),
        (err: unknown) =>
          APICallError.isInstance(err) && err.statusCode === 400 && /cannot guarantee JSON output/.test(err.message),
      );
    }
  });
});

describe("LangChain's ChatOpenAI", () => {
  let svc: RunningService;
  let connection: { model: string; apiKey: string; maxRetries: number; configuration: { baseURL: string } };
  before(async () => {
    svc = await startService();
    connection = { model: MODEL, apiKey: "unused", maxRetries: 0, configuration: { baseURL: `${svc.url}/v1` } };
  });
  after(() => svc.close());

  test("invoke and stream (chat completions), with usage", async () => {
    const model = new ChatOpenAI({ ...connection, user: "lc-bob" });
    const reply = await model.invoke("Where is my order 1234?");
    assert.match(reply.text, /^Orders desk here/);
    assert.ok(
      reply.usage_metadata &&
        reply.usage_metadata.total_tokens === reply.usage_metadata.input_tokens + reply.usage_metadata.output_tokens &&
        reply.usage_metadata.output_tokens > 0,
    );
    const chunks: string[] = [];
    for await (const chunk of await model.stream("ok, what should I do next?")) chunks.push(chunk.text);
    assert.ok(chunks.filter(Boolean).length > 3);
    assert.match(chunks.join(""), /^Orders desk here/, "the user's conversation continues");
    const turns = await sessionTurns(svc, "openai:lc-bob", "lc-bob");
    assert.deepEqual(
      turns.map((t: any) => t.user),
      ["Where is my order 1234?", "ok, what should I do next?"],
    );
  });

  test("useResponsesApi: invoke and stream", async () => {
    const model = new ChatOpenAI({ ...connection, useResponsesApi: true });
    const reply = await model.invoke("I was charged twice");
    assert.match(reply.text, /^Billing desk here/);
    assert.ok(reply.usage_metadata && reply.usage_metadata.output_tokens > 0);
    assert.match(String(reply.response_metadata["id"] ?? reply.id), /^resp_/);
    let text = "";
    let pieces = 0;
    for await (const chunk of await model.stream("The app crashes when I log in")) {
      if (chunk.text) pieces++;
      text += chunk.text;
    }
    assert.ok(pieces > 3);
    assert.match(text, /^Technical help here/);
  });

  test("maxTokens caps the answer", async () => {
    const reply = await new ChatOpenAI({ ...connection, maxTokens: 4 }).invoke("Where is my order?");
    assert.equal(estimateTokens(reply.text), 4);
    assert.equal(reply.response_metadata["finish_reason"], "length");
  });

  test("withStructuredOutput is refused with a clear error, not a SyntaxError", async () => {
    for (const model of [new ChatOpenAI(connection), new ChatOpenAI({ ...connection, useResponsesApi: true })]) {
      await assert.rejects(
        model.withStructuredOutput(z.object({ status: z.string() })).invoke("Where is my order?"),
        (err: any) => err?.status === 400 && /cannot guarantee JSON output/.test(String(err.message)),
      );
    }
  });
});

describe("docs/openai-clients.md examples, run as shown", () => {
  const run = promisify(execFile);
  const page = readFileSync("docs/openai-clients.md", "utf8");
  let svc: RunningService;
  before(async () => {
    svc = await startService();
  });
  after(() => svc.close());

  const examples: [string, RegExp[]][] = [
    [
      "openai-chat-completions.mjs",
      [
        /^Orders desk here/,
        /^answered by orders$/m,
        /^Orders desk here\. About "Can you change the delivery address"/m,
        /^\[\d+ tokens\]$/m,
      ],
    ],
    [
      "openai-responses.mjs",
      [
        /^Billing desk here/,
        /^Billing desk here\. About "Can you refund one of them"/m,
        /^\[\d+ tokens\]$/m,
        /^completed$/m,
      ],
    ],
    [
      "ai-sdk.mjs",
      [
        /^Technical help here/,
        /^Technical help here\. About "It happens on Android 14"/m,
        /^\[\d+ tokens\]$/m,
        /^Orders desk here/m,
      ],
    ],
    [
      "langchain.mjs",
      [/^Orders desk here/, /^Orders desk here\. About "Can you change the delivery address"/m, /^Billing desk here/m],
    ],
  ];
  for (const [file, expected] of examples) {
    test(`${file}: the page shows it verbatim, and it runs against the service`, async () => {
      const source = readFileSync(`docs/examples/${file}`, "utf8");
      assert.ok(page.includes(source.trim()), `docs/openai-clients.md must contain docs/examples/${file} verbatim`);
      const { stdout } = await run(process.execPath, [`docs/examples/${file}`], {
        env: { ...process.env, SWITCHBOARD_URL: `${svc.url}/v1` },
        timeout: 30_000,
      });
      for (const pattern of expected) assert.match(stdout, pattern, stdout);
    });
  }
});
