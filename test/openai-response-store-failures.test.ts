// The response store failing: answers still go out (a response that could not be kept is only not
// retrievable later), reads become a 503 in OpenAI's shape, and each kind of failure is logged
// once and counted on /metrics.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { Registry } from "prom-client";
import { ChatMetrics } from "../src/chat/chat-metrics.js";
import { ChatService } from "../src/chat/chat-service.js";
import { buildApp } from "../src/server/build-app.js";
import { MemoryResponseStore, type StoredResponse } from "../src/server/openai/response-store.js";
import { NOOP_TRACING } from "../src/tracing/index.js";
import { parseSse, postJson } from "./support/start-service.js";
import { instantRouterGraph } from "./support/instant-router-graph.js";

/** A memory store whose saves and reads can be made to fail. */
class FlakyStore extends MemoryResponseStore {
  failSaves = false;
  failReads = false;
  override async save(response: StoredResponse): Promise<void> {
    if (this.failSaves) throw new Error("disk full");
    return super.save(response);
  }
  override async get(id: string, tenant: string): Promise<StoredResponse | null> {
    if (this.failReads) throw new Error("connection refused");
    return super.get(id, tenant);
  }
}

describe("a failing response store", () => {
  const store = new FlakyStore();
  const registry = new Registry();
  const logs: Record<string, unknown>[] = [];
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    const graph = instantRouterGraph();
    const chat = new ChatService({
      graph,
      tracing: NOOP_TRACING,
      metrics: new ChatMetrics(registry),
      turnTimeoutMs: 10_000,
    });
    const logger = pino(
      { level: "info" },
      { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
    );
    app = buildApp({
      chat,
      logger,
      registry,
      maxBodyBytes: 65_536,
      maxMessageChars: 2000,
      isReady: () => true,
      responses: store,
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  after(() => app.close());

  const failures = async (operation: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text
      .split("\n")
      .find((l) => l.startsWith(`switchboard_openai_response_store_errors_total{operation="${operation}"}`));
    return line ? Number(line.split(" ").at(-1)) : 0;
  };
  const logged = (operation: string) => logs.filter((l) => l["operation"] === operation && l["level"] === 50).length;

  test("saves fail: plain and streamed answers still arrive; the response is just not retrievable", async () => {
    store.failSaves = true;
    const plain = await postJson(`${url}/v1/responses`, { model: "switchboard-router", input: "Where is my order?" });
    assert.equal(plain.status, 200);
    assert.equal(plain.body.status, "completed");
    const res = await fetch(`${url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "switchboard-router", input: "Where is my order?", stream: true }),
    });
    const events = parseSse(await res.text());
    assert.equal(events.at(-1)?.data.type, "response.completed");
    assert.equal(await failures("save"), 2);
    assert.equal(logged("save"), 1, "logged once, counted every time");
    store.failSaves = false;
    assert.equal((await fetch(`${url}/v1/responses/${plain.body.id}`)).status, 404);
  });

  test("reads fail: retrieving and continuing are a 503 in OpenAI's shape; working again once the store is back", async () => {
    const kept = await postJson(`${url}/v1/responses`, { model: "switchboard-router", input: "Where is my order?" });
    store.failReads = true;
    const got = await fetch(`${url}/v1/responses/${kept.body.id}`);
    assert.equal(got.status, 503);
    assert.deepEqual(await got.json(), {
      error: {
        message: "Stored responses cannot be read right now; please retry.",
        type: "server_error",
        param: null,
        code: "response_store_unavailable",
      },
    });
    const next = await postJson(`${url}/v1/responses`, {
      model: "switchboard-router",
      input: "and when?",
      previous_response_id: kept.body.id,
    });
    assert.equal(next.status, 503);
    assert.equal(await failures("get"), 2);
    assert.equal(logged("get"), 1);
    store.failReads = false;
    assert.equal((await fetch(`${url}/v1/responses/${kept.body.id}`)).status, 200);
    assert.equal(
      (
        await postJson(`${url}/v1/responses`, {
          model: "switchboard-router",
          input: "and when?",
          previous_response_id: kept.body.id,
        })
      ).status,
      200,
    );
  });

  test("reads fail: feedback by response id is a 503 saying so (not a 500), logged once and counted", async () => {
    const kept = await postJson(`${url}/v1/responses`, { model: "switchboard-router", input: "I was charged twice" });
    assert.equal(kept.status, 200);
    store.failReads = true;
    try {
      for (let i = 0; i < 2; i++) {
        const res = await postJson(`${url}/api/v1/feedback`, { response_id: kept.body.id, value: false });
        assert.equal(res.status, 503, JSON.stringify(res.body));
        assert.equal(res.body.error.code, "response_store_unavailable");
        assert.match(res.body.error.message, /cannot be read right now; please retry/);
      }
      assert.equal(await failures("feedback_get"), 2);
      assert.equal(logged("feedback_get"), 1, "logged once, counted every time");
    } finally {
      store.failReads = false;
    }
  });
});
