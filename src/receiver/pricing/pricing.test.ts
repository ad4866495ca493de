// Pricing as Langfuse prices a row: the default price table loads whole, models match by pattern,
// tiers by usage and model parameters, cost = usage x price per usage key, provided cost wins, a
// generation without usage is tokenized (as Langfuse does, whatever its level: a failed call is
// billed unless it carries explicit zero usage), costs kept at ClickHouse's 12 decimals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_MODELS, compileMatchPattern, defaultTier, findModel } from "./model-prices.js";
import { tokenCount } from "./token-count.js";
import { priceObservation, type GenerationFacts } from "./usage-cost.js";
import { startReceiver } from "../receiver.js";
import { getJson, hexId, otlpJsonBody, postIngest } from "../../../test/support/receiver-http.js";

const facts = (over: Partial<GenerationFacts>): GenerationFacts => ({
  model: null,
  providedUsage: {},
  providedCost: {},
  modelParameters: null,
  metadata: {},
  input: null,
  output: null,
  ...over,
});

test("the default table: every pattern compiles, every model has exactly one default tier and prices", () => {
  assert.ok(DEFAULT_MODELS.length > 100, `${DEFAULT_MODELS.length} models`);
  for (const model of DEFAULT_MODELS) {
    assert.doesNotThrow(() => compileMatchPattern(model.matchPattern), model.modelName);
    assert.equal(model.pricingTiers.filter((t) => t.isDefault).length, 1, model.modelName);
    assert.ok(defaultTier(model)!.prices.size > 0, model.modelName);
  }
});

test("models match by pattern: case-insensitive, provider prefixes, dated names, nothing for unknown names", () => {
  assert.equal(findModel("gpt-4o-mini")?.modelName, "gpt-4o-mini");
  assert.equal(findModel("GPT-4O-MINI")?.modelName, "gpt-4o-mini");
  assert.equal(findModel("openai/gpt-4o-mini")?.modelName, "gpt-4o-mini");
  assert.equal(findModel("gpt-4o")?.modelName, "gpt-4o");
  assert.equal(findModel("claude-3-5-sonnet-20241022")?.modelName, "claude-3.5-sonnet-20241022");
  assert.equal(findModel("gpt-4o-mini-extra"), null, "anchored: no partial match");
  assert.equal(findModel("switchboard-sim"), null);
});

test("cost: each usage key times its price, total their sum; total usage filled in", () => {
  const priced = priceObservation(
    facts({ model: "gpt-4o", providedUsage: { input: 2000, input_cache_read: 1000, output: 300 } }),
  );
  assert.equal(priced.modelId, "b9854a5c92dc496b997d99d20");
  assert.deepEqual(priced.usageDetails, { input: 2000, input_cache_read: 1000, output: 300, total: 3300 });
  // 2.5e-6 x 2000, 1.25e-6 x 1000, 10e-6 x 300
  assert.deepEqual(priced.costDetails, { input: 0.005, input_cache_read: 0.00125, output: 0.003, total: 0.00925 });
  assert.equal(priced.usagePricingTierName, "Standard");
  assert.equal(priced.tokenized, false);
});

test("reasoning tokens are priced as what they are; unknown usage keys cost nothing", () => {
  const priced = priceObservation(
    facts({ model: "o3", providedUsage: { input: 100, output: 10, output_reasoning: 50, odd_key: 7 } }),
  );
  assert.deepEqual(priced.costDetails, { input: 0.0002, output: 0.00008, output_reasoning: 0.0004, total: 0.00068 });
  assert.equal(priced.usageDetails["total"], 167);
});

test("tiers: model parameters pick Fast mode or Flex, usage thresholds pick long-context tiers", () => {
  const flex = priceObservation(
    facts({ model: "o3", providedUsage: { input: 1000, output: 0 }, modelParameters: '{"service_tier":"flex"}' }),
  );
  assert.equal(flex.usagePricingTierName, "Flex");
  assert.equal(flex.costDetails["input"], 0.001);
  const withThreshold = DEFAULT_MODELS.find((m) =>
    m.pricingTiers.some((t) => t.conditions.some((c) => "usageDetailPattern" in c)),
  )!;
  const tier = withThreshold.pricingTiers.find((t) => t.conditions.some((c) => "usageDetailPattern" in c))!;
  const condition = tier.conditions.find((c) => "usageDetailPattern" in c) as { value: number };
  const small = priceObservation(facts({ model: withThreshold.modelName, providedUsage: { input: 10, output: 1 } }));
  const large = priceObservation(
    facts({ model: withThreshold.modelName, providedUsage: { input: condition.value + 1, output: 1 } }),
  );
  assert.equal(findModel(withThreshold.modelName)?.id, withThreshold.id, "the table's own name matches");
  assert.equal(small.usagePricingTierName, "Standard");
  assert.equal(large.usagePricingTierId, tier.id);
});

test("provided cost wins outright; input + output make the total when only they are given", () => {
  const given = priceObservation(
    facts({ model: "gpt-4o", providedUsage: { input: 1000, output: 10 }, providedCost: { input: 1, output: 2 } }),
  );
  assert.deepEqual(given.costDetails, { input: 1, output: 2, total: 3 });
  const other = priceObservation(facts({ model: "gpt-4o", providedCost: { special: 5 } }));
  assert.deepEqual(other.costDetails, { special: 5 }, "no total when other keys are given");
  assert.deepEqual(other.usageDetails, {}, "provided cost: no tokenizing");
});

test("tokens are counted as Langfuse counts them: chat messages per message, other values as text", () => {
  const gpt4oMini = findModel("gpt-4o-mini")!;
  // 3 per message + the role's and the content's tokens + 3 for the reply's priming.
  assert.equal(tokenCount(gpt4oMini, JSON.stringify([{ role: "user", content: "hello" }])), 8);
  assert.equal(tokenCount(gpt4oMini, JSON.stringify("hi")), 1, "a JSON string counts as its text");
  assert.equal(tokenCount(gpt4oMini, null), undefined);
  assert.equal(tokenCount(findModel("claude-3-5-sonnet-20241022")!, '"hello"'), undefined, "no Claude tokenizer here");
});

test("without usage or cost a generation of a model with a tokenizer waits for its count, then is priced from it", () => {
  const input = JSON.stringify([{ role: "user", content: "hello" }]);
  const waiting = priceObservation(facts({ model: "gpt-4o-mini", input, output: JSON.stringify("hi") }));
  assert.equal(waiting.needsTokens, true);
  assert.deepEqual(waiting.usageDetails, {});
  const counted = priceObservation(facts({ model: "gpt-4o-mini", input, output: '"hi"' }), { input: 8, output: 1 });
  assert.equal(counted.tokenized, true);
  assert.deepEqual(counted.usageDetails, { input: 8, output: 1, total: 9 });
  assert.deepEqual(counted.costDetails, { input: 0.0000012, output: 0.0000006, total: 0.0000018 });

  const zero = priceObservation(facts({ model: "gpt-4o-mini", input, providedUsage: { input: 0, output: 0 } }));
  assert.equal(zero.needsTokens, false, "explicit zero usage is not counted");
  assert.deepEqual(zero.usageDetails, { input: 0, output: 0, total: 0 });
  assert.deepEqual(zero.costDetails, { input: 0, output: 0, total: 0 });

  const noTokenizer = priceObservation(facts({ model: "o3", input }));
  assert.equal(noTokenizer.needsTokens, false, "a model without a tokenizer stays uncounted");
  assert.deepEqual(noTokenizer.usageDetails, {});
  assert.equal(noTokenizer.modelId, findModel("o3")!.id);
});

test("through the receiver: a generation sent without usage is counted and billed, a failed one too; zero usage is not", async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const traceId = hexId(16);
    const [ok, failed, zero] = [hexId(8), hexId(8), hexId(8)];
    const input = JSON.stringify([{ role: "user", content: "hello" }]);
    const generation = (spanId: string, extra: Record<string, string>) => ({
      traceId,
      spanId,
      name: "agent_reply",
      attributes: {
        "langfuse.observation.type": "generation",
        "langfuse.observation.model.name": "gpt-4o-mini",
        "langfuse.observation.input": input,
        ...extra,
      },
    });
    const body = otlpJsonBody([
      generation(ok, { "langfuse.observation.output": '"hi"' }),
      generation(failed, { "langfuse.observation.level": "ERROR", "langfuse.observation.status_message": "boom" }),
      generation(zero, {
        "langfuse.observation.level": "ERROR",
        "langfuse.observation.usage_details": '{"input":0,"output":0}',
      }),
    ]);
    assert.equal((await postIngest(receiver, body)).status, 200);
    await receiver.tokensCounted();
    const { body: page } = await getJson(receiver, `/api/public/v2/observations?traceId=${traceId}&fields=usage`);
    const byId = Object.fromEntries(page.data.map((observation: any) => [observation.id, observation]));
    assert.deepEqual(byId[ok].usageDetails, { input: 8, output: 1, total: 9 });
    assert.equal(byId[ok].totalCost, 0.0000018);
    assert.deepEqual(byId[failed].usageDetails, { input: 8, total: 8 }, "Langfuse bills a failed call's input");
    assert.equal(byId[failed].totalCost, 0.0000012);
    assert.deepEqual(byId[zero].usageDetails, { input: 0, output: 0, total: 0 });
    assert.equal(byId[zero].totalCost, 0);
  } finally {
    await receiver.close();
  }
});

test("no model, usage or cost: nothing to price; negative usage is dropped", () => {
  assert.deepEqual(priceObservation(facts({})).usageDetails, {});
  const negative = priceObservation(facts({ providedUsage: { input: -5, output: 3 } }));
  assert.deepEqual(negative.usageDetails, { output: 3, total: 3 });
  assert.equal(negative.modelId, null);
  assert.deepEqual(negative.costDetails, {});
});

test("costs are kept at ClickHouse's Decimal(18, 12): digits past the twelfth dropped", () => {
  const tiny = priceObservation(facts({ model: "gpt-4o-mini", providedUsage: { input: 1, output: 0 } }));
  assert.equal(tiny.costDetails["input"], 0.00000015);
  const given = priceObservation(facts({ providedCost: { total: 0.1234567890129 } }));
  assert.equal(given.costDetails["total"], 0.123456789012);
});
