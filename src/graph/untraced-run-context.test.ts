import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { getContextVariable, setContextVariable } from "@langchain/core/context";
import { RunnableLambda } from "@langchain/core/runnables";
import { LangChainTracer } from "@langchain/core/tracers/tracer_langchain";
import { Annotation, END, MemorySaver, START, StateGraph, getConfig } from "@langchain/langgraph";
import { Client } from "langsmith";
import { RunTree } from "langsmith/run_trees";
import { useUntracedRunContexts } from "./untraced-run-context.js";

const State = Annotation.Root({
  seen: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

type Store = { id?: unknown; tracingEnabled?: unknown } | undefined;
const store = () => AsyncLocalStorageProviderSingleton.getInstance().getStore() as Store;

/**
 * A two-node graph whose nodes report what a node can see of LangChain's context: the run tree
 * in the store, the config LangGraph and nested runnables inherit, and a context variable set
 * in the first node.
 */
function probeGraph() {
  const seen: { node: string; store: Store; threadId: unknown; nestedTag: boolean; variable: unknown }[] = [];
  const nested = RunnableLambda.from(async () => {
    const config = AsyncLocalStorageProviderSingleton.getRunnableConfig() as { tags?: string[] } | undefined;
    return config?.tags?.includes("turn-tag") ?? false;
  });
  const node = (name: string) => async () => {
    if (name === "first") setContextVariable("turn-variable", "set in first");
    seen.push({
      node: name,
      store: store(),
      threadId: getConfig().configurable?.["thread_id"],
      nestedTag: await nested.invoke(null),
      variable: getContextVariable("turn-variable"),
    });
    return { seen: [name] };
  };
  const graph = new StateGraph(State)
    .addNode("first", node("first"))
    .addNode("second", node("second"))
    .addEdge(START, "first")
    .addEdge("first", "second")
    .addEdge("second", END)
    .compile({ checkpointer: new MemorySaver() });
  return { graph, seen };
}

test("without a LangSmith tracer, a graph run builds no RunTree, and nodes see the same context as before", async () => {
  assert.equal(useUntracedRunContexts(), true, "the installed @langchain/core has the shape the workaround expects");
  assert.equal(useUntracedRunContexts(), true, "installing twice is harmless");
  const { graph, seen } = probeGraph();
  const state = await graph.invoke({}, { configurable: { thread_id: "t1" }, tags: ["turn-tag"] });
  assert.deepEqual(state.seen, ["first", "second"]);
  assert.equal(seen.length, 2);
  for (const s of seen) {
    // LangChain's own tests of the store: a run tree with tracing off, as the library built it...
    assert.ok(s.store instanceof RunTree, `${s.node}: the store is of the RunTree class`);
    assert.equal(s.store.tracingEnabled, false, `${s.node}: tracing stays off inside the graph`);
    // ...but none of a RunTree's work was done for it: no run id was drawn.
    assert.equal(s.store.id, undefined, `${s.node}: no run id`);
    assert.equal(s.threadId, "t1", `${s.node}: LangGraph's getConfig() sees the run's config`);
    assert.equal(s.nestedTag, true, `${s.node}: a nested runnable inherits the run's tags`);
  }
  assert.equal(seen[0]?.variable, "set in first");
  // Nothing leaks out of the run into its caller's context.
  assert.equal(store(), undefined);
});

test("with a LangSmith tracer in the callbacks, nodes run inside the tracer's own run trees, as before", async () => {
  useUntracedRunContexts();
  // LangSmith's real client, sending to a sink on loopback (LangSmith itself cannot run here).
  const received: string[] = [];
  const sink = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  try {
    const client = new Client({
      apiUrl: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
      apiKey: "test-key",
      autoBatchTracing: false,
    });
    const tracer = new LangChainTracer({ client, projectName: "untraced-run-context-test" });
    const { graph, seen } = probeGraph();
    await graph.invoke({}, { configurable: { thread_id: "t2" }, tags: ["turn-tag"], callbacks: [tracer] });
    // The tracer posts from LangChain's background callback queue.
    await awaitAllCallbacks();
    await client.awaitPendingTraceBatches();
    for (const s of seen) {
      assert.ok(s.store instanceof RunTree, `${s.node}: a run tree`);
      assert.equal(s.store.tracingEnabled, true, `${s.node}: the tracer's run tree, traced`);
      assert.equal(typeof s.store.id, "string", `${s.node}: with the id of the tracer's run`);
      assert.equal(s.threadId, "t2");
      assert.equal(s.nestedTag, true);
    }
    assert.ok(
      received.some((r) => r.startsWith("POST /runs")),
      `the tracer sent its runs: ${received.join(", ")}`,
    );
  } finally {
    await new Promise((resolve) => sink.close(resolve));
  }
});
