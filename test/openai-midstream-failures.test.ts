// The model endpoint fails after the first tokens of an answer: every client must see an error
// (never a short answer that looks complete), and the session must not get the turn.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import { ChatOpenAI } from "@langchain/openai";
import { loadCatalog } from "../src/agents/catalog.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { parseSse, startService, type RunningService } from "./support/start-service.js";

const MODEL = "switchboard-router";

describe("the model endpoint failing mid-answer reaches each client as an error", () => {
  const catalog = loadCatalog("agents/shop-support.json");
  let fake: FakeOpenAIServer;
  let svc: RunningService;
  let user = 0;
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

  /** The classifier answers normally; the answering call sends 3 chunks and the connection drops. */
  function failNextAnswer(): string {
    fake.enqueue({}, { failAfterChunks: 3 });
    return `midstream-${++user}`;
  }

  async function assertNoTurn(name: string): Promise<void> {
    const res = await fetch(`${svc.url}/api/v1/sessions/openai:${name}?user_id=${name}`);
    assert.equal(res.status, 404, "the failed turn left no session behind");
    await res.arrayBuffer();
  }

  test("raw chat completions stream: tokens, then a data event carrying the error, and no [DONE]", async () => {
    const name = failNextAnswer();
    const res = await fetch(`${svc.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: MODEL,
        stream: true,
        user: name,
        messages: [{ role: "user", content: "Where is my order?" }],
      }),
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(!text.includes("[DONE]"));
    const events = parseSse(text);
    assert.ok(
      events.some((e) => e.data.choices?.[0]?.delta?.content),
      "tokens were streamed before the failure",
    );
    const last = events.at(-1)!.data;
    assert.equal(last.error.code, "model_unavailable");
    assert.equal(last.error.type, "server_error");
    await assertNoTurn(name);
  });

  test("raw responses stream: deltas, then error and response.failed with what was streamed", async () => {
    const name = failNextAnswer();
    const res = await fetch(`${svc.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, stream: true, user: name, input: "Where is my order?" }),
    });
    const events = parseSse(await res.text()).map((e) => e.data);
    const types = events.map((e) => e.type);
    assert.ok(types.includes("response.output_text.delta"));
    assert.deepEqual(types.slice(-2), ["error", "response.failed"]);
    const [error, failed] = events.slice(-2);
    assert.equal(error.code, "model_unavailable");
    assert.equal(error.error.code, "model_unavailable", "the error object the official client raises on");
    assert.equal(failed.response.status, "failed");
    assert.equal(failed.response.error.code, "server_error");
    const streamed = events
      .filter((e) => e.type === "response.output_text.delta")
      .map((e) => e.delta)
      .join("");
    assert.equal(failed.response.output[0].content[0].text, streamed);
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );
    await assertNoTurn(name);
  });

  test("official openai client: chat completions stream and responses stream throw an APIError", async () => {
    const client = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: "unused", maxRetries: 0 });
    let name = failNextAnswer();
    let received = "";
    const chat = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      user: name,
      messages: [{ role: "user", content: "Where is my order?" }],
    });
    await assert.rejects(
      (async () => {
        for await (const chunk of chat) received += chunk.choices[0]?.delta.content ?? "";
      })(),
      (err: any) => err instanceof OpenAI.APIError && /unavailable/.test(err.message),
    );
    assert.ok(received.length > 0);

    name = failNextAnswer();
    received = "";
    const response = await client.responses.create({
      model: MODEL,
      stream: true,
      user: name,
      input: "Where is my order?",
    });
    await assert.rejects(
      (async () => {
        for await (const event of response) if (event.type === "response.output_text.delta") received += event.delta;
      })(),
      (err: any) => err instanceof OpenAI.APIError && /unavailable/.test(err.message),
    );
    assert.ok(received.length > 0);
    await assertNoTurn(name);
  });

  test("Vercel AI SDK: streamText on the default and the .chat() model ends in an error part", async () => {
    const openai = createOpenAI({ baseURL: `${svc.url}/v1`, apiKey: "unused" });
    for (const model of [openai(MODEL), openai.chat(MODEL)]) {
      const name = failNextAnswer();
      const errors: unknown[] = [];
      const result = streamText({
        model,
        prompt: "Where is my order?",
        providerOptions: { openai: { user: name } },
        maxRetries: 0,
        onError: ({ error }) => void errors.push(error),
      });
      const parts: string[] = [];
      for await (const part of result.fullStream) parts.push(part.type);
      assert.ok(parts.includes("text-delta"), `${model.modelId}: text arrived before the failure`);
      assert.equal(
        parts.filter((p) => p === "error").length,
        1,
        `${model.modelId}: one error part (${parts.join(",")})`,
      );
      assert.ok(parts.indexOf("error") > parts.indexOf("text-delta"));
      assert.equal(errors.length, 1);
      assert.match(String((errors[0] as Error).message ?? JSON.stringify(errors[0])), /unavailable/);
      await assertNoTurn(name);
    }
  });

  test("LangChain: stream on chat completions and on the Responses API throws", async () => {
    for (const useResponsesApi of [false, true]) {
      const name = failNextAnswer();
      const model = new ChatOpenAI({
        model: MODEL,
        apiKey: "unused",
        maxRetries: 0,
        useResponsesApi,
        user: name,
        configuration: { baseURL: `${svc.url}/v1` },
      });
      let received = "";
      await assert.rejects(
        (async () => {
          for await (const chunk of await model.stream("Where is my order?")) received += chunk.text;
        })(),
        (err: any) => /unavailable/.test(String(err?.message)),
        `useResponsesApi ${useResponsesApi}`,
      );
      assert.ok(received.length > 0, `useResponsesApi ${useResponsesApi}: tokens before the failure`);
      await assertNoTurn(name);
    }
  });

  test("a plain request whose model call fails is a 503 in OpenAI's shape", async () => {
    fake.enqueue({}, { status: 500 });
    const client = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: "unused", maxRetries: 0 });
    await assert.rejects(
      client.responses.create({ model: MODEL, input: "Where is my order?" }),
      (err: any) => err instanceof OpenAI.InternalServerError && err.status === 503 && err.code === "model_unavailable",
    );
  });
});
