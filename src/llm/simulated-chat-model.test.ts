import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { AIMessageChunk, HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import { loadCatalog } from "../agents/catalog.js";
import { limitAnswer, SimulatedChatModel, type SimulatedChatModelOptions } from "./simulated-chat-model.js";
import { estimateTokens } from "./token-estimate.js";

const catalog = loadCatalog("agents/shop-support.json");
const [orders, billing] = catalog.agents;
assert.ok(orders && billing);

function chatModel(options: Partial<SimulatedChatModelOptions> = {}) {
  return new SimulatedChatModel({ catalog, role: "chat", ...options });
}

function conversation(systemPrompt: string, message: string): BaseMessage[] {
  return [new SystemMessage(systemPrompt), new HumanMessage(message)];
}

/** Counts tokens the model streams to callbacks, and ends of LLM runs. */
class TokenRecorder extends BaseCallbackHandler {
  name = "token-recorder";
  override awaitHandlers = true;
  tokens: string[] = [];
  ends: LLMResult[] = [];
  override handleLLMNewToken(token: string) {
    this.tokens.push(token);
  }
  override handleLLMEnd(output: LLMResult) {
    this.ends.push(output);
  }
}

describe("SimulatedChatModel, chat role", { timeout: 10_000 }, () => {
  it("answers in the voice of the agent whose system prompt it got, about the user's topic", async () => {
    const reply = await chatModel().invoke(conversation(orders.systemPrompt, "Where is my parcel from Tuesday?"));
    const text = String(reply.content);
    assert.ok(text.includes(orders.name), text);
    assert.ok(text.includes("Where is my parcel from Tuesday"), text);
    const other = String(
      (await chatModel().invoke(conversation(billing.systemPrompt, "Where is my parcel from Tuesday?"))).content,
    );
    assert.ok(other.includes(billing.name) && !other.includes(orders.name), other);
  });

  it("recognises the agent when the graph appends context to its system prompt", async () => {
    const reply = await chatModel().invoke(
      conversation(`${billing.systemPrompt}\n\nCustomer tier: gold.`, "invoice please"),
    );
    assert.ok(String(reply.content).includes(billing.name));
  });

  it("replies in Chinese to a Chinese message", async () => {
    const text = String((await chatModel().invoke(conversation(orders.systemPrompt, "我的订单到哪了？"))).content);
    assert.ok(text.includes("您好") && text.includes("我的订单到哪了"), text);
    assert.ok(!/\b(the|Let me)\b/.test(text), text);
  });

  it("asks one short clarifying question naming the desks for the clarify prompt", async () => {
    for (const message of ["hmm", "嗯"]) {
      const text = String((await chatModel().invoke(conversation(catalog.clarifyPrompt, message))).content);
      assert.equal(text.match(/[?？]/g)?.length, 1, text);
      for (const agent of catalog.agents) assert.ok(text.includes(agent.name), text);
      assert.ok(estimateTokens(text) < 40, text);
    }
  });

  it("sizes replies by replyTokens and reports usage and the model name", async () => {
    for (const replyTokens of [20, 60, 200]) {
      const reply = await chatModel({ replyTokens, modelName: "sim-x" }).invoke(
        conversation(orders.systemPrompt, "Where is my order?"),
      );
      const usage = reply.usage_metadata;
      assert.ok(usage);
      assert.equal(usage.output_tokens, estimateTokens(String(reply.content)));
      assert.ok(
        usage.output_tokens >= replyTokens && usage.output_tokens < replyTokens + 25,
        `${replyTokens} -> ${usage.output_tokens}`,
      );
      assert.ok(usage.input_tokens > 10);
      assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
      assert.equal(reply.response_metadata.model_name, "sim-x");
    }
  });

  it("is deterministic", async () => {
    const a = await chatModel().invoke(conversation(orders.systemPrompt, "Where is my order?"));
    const b = await chatModel().invoke(conversation(orders.systemPrompt, "Where is my order?"));
    assert.equal(a.content, b.content);
  });

  it("streams many token chunks, each reported to callbacks, then usage", async () => {
    const recorder = new TokenRecorder();
    const model = chatModel({ replyTokens: 40 });
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await model.stream(conversation(orders.systemPrompt, "Where is my order?"), {
      callbacks: [recorder],
    }))
      chunks.push(chunk);
    const textChunks = chunks.filter((c) => String(c.content).length > 0);
    assert.ok(textChunks.length >= 40, `${textChunks.length} text chunks`);
    assert.equal(recorder.tokens.filter((t) => t.length > 0).length, textChunks.length);
    const last = chunks.at(-1);
    assert.equal(last?.content, "");
    assert.ok(last?.usage_metadata && last.usage_metadata.output_tokens === textChunks.length);
    assert.ok(
      chunks.slice(0, -1).every((c) => c.usage_metadata === undefined),
      "usage only at the end",
    );
    const whole = textChunks.map((c) => String(c.content)).join("");
    assert.equal(whole, String((await model.invoke(conversation(orders.systemPrompt, "Where is my order?"))).content));
    assert.equal(recorder.ends.length, 1);
  });

  it("stops streaming promptly when aborted between tokens", async () => {
    const controller = new AbortController();
    // A minute per token: only a prompt abort lets this test finish within its timeout.
    const model = chatModel({ tokenMs: 60_000 });
    let received = 0;
    await assert.rejects(
      (async () => {
        for await (const _chunk of await model.stream(conversation(orders.systemPrompt, "hi"), {
          signal: controller.signal,
        })) {
          received++;
          controller.abort();
        }
      })(),
      (err: Error) => err.name === "AbortError",
    );
    assert.equal(received, 1);
  });

  it("aborts promptly while waiting for the first token, for invoke and stream", async () => {
    const model = chatModel({ ttftMs: 60_000 });
    const invoking = new AbortController();
    const pending = model.invoke(conversation(orders.systemPrompt, "hi"), { signal: invoking.signal });
    setTimeout(() => invoking.abort(), 5);
    await assert.rejects(pending, (err: Error) => err.name === "AbortError");

    const streaming = new AbortController();
    setTimeout(() => streaming.abort(), 5);
    await assert.rejects(
      async () => {
        for await (const _chunk of await model.stream(conversation(orders.systemPrompt, "hi"), {
          signal: streaming.signal,
        }))
          assert.fail("no token expected");
      },
      (err: Error) => err.name === "AbortError",
    );
  });

  it("rejects at once when the signal is already aborted", async () => {
    await assert.rejects(
      chatModel().invoke(conversation(orders.systemPrompt, "hi"), { signal: AbortSignal.abort() }),
      (err: Error) => err.name === "AbortError",
    );
  });
});

describe("SimulatedChatModel, the caller's length limits", { timeout: 10_000 }, () => {
  const messages = conversation(orders.systemPrompt, "Where is my order 12?");

  it("maxTokens keeps the first tokens of the answer and finishes with 'length', invoked and streamed", async () => {
    const full = String((await chatModel().invoke(messages)).content);
    const capped = await chatModel().invoke(messages, { maxTokens: 7 });
    assert.equal(estimateTokens(String(capped.content)), 7);
    assert.ok(full.startsWith(String(capped.content)));
    assert.equal(capped.response_metadata["finish_reason"], "length");
    assert.equal(capped.usage_metadata?.output_tokens, 7);
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await chatModel().stream(messages, { maxTokens: 7 })) chunks.push(chunk);
    assert.equal(chunks.map((c) => c.text).join(""), String(capped.content));
    assert.equal(chunks.at(-1)?.response_metadata["finish_reason"], "length");
    const roomy = await chatModel().invoke(messages, { maxTokens: 10_000 });
    assert.equal(roomy.content, full);
    assert.equal(roomy.response_metadata["finish_reason"], "stop");
  });

  it("stop ends the answer before the stop sequence that completes first", () => {
    const answer = "Orders desk here. About it: I can help.";
    assert.deepEqual(limitAnswer(answer, { stop: ["help", "desk"] }), { text: "Orders ", finishReason: "stop" });
    // "s desk here." starts first but completes after "here": generation halts at "here".
    assert.deepEqual(limitAnswer(answer, { stop: ["s desk here.", "here"] }), {
      text: "Orders desk ",
      finishReason: "stop",
    });
    assert.deepEqual(limitAnswer(answer, { stop: ["absent"] }), { text: answer, finishReason: "stop" });
    assert.deepEqual(limitAnswer(answer, { stop: ["help"], maxTokens: 2 }), {
      text: "Orders desk",
      finishReason: "length",
    });
  });

  it("stop reaches the model as a call option, streamed too", async () => {
    const full = String((await chatModel().invoke(messages)).content);
    const cut = full.slice(0, full.indexOf("help"));
    assert.equal(String((await chatModel().invoke(messages, { stop: ["help"] })).content), cut);
    let streamed = "";
    for await (const chunk of await chatModel().stream(messages, { stop: ["help"] })) streamed += chunk.text;
    assert.equal(streamed, cut);
  });

  it("reports the call's parameters under OpenAI's names for tracing (invocation_params)", () => {
    assert.deepEqual(
      chatModel({ modelName: "sim-x" }).invocationParams({
        maxTokens: 5,
        temperature: 0.2,
        topP: 0.9,
        stop: ["x"],
      } as never),
      { model: "sim-x", max_tokens: 5, temperature: 0.2, top_p: 0.9, stop: ["x"] },
    );
    assert.deepEqual(chatModel({ modelName: "sim-x" }).invocationParams({} as never), { model: "sim-x" });
  });
});

describe("SimulatedChatModel with zero delays", { timeout: 10_000 }, () => {
  it("answers on the event loop's next turn, as a network endpoint does: once per call, never per token", async () => {
    /** Turns of the event loop that pass while `call` runs (a chain of setImmediate started before it). */
    const loopTurnsDuring = async (call: () => Promise<unknown>): Promise<number> => {
      let turns = 0;
      let counting = true;
      const tick = () => {
        if (!counting) return;
        turns++;
        setImmediate(tick);
      };
      setImmediate(tick);
      await call();
      counting = false;
      return turns;
    };
    const chat = chatModel({ replyTokens: 60 });
    const classifier = new SimulatedChatModel({ catalog, role: "classifier" });
    assert.equal(await loopTurnsDuring(() => chat.invoke(conversation(orders.systemPrompt, "order 1"))), 1);
    assert.equal(await loopTurnsDuring(() => classifier.invoke([new HumanMessage("I was charged twice")])), 1);
    let chunks = 0;
    const streamed = await loopTurnsDuring(async () => {
      for await (const _chunk of await chat.stream(conversation(orders.systemPrompt, "Where is my order?"))) chunks++;
    });
    assert.ok(chunks > 30, `${chunks} chunks`);
    assert.equal(streamed, 1, `${chunks} chunks streamed over ${streamed} turns of the event loop`);
  });

  it("uses no timers: invoke and stream complete while setTimeout is frozen", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
    const chat = chatModel({ replyTokens: 30 });
    for (let i = 0; i < 50; i++) await chat.invoke(conversation(orders.systemPrompt, `order ${i}`));
    let chunks = 0;
    for await (const _chunk of await chat.stream(conversation(orders.systemPrompt, "Where is my order?"))) chunks++;
    assert.ok(chunks > 30, `${chunks} chunks`);
  });

  it("does wait for a non-zero delay (the frozen clock holds it back)", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    let done = false;
    const pending = chatModel({ ttftMs: 50 })
      .invoke(conversation(orders.systemPrompt, "hi"))
      .then(() => (done = true));
    // setImmediate is real here: everything that needs no timer has run when it fires.
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(done, false);
    t.mock.timers.tick(50);
    await pending;
    assert.equal(done, true);
  });
});

describe("SimulatedChatModel, classifier role", () => {
  it("answers classification JSON with usage", async () => {
    const reply = await new SimulatedChatModel({ catalog, role: "classifier" }).invoke([
      new SystemMessage("Current intent: none"),
      new HumanMessage("my parcel never arrived"),
    ]);
    assert.deepEqual(JSON.parse(String(reply.content)), { intent: "order_status", confidence: 0.9 });
    assert.ok(reply.usage_metadata && reply.usage_metadata.output_tokens > 0);
  });
});
