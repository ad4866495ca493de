import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { loadCatalog } from "../agents/catalog.js";
import { createModelProvider } from "./create-model-provider.js";
import { SIMULATED_CONFIDENCE } from "./keyword-classifier.js";

const catalog = loadCatalog("agents/shop-support.json");
const provider = await createModelProvider(
  {
    provider: "simulated",
    simTtftMs: 0,
    simTokenMs: 0,
    simReplyTokens: 60,
    model: "switchboard-sim",
    timeoutMs: 1000,
    maxRetries: 0,
    structuredOutput: "json_schema",
  },
  catalog,
);

async function classify(message: string, currentIntent: string | null = null, history: BaseMessage[] = []) {
  const result = await provider.classifier.invoke({ history, message, currentIntent });
  assert.ok(result.parsed, `parsed classification for ${JSON.stringify(message)}: ${String(result.raw.content)}`);
  return result.parsed;
}

const EXAMPLES: Record<string, { en: string[]; zh: string[] }> = {
  order_status: {
    en: ["Where is my package?", "I want to return these shoes", "Can I change the delivery address?"],
    zh: ["我的订单到哪了？", "我想退货", "快递什么时候到"],
  },
  billing: {
    en: ["I was charged twice", "Where is my refund?", "Can I pay with a credit card?"],
    zh: ["我被扣款两次", "退款什么时候到账", "能开发票吗"],
  },
  tech_support: {
    en: ["The app crashes when I open it", "I forgot my password", "The website shows an error"],
    zh: ["应用一打开就崩溃", "我忘记密码了", "网站报错"],
  },
  small_talk: { en: ["Hello there!", "Thank you so much", "Tell me a joke"], zh: ["你好", "谢谢你", "讲个笑话吧"] },
};

describe("simulated classifier", () => {
  for (const agent of catalog.agents) {
    it(`routes ${agent.intent} in English and Chinese with a clear confidence`, async () => {
      const examples = EXAMPLES[agent.intent];
      assert.ok(examples, `examples for ${agent.intent}`);
      for (const message of [...examples.en, ...examples.zh]) {
        assert.deepEqual(
          await classify(message),
          { intent: agent.intent, confidence: SIMULATED_CONFIDENCE.CLEAR },
          message,
        );
      }
    });
  }

  it("answers JSON content on the raw message", async () => {
    const result = await provider.classifier.invoke({
      history: [],
      message: "I was charged twice",
      currentIntent: null,
    });
    assert.deepEqual(JSON.parse(String(result.raw.content)), {
      intent: "billing",
      confidence: SIMULATED_CONFIDENCE.CLEAR,
    });
  });

  it("gives null and a low confidence to an unclear first message", async () => {
    for (const message of ["hmm", "I have a question", "嗯……"]) {
      assert.deepEqual(await classify(message), { intent: null, confidence: SIMULATED_CONFIDENCE.NONE }, message);
    }
  });

  it("gives a tie a confidence below the usual clarify threshold", async () => {
    const parsed = await classify("refund my order");
    assert.equal(parsed.confidence, SIMULATED_CONFIDENCE.TIE);
    assert.ok(parsed.confidence < 0.5);
  });

  it("breaks a tie toward the current intent", async () => {
    assert.deepEqual(await classify("refund my order", "billing"), {
      intent: "billing",
      confidence: SIMULATED_CONFIDENCE.TIE_WITH_CURRENT,
    });
  });

  it("keeps the current intent for a follow-up that matches nothing", async () => {
    for (const message of ["A-12345", "yes please", "好的"]) {
      assert.deepEqual(
        await classify(message, "order_status"),
        { intent: "order_status", confidence: SIMULATED_CONFIDENCE.CONTINUATION },
        message,
      );
    }
  });

  it("detects a switch away from the current intent", async () => {
    assert.deepEqual(await classify("Also, I was charged twice for it", "order_status"), {
      intent: "billing",
      confidence: SIMULATED_CONFIDENCE.CLEAR,
    });
    assert.deepEqual(await classify("我的密码忘了", "billing"), {
      intent: "tech_support",
      confidence: SIMULATED_CONFIDENCE.CLEAR,
    });
  });

  it("reads an answer to a clarifying question in the light of the previous user message", async () => {
    const history = [new HumanMessage("my parcel"), new AIMessage("Could you tell me a little more?")];
    assert.deepEqual(await classify("it is the blue one", null, history), {
      intent: "order_status",
      confidence: SIMULATED_CONFIDENCE.CLARIFICATION_ANSWER,
    });
    const noQuestion = [new HumanMessage("my parcel"), new AIMessage("Noted.")];
    assert.deepEqual(await classify("it is the blue one", null, noQuestion), {
      intent: null,
      confidence: SIMULATED_CONFIDENCE.NONE,
    });
  });

  it("ranks a contested message by its lead, between the tie and the clear confidence", async () => {
    const parsed = await classify("my order was shipped and delivered but I need a refund");
    assert.equal(parsed.intent, "order_status");
    assert.ok(
      parsed.confidence > SIMULATED_CONFIDENCE.TIE && parsed.confidence < SIMULATED_CONFIDENCE.CLEAR,
      String(parsed.confidence),
    );
  });

  it("is deterministic", async () => {
    const a = await provider.classifier.invoke({
      history: [],
      message: "my order was shipped and delivered but I need a refund",
      currentIntent: null,
    });
    const b = await provider.classifier.invoke({
      history: [],
      message: "my order was shipped and delivered but I need a refund",
      currentIntent: null,
    });
    assert.equal(a.raw.content, b.raw.content);
  });
});
