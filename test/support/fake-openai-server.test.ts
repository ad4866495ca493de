import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadCatalog } from "../../src/agents/catalog.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "./fake-openai-server.js";

const catalog = loadCatalog("agents/shop-support.json");

function post(server: FakeOpenAIServer, body: unknown): Promise<Response> {
  return fetch(`${server.baseUrl}/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer k" }, body: JSON.stringify(body) });
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
    const body = (await res.json()) as { object: string; model: string; choices: { message: { content: string }; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } };
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
    const res = await post(server, { model: "m", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] });
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const data = await sseData(res);
    assert.equal(data.at(-1), "[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { object: string; choices: { delta: { content?: string }; finish_reason: string | null }[]; usage?: { completion_tokens: number } });
    assert.ok(chunks.every((c) => c.object === "chat.completion.chunk"));
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""), "one two three");
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, "stop");
    assert.deepEqual(chunks.at(-1)?.choices, []);
    assert.equal(chunks.at(-1)?.usage?.completion_tokens, 3);
  });

  it("answers a forced tool choice with a tool call carrying the text as arguments", async () => {
    server.enqueue({ content: '{"intent":"billing","confidence":0.9}' });
    const tools = [{ type: "function", function: { name: "classification", parameters: { type: "object" } } }];
    const res = await post(server, { model: "m", messages: [{ role: "user", content: "x" }], tools, tool_choice: { type: "function", function: { name: "classification" } } });
    const body = (await res.json()) as { choices: { message: { content: null; tool_calls: { type: string; function: { name: string; arguments: string } }[] }; finish_reason: string }[] };
    const choice = body.choices[0];
    assert.equal(choice?.finish_reason, "tool_calls");
    assert.equal(choice?.message.content, null);
    assert.deepEqual(choice?.message.tool_calls[0]?.function, { name: "classification", arguments: '{"intent":"billing","confidence":0.9}' });
  });

  it("answers a scripted status with an OpenAI-style error body", async () => {
    server.enqueue({ status: 500 });
    const res = await post(server, { model: "m", messages: [{ role: "user", content: "x" }] });
    assert.equal(res.status, 500);
    const body = (await res.json()) as { error: { type: string } };
    assert.equal(body.error.type, "server_error");
  });

  it("answers unscripted requests like the simulated model: classification JSON or an agent reply", async () => {
    const classify = await post(server, { model: "m", response_format: { type: "json_object" }, messages: [{ role: "system", content: "Current intent: none" }, { role: "user", content: "I was charged twice" }] });
    const classified = (await classify.json()) as { choices: { message: { content: string } }[] };
    assert.deepEqual(JSON.parse(classified.choices[0]?.message.content ?? ""), { intent: "billing", confidence: 0.9 });
    const agent = catalog.agents[0];
    const chat = await post(server, { model: "m", messages: [{ role: "system", content: agent?.systemPrompt }, { role: "user", content: "where is my order" }] });
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

  it("close() returns even while a delayed answer is pending", async () => {
    const other = await startFakeOpenAIServer();
    other.enqueue({ delayMs: 60_000 });
    const pending = post(other, { model: "m", messages: [{ role: "user", content: "x" }] }).catch((err: unknown) => err);
    while (other.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await other.close();
    assert.ok((await pending) instanceof Error);
    await other.close();
  });
});
