// The agent graph the viewer draws, built with Langfuse's rules: drawn as an agent graph when a row
// has an agentic type or a LangGraph step, nodes from LangGraph's node names and steps (the
// router's turn: __start__ -> route_node -> clarify_node or agent_<key> -> __end__), from timing
// otherwise; offered collapsed when only timing gives more than one node; none for a lone span.
// Spans go in as OTLP bodies through the receiver, as the exporter will send them.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startReceiver, type Receiver } from "../receiver.js";
import { buildAgentGraph, type GraphRow } from "./agent-graph.js";
import { getJson, hexId, otlpJsonBody, postIngest, TEST_TIMEOUT_MS } from "../../../test/support/receiver-http.js";

const T0 = Date.parse("2025-07-01T09:00:00.000Z");

interface TurnOptions {
  /** The answering node: "agent_orders" or "clarify_node". */
  answer: string;
  /** Write LangGraph metadata and agentic types, as the exporter will. */
  agentic: boolean;
  /** LangChain also copies langgraph_node / langgraph_step onto the generations inside a node. */
  metadataOnGenerations?: boolean;
  t0?: number;
}

/** One routed turn as OTLP spans: chat -> route_node -> classifier, chat -> answer -> reply. */
function turnSpans(traceId: string, options: TurnOptions) {
  const t0 = options.t0 ?? T0;
  const [root, route, classifier, answer, reply] = [hexId(8), hexId(8), hexId(8), hexId(8), hexId(8)];
  const step = (node: string, n: number): Record<string, string | number> =>
    options.agentic
      ? { "langfuse.observation.metadata.langgraph_node": node, "langfuse.observation.metadata.langgraph_step": n }
      : {};
  const onGeneration = (node: string, n: number): Record<string, string | number> =>
    options.metadataOnGenerations ? step(node, n) : {};
  const answerType = options.answer.startsWith("agent_") ? "agent" : "chain";
  return {
    ids: { root, route, classifier, answer, reply },
    spans: [
      {
        traceId,
        spanId: classifier,
        parentSpanId: route,
        name: "classifier",
        startMs: t0 + 12,
        endMs: t0 + 90,
        attributes: { "langfuse.observation.type": "generation", ...onGeneration("route_node", 1) },
      },
      {
        traceId,
        spanId: route,
        parentSpanId: root,
        name: "route_node",
        startMs: t0 + 10,
        endMs: t0 + 95,
        attributes: { ...(options.agentic ? { "langfuse.observation.type": "chain" } : {}), ...step("route_node", 1) },
      },
      {
        traceId,
        spanId: reply,
        parentSpanId: answer,
        name: options.answer === "clarify_node" ? "clarify_question" : "agent_reply",
        startMs: t0 + 102,
        endMs: t0 + 190,
        attributes: { "langfuse.observation.type": "generation", ...onGeneration(options.answer, 2) },
      },
      {
        traceId,
        spanId: answer,
        parentSpanId: root,
        name: options.answer,
        startMs: t0 + 100,
        endMs: t0 + 195,
        attributes: {
          ...(options.agentic ? { "langfuse.observation.type": answerType } : {}),
          ...step(options.answer, 2),
        },
      },
      { traceId, spanId: root, name: "chat", startMs: t0, endMs: t0 + 200, attributes: {} },
    ],
  };
}

describe("agent graph of the viewer's trace page", { timeout: TEST_TIMEOUT_MS }, () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver({ port: 0 });
  });
  after(async () => {
    await receiver.close();
  });

  const graphOf = async (spans: ReturnType<typeof turnSpans>["spans"]) => {
    assert.equal((await postIngest(receiver, otlpJsonBody(spans))).status, 200);
    const { status, body } = await getJson(receiver, `/_receiver/viewer/traces/${spans[0]!.traceId}`);
    assert.equal(status, 200);
    return body.graph;
  };

  for (const metadataOnGenerations of [false, true]) {
    test(`a routed turn with agentic types and LangGraph steps: __start__ -> route_node -> agent_orders -> __end__ (step metadata on generations: ${metadataOnGenerations})`, async () => {
      const traceId = hexId(16);
      const turn = turnSpans(traceId, { answer: "agent_orders", agentic: true, metadataOnGenerations });
      const graph = await graphOf(turn.spans);
      assert.equal(graph.isAgentGraph, true);
      assert.equal(graph.available, true);
      assert.deepEqual(graph.steps, [["__start__"], ["route_node"], ["agent_orders"], ["__end__"]]);
      assert.deepEqual(graph.edges, [
        { from: "__start__", to: "route_node" },
        { from: "route_node", to: "agent_orders" },
        { from: "agent_orders", to: "__end__" },
      ]);
      const types = Object.fromEntries(graph.nodes.map((n: any) => [n.id, n.type]));
      assert.deepEqual(types, {
        __start__: "LANGGRAPH_SYSTEM",
        route_node: "CHAIN",
        agent_orders: "AGENT",
        __end__: "LANGGRAPH_SYSTEM",
      });
      // A click on a node selects the node's own observation, not the generation inside it.
      assert.deepEqual(graph.nodeToObservations, {
        route_node: [turn.ids.route],
        agent_orders: [turn.ids.answer],
      });
    });
  }

  test("a clarifying turn: __start__ -> route_node -> clarify_node -> __end__", async () => {
    const graph = await graphOf(turnSpans(hexId(16), { answer: "clarify_node", agentic: true }).spans);
    assert.equal(graph.isAgentGraph, true);
    assert.deepEqual(graph.steps, [["__start__"], ["route_node"], ["clarify_node"], ["__end__"]]);
    assert.deepEqual(
      graph.edges.map((e: any) => `${e.from}->${e.to}`),
      ["__start__->route_node", "route_node->clarify_node", "clarify_node->__end__"],
    );
  });

  test("spans and generations only (today's export): no agent graph, a timing graph offered collapsed", async () => {
    const graph = await graphOf(turnSpans(hexId(16), { answer: "agent_orders", agentic: false }).spans);
    assert.equal(graph.isAgentGraph, false, "Langfuse does not open it: no agentic type, no LangGraph step");
    assert.equal(graph.available, true, "more than one distinct node under the root");
    assert.equal(graph.steps[0][0], "__start__");
    assert.equal(graph.steps.at(-1)[0], "__end__");
    assert.ok(graph.nodes.some((n: any) => n.id === "route_node"));
  });

  test("an agentic type alone makes an agent graph; a lone span makes none", () => {
    const row = (over: Partial<GraphRow>): GraphRow => ({
      id: hexId(8),
      parentObservationId: null,
      type: "SPAN",
      name: "x",
      startTime: new Date(T0).toISOString(),
      endTime: new Date(T0 + 10).toISOString(),
      metadata: {},
      ...over,
    });
    const lone = buildAgentGraph([row({})]);
    assert.deepEqual([lone.available, lone.isAgentGraph, lone.nodes.length], [false, false, 0]);
    const root = row({ name: "chat" });
    const tool = buildAgentGraph([root, row({ type: "TOOL", name: "lookup", parentObservationId: root.id })]);
    assert.deepEqual([tool.available, tool.isAgentGraph], [true, true]);
    // A LangGraph step of 0 does not count; text that is no number drops the row, as in Langfuse.
    const zero = buildAgentGraph([row({ metadata: { langgraph_node: "a", langgraph_step: "0" } })]);
    assert.equal(zero.isAgentGraph, false);
    const bad = buildAgentGraph([row({ metadata: { langgraph_step: "two" } })]);
    assert.equal(bad.available, false);
  });

  test("a loop: a node repeated across steps is one node, edges go back to it, its observations cycle", () => {
    const at = (ms: number) => new Date(T0 + ms).toISOString();
    const rows: GraphRow[] = [
      {
        id: "r",
        parentObservationId: null,
        type: "SPAN",
        name: "chat",
        startTime: at(0),
        endTime: at(100),
        metadata: {},
      },
      ...[1, 2, 3].map((step) => ({
        id: `n${step}`,
        parentObservationId: "r",
        type: step === 2 ? "TOOL" : "AGENT",
        name: step === 2 ? "tools" : "agent",
        startTime: at(step * 10),
        endTime: at(step * 10 + 5),
        metadata: { langgraph_node: step === 2 ? "tools" : "agent", langgraph_step: step },
      })),
    ];
    const graph = buildAgentGraph(rows);
    assert.deepEqual(graph.steps, [["__start__"], ["agent"], ["tools"], ["__end__"]]);
    assert.deepEqual(
      graph.edges.map((e) => `${e.from}->${e.to}`),
      ["__start__->agent", "agent->tools", "tools->agent", "agent->__end__"],
    );
    assert.deepEqual(graph.nodeToObservations["agent"], ["n1", "n3"]);
  });
});
