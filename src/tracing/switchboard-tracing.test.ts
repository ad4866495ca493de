// The request-path side used directly (no graph): whatever the caller hands a TurnTrace, it
// never throws, and what it can serialize still arrives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { basicAuthHeader, DEV_KEY_PAIR } from "../receiver/basic-auth.js";
import { startReceiver } from "../receiver/receiver.js";
import { createTracing } from "./create-tracing.js";

const AUTH = basicAuthHeader(DEV_KEY_PAIR);

test("BigInt, circular and unprintable values in node input/metadata and results: no throw, the rest delivered", async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const warnings: object[] = [];
    const logger = { warn: (fields: object) => void warnings.push(fields), info() {}, error() {} };
    const options = {
      ...DEV_KEY_PAIR,
      baseUrl: receiver.url,
      serviceName: "switchboard",
      version: "0.0.0",
      flushIntervalMs: 50,
      journalDir: null,
    };
    const tracing = await createTracing(options, new Registry(), logger);
    const circular: Record<string, unknown> = { name: "loop" };
    circular["self"] = circular;
    const unprintable = Object.create(null) as object; // String(unprintable) throws

    const turn = tracing.startTurn({ userId: "u-direct", sessionId: "s-direct", message: "hello", endpoint: "chat" });
    assert.match(turn.traceId ?? "", /^[0-9a-f]{32}$/);
    assert.doesNotThrow(() => {
      const node = turn.startNode("weird_node", { big: 10n, circular }, { big: 5n, circular, fn: () => 1 });
      node.end();
      node.end(); // twice: the second is ignored
      const failing = turn.startNode("failing_node", { n: 1 });
      failing.end(unprintable);
      const thrown = turn.startNode("thrown_node", {});
      thrown.end("a plain string error");
      turn.end({ output: "bye", intent: null, agent: null });
      turn.end({ output: "again" }); // ignored
    });
    await tracing.shutdown();

    const res = await fetch(`${receiver.url}/api/public/traces/${turn.traceId}`, {
      headers: { authorization: AUTH },
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(res.status, 200);
    const trace = (await res.json()) as {
      output: unknown;
      userId: string;
      observations: Array<{ name: string; input: any; metadata: any; level: string; statusMessage: string | null }>;
    };
    assert.equal(trace.userId, "u-direct");
    assert.equal(trace.output, "bye", "the first end wins");
    const weird = trace.observations.find((observation) => observation.name === "weird_node");
    assert.ok(weird, "the span with unserializable values still arrived");
    assert.equal(weird.input.big, "10");
    assert.equal(weird.input.circular.self, "[Circular]");
    assert.equal(weird.metadata.big, "5");
    assert.equal(trace.observations.filter((observation) => observation.name === "weird_node").length, 1, "ended once");
    const failing = trace.observations.find((observation) => observation.name === "failing_node");
    assert.ok(failing, "a span ended with an error that cannot be printed still arrives");
    assert.equal(failing.level, "ERROR");
    const thrown = trace.observations.find((observation) => observation.name === "thrown_node");
    assert.equal(thrown?.level, "ERROR");
    assert.equal(thrown?.statusMessage, "a plain string error");
  } finally {
    await receiver.close();
  }
});
