import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { loadCatalog } from "../agents/catalog.js";
import {
  CLASSIFIER_TEMPLATE,
  buildClassifierMessages,
  classificationSchema,
  parseClassification,
  readCurrentIntent,
} from "./classifier-prompt.js";

const catalog = loadCatalog("agents/shop-support.json");

describe("buildClassifierMessages", () => {
  it("lists every intent with its description and examples, the current intent line, the history, then the message", () => {
    const history = [new HumanMessage("where is my parcel"), new AIMessage("Which order number?")];
    const messages = buildClassifierMessages(catalog, { history, message: "A-1234", currentIntent: "order_status" });
    assert.equal(messages.length, 4);
    const [system, ...rest] = messages;
    assert.equal(system?.getType(), "system");
    const text = String(system?.content);
    for (const agent of catalog.agents) {
      assert.ok(text.includes(`- ${agent.intent}: ${agent.description}`), `intent ${agent.intent} listed`);
      assert.ok(text.includes(`"${agent.keywords[0]}"`), `an example keyword of ${agent.intent}`);
    }
    assert.ok(text.includes('"订单"'), "CJK examples are shown too");
    assert.match(text, /^Current intent: order_status$/m);
    assert.match(text, /JSON/);
    assert.deepEqual(rest.slice(0, 2), history);
    assert.equal(rest[2]?.getType(), "human");
    assert.equal(rest[2]?.content, "A-1234");
  });

  it("writes `none` when there is no current intent, and reads it back", () => {
    const [system] = buildClassifierMessages(catalog, { history: [], message: "hi", currentIntent: null });
    assert.match(String(system?.content), /^Current intent: none$/m);
    assert.equal(readCurrentIntent(String(system?.content)), null);
    assert.equal(readCurrentIntent("x\nCurrent intent: billing\ny"), "billing");
    assert.equal(readCurrentIntent("no such line"), null);
  });

  it("builds the system message once per current intent, shared by every turn that sends it", () => {
    const turn = (currentIntent: string | null, message: string) =>
      buildClassifierMessages(catalog, { history: [], message, currentIntent });
    const [billing] = turn("billing", "one");
    assert.equal(turn("billing", "two")[0], billing);
    assert.equal(turn(null, "three")[0], turn(null, "four")[0]);
    assert.notEqual(turn("order_status", "five")[0], billing);
    assert.match(String(turn("order_status", "six")[0]?.content), /^Current intent: order_status$/m);
    assert.match(String(billing?.content), /^Current intent: billing$/m);
    // An intent the catalog does not know is written as given, and not kept.
    const [unknown] = turn("no_such_intent", "seven");
    assert.match(String(unknown?.content), /^Current intent: no_such_intent$/m);
    assert.notEqual(turn("no_such_intent", "eight")[0], unknown);
  });
});

describe("a classifier template from Langfuse", () => {
  it("is compiled with the catalog's intents and the current intent, nothing escaped; the catalog's template gives the same text", () => {
    const input = { history: [], message: "hi", currentIntent: "billing" };
    const [catalogSystem] = buildClassifierMessages(catalog, input);
    const [sameTemplate] = buildClassifierMessages(catalog, input, CLASSIFIER_TEMPLATE);
    assert.equal(sameTemplate, catalogSystem, "the catalog's template is the default");
    const edited = "Route for ACME & Co.\n{{intents}}\nCurrent intent: {{current_intent}}\n{{unknown}}end";
    const [system] = buildClassifierMessages(catalog, input, edited);
    const text = String(system?.content);
    assert.ok(text.startsWith("Route for ACME & Co.\n- "), text);
    for (const agent of catalog.agents) assert.ok(text.includes(`- ${agent.intent}: ${agent.description}`));
    assert.ok(text.includes('"订单"'), "quotes kept as they are");
    assert.equal(readCurrentIntent(text), "billing");
    assert.ok(text.endsWith("\nend"), "an unknown variable is empty, as Langfuse's SDKs compile it");
    assert.doesNotMatch(text, /\{\{/);
    // The compiled message is shared while the template stays; a new template replaces it.
    assert.equal(buildClassifierMessages(catalog, input, edited)[0], system);
    assert.notEqual(buildClassifierMessages(catalog, input)[0], system);
  });
});

describe("parseClassification", () => {
  it("accepts objects and JSON strings, fenced or wrapped in prose", () => {
    assert.deepEqual(parseClassification({ intent: "billing", confidence: 0.8 }, catalog), {
      intent: "billing",
      confidence: 0.8,
    });
    assert.deepEqual(parseClassification('{"intent":"tech_support","confidence":0.7}', catalog), {
      intent: "tech_support",
      confidence: 0.7,
    });
    assert.deepEqual(parseClassification('```json\n{"intent": "small_talk", "confidence": 0.9}\n```', catalog), {
      intent: "small_talk",
      confidence: 0.9,
    });
    assert.deepEqual(
      parseClassification('Here you go: {"intent": "order_status", "confidence": "0.66"} hope it helps', catalog),
      { intent: "order_status", confidence: 0.66 },
    );
  });

  it("maps unknown, empty and null intents to null and clamps confidence", () => {
    assert.deepEqual(parseClassification({ intent: "weather", confidence: 0.9 }, catalog), {
      intent: null,
      confidence: 0.9,
    });
    assert.deepEqual(parseClassification({ intent: null, confidence: -3 }, catalog), { intent: null, confidence: 0 });
    assert.deepEqual(parseClassification({ intent: "BILLING", confidence: 7 }, catalog), {
      intent: "billing",
      confidence: 1,
    });
    assert.deepEqual(parseClassification({ confidence: 0.3 }, catalog), { intent: null, confidence: 0.3 });
  });

  it("returns null for garbage", () => {
    for (const garbage of [
      undefined,
      null,
      42,
      "",
      "not json",
      "{broken",
      "[1,2]",
      { intent: "billing" },
      { intent: "billing", confidence: "high" },
      { intent: "billing", confidence: Number.NaN },
    ]) {
      assert.equal(parseClassification(garbage, catalog), null, `garbage ${JSON.stringify(garbage)}`);
    }
  });

  it("the exported schema accepts a classification and rejects a missing confidence", () => {
    assert.ok(classificationSchema.safeParse({ intent: null, confidence: 0.2 }).success);
    assert.equal(classificationSchema.safeParse({ intent: "billing" }).success, false);
  });
});
