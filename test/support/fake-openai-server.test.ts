import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadCatalog } from "../../src/agents/catalog.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "./fake-openai-server.js";

const catalog = loadCatalog("agents/shop-support.json");

function post(server: FakeOpenAIServer, body: unknown): Promise<Response> {
  return fetch(`${server.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer k" },
    body: JSON.stringify(body),
  });
}

/** The `data:` payloads of an SSE body. */
async function sseData(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice("data: ".length));
}

describe("fake OpenAI server", { timeout: 15_000 }, () => {
  let server: FakeOpenAIServer;
  before(async () => {
    server = await startFakeOpenAIServer({ catalog });
  });
  after(async () => {
    await server.close();
  });

  it("listens on 127.0.0.1 and records requests", async () => {
    assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    server.enqueue({ content: "hello" });
    const res = await post(server, { model: "m", messages: [{ role: "user", content: "hi" }] });
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      object: string;
      model: string;
      choices: { message: { content: string }; finish_reason: string }[];
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    assert.equal(body.object, "chat.completion");
    assert.equal(body.model, "m");
    assert.equal(body.choices[0]?.message.content, "hello");
    assert.equal(body.choices[0]?.finish_reason, "stop");
    assert.deepEqual(body.usage, { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 });
    const recorded = server.requests.at(-1);
    assert.equal(recorded?.headers.authorization, "Bearer k");
    assert.equal(recorded?.body?.messages[0]?.content, "hi");
  });

  it("streams SSE chunks, a usage chunk when asked, then [DONE]", async () => {
    server.enqueue({ content: "one two three" });
    const res = await post(server, {
      model: "m",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "hi" }],
    });
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const data = await sseData(res);
    assert.equal(data.at(-1), "[DONE]");
    const chunks = data.slice(0, -1).map(
      (d) =>
        JSON.parse(d) as {
          object: string;
          choices: { delta: { content?: string }; finish_reason: string | null }[];
          usage?: { completion_tokens: number };
        },
    );
    assert.ok(chunks.every((c) => c.object === "chat.completion.chunk"));
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""), "one two three");
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, "stop");
    assert.deepEqual(chunks.at(-1)?.choices, []);
    assert.equal(chunks.at(-1)?.usage?.completion_tokens, 3);
  });

  it("answers a forced tool choice with a tool call carrying the text as arguments", async () => {
    server.enqueue({ content: '{"intent":"billing","confidence":0.9}' });
    const tools = [{ type: "function", function: { name: "classification", parameters: { type: "object" } } }];
    const res = await post(server, {
      model: "m",
      messages: [{ role: "user", content: "x" }],
      tools,
      tool_choice: { type: "function", function: { name: "classification" } },
    });
    const body = (await res.json()) as {
      choices: {
        message: { content: null; tool_calls: { type: string; function: { name: string; arguments: string } }[] };
        finish_reason: string;
      }[];
    };
    const choice = body.choices[0];
    assert.equal(choice?.finish_reason, "tool_calls");
    assert.equal(choice?.message.content, null);
    assert.deepEqual(choice?.message.tool_calls[0]?.function, {
      name: "classification",
      arguments: '{"intent":"billing","confidence":0.9}',
    });
  });

  it("answers a scripted status with an OpenAI-style error body", async () => {
    server.enqueue({ status: 500 });
    const res = await post(server, { model: "m", messages: [{ role: "user", content: "x" }] });
    assert.equal(res.status, 500);
    const body = (await res.json()) as { error: { type: string } };
    assert.equal(body.error.type, "server_error");
  });

  it("answers unscripted requests like the simulated model: classification JSON or an agent reply", async () => {
    const classify = await post(server, {
      model: "m",
      response_format: { type: "json_object" },
      messages: [
        { role: "system", content: "Current intent: none" },
        { role: "user", content: "I was charged twice" },
      ],
    });
    const classified = (await classify.json()) as { choices: { message: { content: string } }[] };
    assert.deepEqual(JSON.parse(classified.choices[0]?.message.content ?? ""), { intent: "billing", confidence: 0.9 });
    const agent = catalog.agents[0];
    const chat = await post(server, {
      model: "m",
      messages: [
        { role: "system", content: agent?.systemPrompt },
        { role: "user", content: "where is my order" },
      ],
    });
    const replied = (await chat.json()) as { choices: { message: { content: string } }[] };
    assert.ok(replied.choices[0]?.message.content.includes(agent?.name ?? "?"));
  });

  it("answers 404 off the chat-completions route and 400 to a body without messages", async () => {
    const missing = await fetch(`${server.baseUrl}/models`);
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
    const bad = await post(server, { model: "m" });
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
  });

  it("reports usage details per answer, plain and streamed (reasoning in completion_tokens, cached and audio in prompt_tokens)", async () => {
    server.enqueue({ content: "one two three", usageDetails: { cachedTokens: 5, audioTokens: 2, reasoningTokens: 4 } });
    const plain = await post(server, { model: "m", messages: [{ role: "user", content: "hi" }] });
    const body = (await plain.json()) as { usage: Record<string, unknown> };
    assert.deepEqual(body.usage, {
      prompt_tokens: 7,
      completion_tokens: 7,
      total_tokens: 14,
      prompt_tokens_details: { cached_tokens: 5, audio_tokens: 2 },
      completion_tokens_details: {
        reasoning_tokens: 4,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
    server.enqueue({ content: "one two", usageDetails: { reasoningTokens: 10 } });
    const streamed = await post(server, {
      model: "m",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "a b c" }],
    });
    const last = JSON.parse((await sseData(streamed)).at(-2)!) as { usage: any };
    assert.equal(last.usage.completion_tokens, 12);
    assert.equal(last.usage.prompt_tokens, 3);
    assert.deepEqual(last.usage.completion_tokens_details.reasoning_tokens, 10);
    assert.deepEqual(last.usage.prompt_tokens_details, { cached_tokens: 0, audio_tokens: 0 });
  });

  it("reports usage details configured for the whole server; answers without any have none", async () => {
    const other = await startFakeOpenAIServer({ usageDetails: { cachedTokens: 1 } });
    try {
      const res = await post(other, { model: "m", messages: [{ role: "user", content: "hi there" }] });
      const body = (await res.json()) as { usage: any };
      assert.equal(body.usage.prompt_tokens_details.cached_tokens, 1);
      other.enqueue({ content: "x", usageDetails: { reasoningTokens: 3 } });
      const overridden = (await (
        await post(other, { model: "m", messages: [{ role: "user", content: "hi" }] })
      ).json()) as { usage: any };
      assert.equal(overridden.usage.prompt_tokens_details.cached_tokens, 0, "an answer's details replace the server's");
      assert.equal(overridden.usage.completion_tokens_details.reasoning_tokens, 3);
    } finally {
      await other.close();
    }
    server.enqueue({ content: "x" });
    const none = (await (await post(server, { model: "m", messages: [{ role: "user", content: "hi" }] })).json()) as {
      usage: any;
    };
    assert.equal("prompt_tokens_details" in none.usage, false);
  });

  it("honours max_tokens (finish_reason length) and stop, plain and streamed", async () => {
    server.enqueue({ content: "one two three four five" });
    const capped = (await (
      await post(server, { model: "m", max_tokens: 2, messages: [{ role: "user", content: "x" }] })
    ).json()) as any;
    assert.equal(capped.choices[0].message.content, "one two");
    assert.equal(capped.choices[0].finish_reason, "length");
    assert.equal(capped.usage.completion_tokens, 2);
    server.enqueue({ content: "one two three four five" });
    const stopped = (await (
      await post(server, { model: "m", stop: ["four", "three"], messages: [{ role: "user", content: "x" }] })
    ).json()) as any;
    assert.equal(stopped.choices[0].message.content, "one two ");
    assert.equal(stopped.choices[0].finish_reason, "stop");
    server.enqueue({ content: "one two three four five" });
    const res = await post(server, {
      model: "m",
      stream: true,
      max_completion_tokens: 3,
      messages: [{ role: "user", content: "x" }],
    });
    const chunks = (await sseData(res)).slice(0, -1).map((d) => JSON.parse(d) as any);
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""), "one two three");
    assert.equal(chunks.at(-1).choices[0].finish_reason, "length");
  });

  it("cuts the connection mid-stream after failAfterChunks chunks, once they have been sent", async () => {
    server.enqueue({ content: "one two three four five", failAfterChunks: 2 });
    const res = await post(server, { model: "m", stream: true, messages: [{ role: "user", content: "x" }] });
    const received: string[] = [];
    const reader = res.body!.getReader();
    await assert.rejects(async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received.push(Buffer.from(value).toString("utf8"));
      }
    });
    const text = received.join("");
    assert.ok(text.includes('"content":"one"') && text.includes('"content":" two"'), text);
    assert.ok(!text.includes("three") && !text.includes("[DONE]"), text);
  });

  it("records every request, also those it does not serve", async () => {
    const before = server.requests.length;
    const res = await fetch(`${server.baseUrl}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", input: "hi" }),
    });
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    const recorded = server.requests.slice(before);
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0]?.path, "/v1/responses");
    assert.deepEqual(recorded[0]?.body, { model: "m", input: "hi" });
  });

  it("close() returns even while a delayed answer is pending", async () => {
    const other = await startFakeOpenAIServer();
    other.enqueue({ delayMs: 60_000 });
    const pending = post(other, { model: "m", messages: [{ role: "user", content: "x" }] }).catch(
      (err: unknown) => err,
    );
    while (other.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await other.close();
    assert.ok((await pending) instanceof Error);
    await other.close();
  });
});
