// The real Langfuse SDK (LangfuseSpanProcessor + @langfuse/tracing) exporting to the receiver:
// the public API must show the trace contract from docs: trace attributes, observation tree,
// types, model, usage, level.
import { test } from "node:test";
import assert from "node:assert/strict";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { LangfuseSpanProcessor } from "@langfuse/otel";
import {
  propagateAttributes,
  setActiveTraceIO,
  setLangfuseTracerProvider,
  startActiveObservation,
  startObservation,
} from "@langfuse/tracing";
import { startReceiver } from "./receiver.js";
import { getJson, TEST_TIMEOUT_MS } from "../../test/support/receiver-http.js";
import { DEV_KEY_PAIR } from "./basic-auth.js";

test("Langfuse SDK spans arrive as one trace with the right tree", { timeout: TEST_TIMEOUT_MS }, async () => {
  const receiver = await startReceiver({ port: 0 });
  const processor = new LangfuseSpanProcessor({
    publicKey: DEV_KEY_PAIR.publicKey,
    secretKey: DEV_KEY_PAIR.secretKey,
    baseUrl: receiver.url,
    mediaUploadEnabled: false,
    environment: "test-env",
    release: "r-1",
  });
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  // Nesting and propagateAttributes need a context manager; register() installs one.
  provider.register();
  setLangfuseTracerProvider(provider);
  try {
    const completionStart = new Date(Date.now() + 3);
    const traceId = await propagateAttributes(
      { userId: "u-42", sessionId: "s-7", tags: ["switchboard", "test"], traceName: "chat" },
      () =>
        startActiveObservation("request", async (root) => {
          root.update({ input: { message: "where is my invoice?" } });
          setActiveTraceIO({ input: "where is my invoice?" });
          await startActiveObservation("route_node", async (route) => {
            route.update({ input: { messages_count: 1, current_intent: null } });
            const classifier = startObservation(
              "classifier",
              {
                model: "sim-classifier",
                input: [{ role: "user", content: "where is my invoice?" }],
                output: { intent: "billing", confidence: 0.9 },
                usageDetails: { input: 20, output: 4 },
              },
              { asType: "generation" },
            );
            classifier.end();
          });
          await startActiveObservation(
            "agent_billing",
            async (agent) => {
              agent.update({
                input: { agent_key: "billing", messages_count: 1 },
                metadata: { intent_type: "billing" },
              });
              const reply = startObservation(
                "agent_call",
                {
                  model: "sim-agent",
                  usageDetails: { input: 30, output: 12, total: 42 },
                  completionStartTime: completionStart,
                },
                { asType: "generation" },
              );
              reply.update({
                output: "Your invoice is in the billing portal.",
                level: "WARNING",
                statusMessage: "slow",
              });
              reply.end();
            },
            { asType: "agent" },
          );
          setActiveTraceIO({ output: "Your invoice is in the billing portal." });
          return root.traceId;
        }),
    );
    await processor.forceFlush();

    const { status, body: t } = await getJson(receiver, `/api/public/traces/${traceId}`);
    assert.equal(status, 200);
    assert.equal(t.name, "chat");
    assert.equal(t.userId, "u-42");
    assert.equal(t.sessionId, "s-7");
    assert.deepEqual([...t.tags].sort(), ["switchboard", "test"]);
    assert.equal(t.input, "where is my invoice?");
    assert.equal(t.output, "Your invoice is in the billing portal.");
    assert.equal(t.environment, "test-env");
    assert.equal(t.release, "r-1");

    const byName = new Map<string, any>(t.observations.map((observation: any) => [observation.name, observation]));
    assert.deepEqual([...byName.keys()].sort(), ["agent_billing", "agent_call", "classifier", "request", "route_node"]);
    const request = byName.get("request");
    const route = byName.get("route_node");
    const classifier = byName.get("classifier");
    const agent = byName.get("agent_billing");
    const agentCall = byName.get("agent_call");

    assert.equal(request.parentObservationId, null);
    assert.equal(route.parentObservationId, request.id);
    assert.equal(classifier.parentObservationId, route.id);
    assert.equal(agent.parentObservationId, request.id);
    assert.equal(agentCall.parentObservationId, agent.id);
    for (const observation of t.observations) assert.equal(observation.traceId, traceId);

    assert.equal(request.type, "SPAN");
    assert.equal(route.type, "SPAN");
    assert.equal(classifier.type, "GENERATION");
    assert.equal(agent.type, "AGENT");
    assert.equal(agentCall.type, "GENERATION");

    assert.deepEqual(route.input, { messages_count: 1, current_intent: null });
    assert.equal(classifier.model, "sim-classifier");
    assert.deepEqual(classifier.usageDetails, { input: 20, output: 4, total: 24 });
    assert.deepEqual(classifier.output, { intent: "billing", confidence: 0.9 });
    assert.deepEqual(agent.metadata, { intent_type: "billing" });
    assert.equal(agentCall.model, "sim-agent");
    assert.deepEqual(agentCall.usage, { input: 30, output: 12, total: 42, unit: "TOKENS" });
    assert.equal(agentCall.level, "WARNING");
    assert.equal(agentCall.statusMessage, "slow");
    assert.equal(agentCall.completionStartTime, completionStart.toISOString());
    assert.equal(agentCall.output, "Your invoice is in the billing portal.");
    assert.equal(classifier.level, "DEFAULT");
    assert.equal(agentCall.environment, "test-env");

    // userId / sessionId live at trace level, not in observation metadata.
    for (const observation of t.observations) {
      assert.equal(observation.metadata?.userId, undefined);
      assert.equal(observation.metadata?.sessionId, undefined);
    }

    const list = await getJson(receiver, "/api/public/traces?userId=u-42");
    assert.equal(list.body.meta.totalItems, 1);
    assert.equal(list.body.data[0].id, traceId);
    assert.equal(list.body.data[0].observations.length, 5);

    const observations = await getJson(receiver, `/api/public/observations?traceId=${traceId}&type=GENERATION`);
    assert.deepEqual(observations.body.data.map((observation: any) => observation.name).sort(), [
      "agent_call",
      "classifier",
    ]);
  } finally {
    await provider.shutdown().catch(() => {});
    await receiver.close();
  }
});
