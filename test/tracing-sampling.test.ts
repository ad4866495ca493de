// Sampling that keeps what matters: at LANGFUSE_SAMPLE_RATE=0.01, a mixed run through the real
// service (OpenAI-compatible provider against a fake OpenAI server) leaves every failed,
// disconnected, clarifying and slow turn in the receiver, whole, and about 1 % of the rest.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { loadCatalog } from "../src/agents/catalog.js";
import { listObservations } from "./support/observations-api.js";
import { classificationAnswer, startFakeOpenAIServer, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { startService, type RunningService } from "./support/start-service.js";
import {
  AUTH,
  metricsText,
  metricValue,
  postChat,
  startReceiver,
  tracedEnv,
  waitFor,
  type Receiver,
} from "./support/tracing-helpers.js";

const ORDER = "Where is my order #1234? It has not arrived.";
const ORDINARY_TURNS = 200;

let receiver: Receiver;
let fake: FakeOpenAIServer;
let svc: RunningService;

before(async () => {
  receiver = await startReceiver({ port: 0 });
  fake = await startFakeOpenAIServer({ catalog: loadCatalog("agents/shop-support.json"), replyTokens: 20 });
  svc = await startService(
    tracedEnv(receiver, {
      LANGFUSE_SAMPLE_RATE: "0.01",
      LANGFUSE_SAMPLE_KEEP_SLOWER_THAN: "1",
      LLM_PROVIDER: "openai",
      LLM_BASE_URL: fake.baseUrl,
      LLM_API_KEY: "sk-test",
      LLM_MODEL: "gpt-4o-mini",
      LLM_MAX_RETRIES: "0",
    }),
  );
});

after(async () => {
  await svc?.close();
  await fake?.close();
  await receiver?.close();
});

/** Root rows (one per stored trace) of a user, once `expected` have arrived (and no more come). */
async function tracesOf(userId: string, expected: number): Promise<number> {
  return waitFor(`${expected} traces of ${userId}`, async () => {
    const rows = await listObservations(receiver.url, AUTH, { userId });
    const roots = rows.filter((r) => r.parentObservationId === null);
    return roots.length >= expected ? roots.length : undefined;
  });
}

test("LANGFUSE_SAMPLE_RATE=0.01: every failed, disconnected, clarifying and slow turn is kept whole; ~1 % of the rest", async () => {
  for (let i = 0; i < ORDINARY_TURNS; i++) {
    const res = await postChat(svc, { message: ORDER, user_id: "ordinary" });
    assert.equal(res.status, 200);
  }
  for (let i = 0; i < 3; i++) {
    fake.enqueue({ status: 500 });
    assert.equal((await postChat(svc, { message: ORDER, user_id: "failing" })).status, 503);
  }
  for (let i = 0; i < 3; i++) {
    fake.enqueue(classificationAnswer(null, 0.1));
    const res = await postChat(svc, { message: "hmm", user_id: "unsure" });
    assert.equal(res.status, 200);
    assert.equal(res.body.clarification, true);
    assert.match(res.body.trace_id, /^[0-9a-f]{32}$/, "a kept turn's answer names its trace");
  }
  for (let i = 0; i < 3; i++) {
    fake.enqueue({ ...classificationAnswer("order_status", 0.95), delayMs: 1200 });
    assert.equal((await postChat(svc, { message: ORDER, user_id: "slow" })).status, 200);
  }
  for (let i = 0; i < 3; i++) {
    fake.enqueue(classificationAnswer("order_status", 0.95), { content: "word ".repeat(200), chunkDelayMs: 40 });
    const gone = new AbortController();
    const res = await fetch(`${svc.url}/api/v1/chat/stream`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: ORDER, user_id: "leaver" }),
      signal: gone.signal,
    });
    const reader = res.body!.getReader();
    assert.match(new TextDecoder().decode((await reader.read()).value), /event: token/);
    gone.abort();
  }

  assert.equal(await tracesOf("failing", 3), 3);
  assert.equal(await tracesOf("unsure", 3), 3);
  assert.equal(await tracesOf("slow", 3), 3);
  assert.equal(await tracesOf("leaver", 3), 3);
  for (const userId of ["failing", "unsure", "slow", "leaver"]) {
    const rows = await listObservations(receiver.url, AUTH, { userId });
    const byTrace = new Map<string, string[]>();
    for (const r of rows) byTrace.set(r.traceId ?? "", [...(byTrace.get(r.traceId ?? "") ?? []), r.name ?? ""]);
    for (const [traceId, names] of byTrace)
      assert.ok(
        names.length >= 3 && names.includes("chat"),
        `${userId} trace ${traceId} is whole: ${names.join(", ")}`,
      );
  }

  const metrics = await metricsText(svc);
  const sampledOut = metricValue(metrics, "switchboard_tracing_turns_sampled_out_total");
  const keptOrdinary = ORDINARY_TURNS - sampledOut;
  // An ordinary turn slowed past 1 s by a busy machine is kept by the slow rule, rightly.
  const slowOrdinary = metricValue(metrics, "switchboard_tracing_turns_kept_by_rule_total", { rule: "slow" }) - 3;
  // Binomial(200, 0.01): more than 12 happens about once in ten million runs.
  assert.ok(
    keptOrdinary - slowOrdinary >= 0 && keptOrdinary - slowOrdinary <= 12,
    `${keptOrdinary} of ${ORDINARY_TURNS} ordinary turns kept (${slowOrdinary} of them as slow)`,
  );
  const ordinaryRoots = (await listObservations(receiver.url, AUTH, { userId: "ordinary" })).filter(
    (r) => r.parentObservationId === null,
  );
  assert.equal(ordinaryRoots.length, keptOrdinary, "what was not sampled out is stored, and nothing else");
  for (const rule of ["error", "clarification", "warning"])
    assert.equal(metricValue(metrics, "switchboard_tracing_turns_kept_by_rule_total", { rule }), 3, rule);
  assert.ok(slowOrdinary >= 0, "the three slow turns were kept as slow");
});
