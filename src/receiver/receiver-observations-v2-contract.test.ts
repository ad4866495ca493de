// The v2 observations API's answer pinned field for field, as Langfuse's server builds it
// (GetObservationsV2Response, convertEventsObservation, enrichObservationsWithModelData, the v2
// route's wire conversions, read from langfuse/langfuse): every field group of a generation
// priced from the default price table (gpt-4o-mini with cached input tokens) and of a bare span
// with nothing set, so each non-nullable text is "", model parameters {}, and the prices strings.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startReceiver, type Receiver } from "./receiver.js";
import { getJson, hexId, otlpJsonBody, postIngest, TEST_TIMEOUT_MS } from "../../test/support/receiver-http.js";

const T0 = Date.parse("2025-06-01T12:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();
const ALL_GROUPS = "core,basic,time,io,metadata,model,usage,prompt,metrics,trace_context";
const GPT_4O_MINI_ID = "clyrjp56f0000t0mzapoocd7u";

describe("v2 observations: Langfuse's schema and conversions", { timeout: TEST_TIMEOUT_MS }, () => {
  let receiver: Receiver;
  const traceId = hexId(16);
  const root = hexId(8);
  const gen = hexId(8);
  const fast = hexId(8);

  before(async () => {
    receiver = await startReceiver({ port: 0 });
    const body = otlpJsonBody(
      [
        {
          traceId,
          spanId: gen,
          parentSpanId: root,
          name: "agent_reply",
          startMs: T0 + 10,
          endMs: T0 + 510,
          attributes: {
            "langfuse.observation.type": "generation",
            "langfuse.observation.model.name": "gpt-4o-mini",
            "langfuse.observation.model.parameters": '{"temperature":0.2,"max_tokens":256}',
            // As the official LangChain handler maps usage_metadata: cached input split out of input.
            "langfuse.observation.usage_details": '{"input":1000,"input_cache_read":200,"output":50}',
            "langfuse.observation.completion_start_time": JSON.stringify(iso(T0 + 110)),
            "langfuse.observation.input": '[{"role":"user","content":"where is my order?"}]',
            "langfuse.observation.output": '{"role":"assistant","content":"On its way."}',
            "langfuse.observation.metadata.langgraph_node": "agent_orders",
            "langfuse.observation.metadata.langgraph_step": 2,
            "user.id": "alice",
            "session.id": "s-1",
            "langfuse.trace.name": "chat",
            "langfuse.trace.tags": '["endpoint:chat"]',
            "langfuse.release": "r-1",
            "langfuse.version": "0.1.0",
            "langfuse.environment": "production",
          },
        },
        {
          traceId,
          spanId: fast,
          parentSpanId: root,
          name: "fast_reply",
          startMs: T0 + 600,
          endMs: T0 + 700,
          attributes: {
            "langfuse.observation.type": "generation",
            "langfuse.observation.model.name": "openai/GPT-4o-mini",
            "langfuse.observation.model.parameters": '{"service_tier":"priority"}',
            "langfuse.observation.usage_details": '{"input":1000,"output":100}',
          },
        },
        // A span with nothing but its name: every unset text comes back as Langfuse's "".
        { traceId, spanId: root, name: "chat", startMs: T0, endMs: T0 + 800, attributes: {} },
      ],
      { name: "langfuse-sdk", version: "5.0.0" },
    );
    assert.equal((await postIngest(receiver, body, { headers: { "x-langfuse-ingestion-version": "4" } })).status, 200);
  });

  after(async () => {
    await receiver.close();
  });

  const all = async (id: string) => {
    const { status, body } = await getJson(
      receiver,
      `/api/public/v2/observations?traceId=${traceId}&fields=${ALL_GROUPS}`,
    );
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body).sort(), ["data", "meta"]);
    const row = body.data.find((observation: any) => observation.id === id);
    assert.ok(row, id);
    return row;
  };

  test("a gpt-4o-mini generation with cached tokens: every field, its model, prices and cost", async () => {
    const observation = await all(gen);
    const { createdAt, updatedAt, metadata, ...rest } = observation;
    assert.match(createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(updatedAt, createdAt);
    assert.deepEqual(rest, {
      // core
      id: gen,
      traceId,
      startTime: iso(T0 + 10),
      endTime: iso(T0 + 510),
      projectId: "local",
      parentObservationId: root,
      type: "GENERATION",
      // enrichment: the matched model and its default tier's prices, Prisma Decimal text
      modelId: GPT_4O_MINI_ID,
      inputPrice: "1.5e-7",
      outputPrice: "6e-7",
      totalPrice: null,
      // metrics
      latency: 0.5,
      timeToFirstToken: 0.1,
      // basic
      isRootObservation: false,
      name: "agent_reply",
      level: "DEFAULT",
      statusMessage: "",
      version: "0.1.0",
      environment: "production",
      bookmarked: false,
      public: false,
      userId: "alice",
      sessionId: "s-1",
      // time
      completionStartTime: iso(T0 + 110),
      // io: raw strings, never parsed
      input: '[{"role":"user","content":"where is my order?"}]',
      output: '{"role":"assistant","content":"On its way."}',
      // model
      model: "gpt-4o-mini",
      internalModelId: GPT_4O_MINI_ID,
      modelParameters: { temperature: 0.2, max_tokens: 256 },
      // usage: each usage key x its price in the Standard tier, total the sum
      usageDetails: { input: 1000, input_cache_read: 200, output: 50, total: 1250 },
      inputUsage: 1200,
      outputUsage: 50,
      totalUsage: 1250,
      costDetails: { input: 0.00015, input_cache_read: 0.000015, output: 0.00003, total: 0.000195 },
      inputCost: 0.000165,
      outputCost: 0.00003,
      totalCost: 0.000195,
      usagePricingTierId: `${GPT_4O_MINI_ID}_tier_default`,
      usagePricingTierName: "Standard",
      // prompt: none linked
      promptId: "",
      promptName: "",
      promptVersion: null,
      // trace_context
      traceName: "chat",
      tags: ["endpoint:chat"],
      release: "r-1",
    });
    assert.equal(metadata.langgraph_node, "agent_orders");
    assert.equal(metadata.langgraph_step, 2);
  });

  test("a span with nothing set: empty strings, {} model parameters, no model, no prices, empty usage", async () => {
    const observation = await all(root);
    const { createdAt: _c, updatedAt: _u, metadata: _m, ...rest } = observation;
    assert.deepEqual(rest, {
      id: root,
      traceId,
      startTime: iso(T0),
      endTime: iso(T0 + 800),
      projectId: "local",
      parentObservationId: null,
      type: "SPAN",
      modelId: null,
      inputPrice: null,
      outputPrice: null,
      totalPrice: null,
      latency: 0.8,
      timeToFirstToken: null,
      isRootObservation: true,
      name: "chat",
      level: "DEFAULT",
      statusMessage: "",
      version: "",
      environment: "default",
      bookmarked: false,
      public: false,
      userId: "",
      sessionId: "",
      completionStartTime: null,
      input: null,
      output: null,
      model: "",
      internalModelId: "",
      modelParameters: {},
      usageDetails: {},
      inputUsage: 0,
      outputUsage: 0,
      totalUsage: 0,
      costDetails: {},
      inputCost: null,
      outputCost: null,
      totalCost: 0,
      usagePricingTierId: null,
      usagePricingTierName: null,
      promptId: "",
      promptName: "",
      promptVersion: null,
      traceName: "chat",
      tags: [],
      release: "",
    });
  });

  test("the pricing tier follows the model parameters (service_tier priority: Fast mode); patterns match case-insensitively with a provider prefix", async () => {
    const observation = await all(fast);
    assert.equal(observation.modelId, GPT_4O_MINI_ID);
    assert.equal(observation.usagePricingTierName, "Fast mode");
    assert.deepEqual(observation.costDetails, { input: 0.00025, output: 0.0001, total: 0.00035 });
    // The enrichment prices are the default tier's, whatever tier priced the row (Langfuse's rule).
    assert.equal(observation.inputPrice, "1.5e-7");
  });

  test("modelId and prices only with the model group; core fields alone otherwise", async () => {
    const { body } = await getJson(receiver, `/api/public/v2/observations?traceId=${traceId}&fields=core`);
    const observation = body.data.find((r: any) => r.id === gen);
    assert.deepEqual(Object.keys(observation).sort(), [
      "endTime",
      "id",
      "inputPrice",
      "latency",
      "modelId",
      "outputPrice",
      "parentObservationId",
      "projectId",
      "startTime",
      "timeToFirstToken",
      "totalPrice",
      "traceId",
      "type",
    ]);
    assert.deepEqual(
      [observation.modelId, observation.inputPrice, observation.outputPrice, observation.totalPrice],
      [null, null, null, null],
    );
  });
});
