import { test } from "node:test";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { Registry } from "prom-client";
import { ChatMetrics } from "../chat/chat-metrics.js";
import { ChatService } from "../chat/chat-service.js";
import { NOOP_TRACING } from "../tracing/index.js";
import { instantRouterGraph } from "../../test/support/instant-router-graph.js";
import { usePooledRandomValues } from "./pooled-random-values.js";

type Crypto = webcrypto.Crypto;

/**
 * Counts the native getRandomValues calls made on the global Web Crypto. Wrapped before any pool
 * is installed (graphs install it when built), so a pool's refills are what it counts.
 */
const native = { calls: 0 };
const nativeGetRandomValues = globalThis.crypto.getRandomValues;
Object.defineProperty(globalThis.crypto, "getRandomValues", {
  configurable: true,
  writable: true,
  value: function (this: Crypto, array: Parameters<Crypto["getRandomValues"]>[0]) {
    native.calls++;
    return nativeGetRandomValues.call(this, array);
  },
});

test("LangGraph's checkpoint ids draw their random bytes from a pool: one native call per 256 ids, not one per id", async () => {
  const chat = new ChatService({
    graph: instantRouterGraph(),
    tracing: NOOP_TRACING,
    metrics: new ChatMetrics(new Registry()),
    turnTimeoutMs: 10_000,
  });
  const ids = new Set<string>();
  const before = native.calls;
  for (let i = 0; i < 20; i++) {
    const reply = await chat.runTurn({ userId: "u", message: "Where is my order 10293?", endpoint: "chat" });
    const session = await chat.getSession(reply.session_id, "u");
    assert.equal(session.turns.length, 1);
    ids.add(reply.session_id);
  }
  assert.equal(ids.size, 20);
  // 20 turns create 100 checkpoints; unpooled, each drew its own 16 bytes.
  const calls = native.calls - before;
  assert.ok(calls <= 2, `native getRandomValues calls: ${calls}`);
});

test("small Uint8Arrays come from the pool, random and never repeated; anything else goes to Node's implementation", () => {
  const crypto: Crypto = webcrypto;
  assert.equal(crypto, globalThis.crypto);
  usePooledRandomValues(crypto);
  usePooledRandomValues(crypto);
  const start = native.calls;
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    seen.add(Buffer.from(bytes).toString("hex"));
  }
  assert.equal(seen.size, 1000, "no 16 bytes repeat");
  // 16,000 bytes from a 4 KiB pool: four or five refills (as full as the pool was), not a thousand calls.
  assert.ok(native.calls - start <= 5, `native calls: ${native.calls - start}`);
  const all = Buffer.from([...seen].join(""), "hex");
  const ones = [...all].reduce((n, b) => n + b.toString(2).replaceAll("0", "").length, 0);
  assert.ok(Math.abs(ones / (all.length * 8) - 0.5) < 0.01, "about half the bits are set");

  const returned = new Uint8Array(64);
  assert.equal(crypto.getRandomValues(returned), returned, "the array passed is returned, filled");
  assert.ok(returned.some((b) => b !== 0));
  assert.equal(crypto.getRandomValues(new Uint8Array(0)).length, 0);

  const before = native.calls;
  crypto.getRandomValues(new Uint32Array(4));
  crypto.getRandomValues(new Uint8Array(65));
  assert.equal(native.calls, before + 2, "other types and larger sizes are Node's");
  assert.throws(() => crypto.getRandomValues(new Uint8Array(65_537)), { name: "QuotaExceededError" });
  assert.throws(() => crypto.getRandomValues(new Float64Array(2) as unknown as Uint8Array), {
    name: "TypeMismatchError",
  });
  const detached = crypto.getRandomValues;
  assert.throws(() => detached(new Uint8Array(16)), { code: "ERR_INVALID_THIS" });
});
