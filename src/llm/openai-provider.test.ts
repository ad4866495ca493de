import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { HumanMessage, SystemMessage, type AIMessageChunk } from "@langchain/core/messages";
import { loadCatalog } from "../agents/catalog.js";
import {
  MALFORMED_CLASSIFICATION,
  classificationAnswer,
  startFakeOpenAIServer,
  type FakeOpenAIServer,
} from "../../test/support/fake-openai-server.js";
import { ModelUnavailableError } from "./model-errors.js";
import { createOpenAIProvider, type OpenAIProviderOptions, type StructuredOutputMethod } from "./openai-provider.js";

const catalog = loadCatalog("agents/shop-support.json");
const [orders] = catalog.agents;
assert.ok(orders);
const METHODS: StructuredOutputMethod[] = ["json_schema", "function_calling", "json_mode"];
const turn = [new SystemMessage(orders.systemPrompt), new HumanMessage("Where is my order?")];

class TokenCounter extends BaseCallbackHandler {
  name = "token-counter";
  override awaitHandlers = true;
  tokens = 0;
  override handleLLMNewToken(token: string) {
    if (token.length > 0) this.tokens++;
  }
}

describe("OpenAI provider against a fake OpenAI-compatible server", { timeout: 30_000 }, () => {
  let server: FakeOpenAIServer;
  let options: OpenAIProviderOptions;
  before(async () => {
    server = await startFakeOpenAIServer({ catalog });
    options = {
      baseUrl: server.baseUrl,
      apiKey: "sk-test",
      model: "gpt-fake",
      timeoutMs: 2000,
      maxRetries: 0,
      structuredOutput: "json_schema",
    };
  });
  after(async () => {
    await server.close();
  });

  it("answers a plain request with usage and the model name", async () => {
    server.enqueue({ content: "Your order ships tomorrow." });
    const reply = await createOpenAIProvider(options, catalog).chatModel.invoke(turn);
    assert.equal(reply.content, "Your order ships tomorrow.");
    assert.ok(
      reply.usage_metadata && reply.usage_metadata.output_tokens === 4 && reply.usage_metadata.input_tokens > 0,
    );
    assert.equal(reply.response_metadata.model_name, "gpt-fake");
    const request = server.chatRequests().at(-1);
    assert.equal(request?.stream, false);
    assert.equal(request?.messages[0]?.role, "system");
  });

  it("streams tokens to callbacks and reports usage at the end (stream_options.include_usage)", async () => {
    server.enqueue({ content: "One two three four five six seven eight." });
    const counter = new TokenCounter();
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await createOpenAIProvider(options, catalog).chatModel.stream(turn, {
      callbacks: [counter],
    }))
      chunks.push(chunk);
    const text = chunks.map((c) => String(c.content)).join("");
    assert.equal(text, "One two three four five six seven eight.");
    assert.ok(chunks.filter((c) => String(c.content).length > 0).length >= 8);
    assert.ok(counter.tokens >= 8, `${counter.tokens} tokens`);
    const usage = chunks.find((c) => c.usage_metadata)?.usage_metadata;
    assert.ok(usage && usage.output_tokens === 8, JSON.stringify(usage));
    const request = server.chatRequests().at(-1);
    assert.equal(request?.stream, true);
    assert.deepEqual(request?.stream_options, { include_usage: true });
  });

  for (const method of METHODS) {
    it(`classifies with structured output method ${method}`, async () => {
      const provider = createOpenAIProvider({ ...options, structuredOutput: method }, catalog);
      server.enqueue(classificationAnswer("billing", 0.83));
      const result = await provider.classifier.invoke({
        history: [],
        message: "I was charged twice",
        currentIntent: "order_status",
      });
      assert.deepEqual(result.parsed, { intent: "billing", confidence: 0.83 });
      const request = server.chatRequests().at(-1);
      assert.ok(request);
      assert.equal(request.stream, false, "the classifier never streams");
      if (method === "json_schema") assert.equal(request.response_format?.type, "json_schema");
      if (method === "json_mode") assert.equal(request.response_format?.type, "json_object");
      if (method === "function_calling") {
        assert.equal(request.tools?.[0]?.function.name, "classification");
        assert.deepEqual(request.tool_choice, { type: "function", function: { name: "classification" } });
      }
      assert.match(String(request.messages[0]?.content), /^Current intent: order_status$/m);
      assert.equal(request.messages.at(-1)?.content, "I was charged twice");
    });

    it(`gives parsed: null, not an error, for malformed classifier output (${method})`, async () => {
      const provider = createOpenAIProvider({ ...options, structuredOutput: method }, catalog);
      const before = server.requests.length;
      server.enqueue({ content: MALFORMED_CLASSIFICATION });
      const result = await provider.classifier.invoke({
        history: [],
        message: "I was charged twice",
        currentIntent: null,
      });
      assert.equal(result.parsed, null);
      assert.equal(server.requests.length, before + 1, "malformed output is not retried as a transport error");
    });

    it(`normalises a fenced answer with an unknown intent (${method})`, async () => {
      const provider = createOpenAIProvider({ ...options, structuredOutput: method }, catalog);
      server.enqueue({ content: '```json\n{"intent": "weather", "confidence": 1.7}\n```' });
      const result = await provider.classifier.invoke({ history: [], message: "is it raining?", currentIntent: null });
      assert.deepEqual(result.parsed, { intent: null, confidence: 1 });
    });
  }

  it("turns an HTTP 500 into ModelUnavailableError (chat model and classifier)", async () => {
    const provider = createOpenAIProvider(options, catalog);
    server.enqueue({ status: 500 });
    await assert.rejects(
      provider.chatModel.invoke(turn),
      (err: unknown) => err instanceof ModelUnavailableError && err.status === 500 && err.cause !== undefined,
    );
    server.enqueue({ status: 503 });
    await assert.rejects(
      provider.classifier.invoke({ history: [], message: "hi", currentIntent: null }),
      (err: unknown) => err instanceof ModelUnavailableError && err.status === 503,
    );
    server.enqueue({ status: 500 });
    await assert.rejects(async () => {
      for await (const _chunk of await provider.chatModel.stream(turn)) assert.fail("no chunk expected");
    }, ModelUnavailableError);
  });

  it("retries a 500 when maxRetries allows it", async () => {
    const before = server.requests.length;
    server.enqueue({ status: 500 }, { content: "second time lucky" });
    const reply = await createOpenAIProvider({ ...options, maxRetries: 1 }, catalog).chatModel.invoke(turn);
    assert.equal(reply.content, "second time lucky");
    assert.equal(server.requests.length, before + 2);
  });

  it("turns a timeout into ModelUnavailableError", async () => {
    const provider = createOpenAIProvider({ ...options, timeoutMs: 150 }, catalog);
    server.enqueue({ delayMs: 5000 });
    await assert.rejects(provider.chatModel.invoke(turn), ModelUnavailableError);
    server.enqueue({ delayMs: 5000 });
    await assert.rejects(
      provider.classifier.invoke({ history: [], message: "hi", currentIntent: null }),
      ModelUnavailableError,
    );
  });

  it("turns a deadline signal (AbortSignal.timeout) into ModelUnavailableError", async () => {
    server.enqueue({ delayMs: 5000 });
    await assert.rejects(
      createOpenAIProvider(options, catalog).chatModel.invoke(turn, { signal: AbortSignal.timeout(100) }),
      ModelUnavailableError,
    );
  });

  it("keeps a caller's abort an AbortError", async () => {
    const controller = new AbortController();
    server.enqueue({ delayMs: 5000 });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      createOpenAIProvider(options, catalog).chatModel.invoke(turn, { signal: controller.signal }),
      (err: Error) => err.name === "AbortError" && !(err instanceof ModelUnavailableError),
    );

    const streaming = new AbortController();
    server.enqueue({ content: "a b c d e f g h i j k l m n o p", chunkDelayMs: 1000 });
    await assert.rejects(
      async () => {
        for await (const _chunk of await createOpenAIProvider(options, catalog).chatModel.stream(turn, {
          signal: streaming.signal,
        }))
          streaming.abort();
      },
      (err: Error) => err.name === "AbortError",
    );
  });

  it("sends a caller's max tokens, temperature, top_p, stop, penalties and seed (call options), plain and streamed", async () => {
    const model = createOpenAIProvider(options, catalog).chatModel;
    const params = {
      maxTokens: 33,
      temperature: 0.4,
      topP: 0.8,
      stop: ["END"],
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      seed: 7,
    };
    server.enqueue({ content: "ok" });
    await model.invoke(turn, params as never);
    const plain = server.chatRequests().at(-1)!;
    assert.deepEqual(
      {
        max_tokens: plain.max_tokens,
        temperature: plain.temperature,
        top_p: plain.top_p,
        stop: plain.stop,
        presence_penalty: plain.presence_penalty,
        frequency_penalty: plain.frequency_penalty,
        seed: plain.seed,
      },
      {
        max_tokens: 33,
        temperature: 0.4,
        top_p: 0.8,
        stop: ["END"],
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        seed: 7,
      },
    );
    server.enqueue({ content: "ok" });
    for await (const _chunk of await model.stream(turn, { maxTokens: 12, temperature: 0 } as never));
    const streamed = server.chatRequests().at(-1)!;
    assert.equal(streamed.stream, true);
    assert.equal(streamed.max_tokens, 12);
    assert.equal(streamed.temperature, 0);
    server.enqueue({ content: "ok" });
    await model.invoke(turn);
    const none = server.chatRequests().at(-1)!;
    assert.equal(
      "max_tokens" in none || "temperature" in none || "top_p" in none,
      false,
      "nothing is sent that the caller did not ask for",
    );
  });

  it("sends max_completion_tokens instead of max_tokens to reasoning models, as ChatOpenAI does", async () => {
    server.enqueue({ content: "ok" });
    await createOpenAIProvider({ ...options, model: "o3-mini" }, catalog).chatModel.invoke(turn, {
      maxTokens: 50,
    } as never);
    const request = server.chatRequests().at(-1)!;
    assert.equal(request.max_completion_tokens, 50);
    assert.equal("max_tokens" in request, false);
  });

  it("reports the endpoint's finish reason on the message", async () => {
    server.enqueue({ content: "one two three four" });
    const reply = await createOpenAIProvider(options, catalog).chatModel.invoke(turn, { maxTokens: 2 } as never);
    assert.equal(reply.content, "one two");
    assert.equal(reply.response_metadata["finish_reason"], "length");
  });

  it("turns a refused connection into ModelUnavailableError", async () => {
    const closed = await startFakeOpenAIServer();
    await closed.close();
    const provider = createOpenAIProvider({ ...options, baseUrl: closed.baseUrl }, catalog);
    await assert.rejects(provider.chatModel.invoke(turn), ModelUnavailableError);
  });
});
