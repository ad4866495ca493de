// Tracing on a saturated service, through the real service, its /metrics and its log: while the
// event loop is busy only LANGFUSE_BUSY_TRACES_PER_SEC ordinary turns a second are traced, the
// rest are shed (no trace id in their answers, counted), and the change is told once. What a
// shed turn that fails looks like in Langfuse is in switchboard-tracing.contract.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BUSY_WINDOW_MS } from "../src/tracing/index.js";
import { listObservations } from "./support/observations-api.js";
import { startService } from "./support/start-service.js";
import {
  AUTH,
  metricsText,
  metricValue,
  postChat,
  startReceiver,
  tracedEnv,
  waitFor,
} from "./support/tracing-helpers.js";

const ALLOWANCE = 5;
const LOAD_MS = 2000;
const CLIENTS = 16;

test("a saturated service traces its allowance of turns a second, sheds the others, counts them and says so once", async () => {
  const receiver = await startReceiver({ port: 0 });
  const svc = await startService(
    tracedEnv(receiver, { LANGFUSE_BUSY_TRACES_PER_SEC: String(ALLOWANCE), LOG_LEVEL: "info" }),
  );
  try {
    // The clients run in this process too: together with the service they keep its event loop saturated.
    const start = Date.now();
    const answers: { startedMs: number; traceId: string | null }[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        while (Date.now() - start < LOAD_MS) {
          const startedMs = Date.now() - start;
          const res = await postChat(svc, { message: "Where is my order #1234?", user_id: `client-${i}` });
          assert.equal(res.status, 200);
          answers.push({ startedMs, traceId: res.body.trace_id });
        }
      }),
    );
    const traced = answers.filter((a) => a.traceId !== null);
    const metrics = await metricsText(svc);
    const shed = metricValue(metrics, "switchboard_tracing_turns_shed_total");
    assert.equal(traced.length + shed, answers.length, "every turn either traced or counted as shed");
    assert.ok(shed > answers.length / 2, `most turns shed: ${shed} of ${answers.length}`);
    assert.equal(metricValue(metrics, "switchboard_tracing_busy"), 1);

    // Once busy (measured after the first window), a second's allowance at once, then ALLOWANCE a second.
    const settled = BUSY_WINDOW_MS * 2;
    const late = traced.filter((a) => a.startedMs >= settled).length;
    const bound = ALLOWANCE + Math.ceil((ALLOWANCE * (LOAD_MS - BUSY_WINDOW_MS)) / 1000);
    assert.ok(late <= bound, `${late} turns traced after ${settled} ms, at most ${bound}`);

    const told = svc.logs.filter((l) => String(l["msg"]).includes("LANGFUSE_BUSY_TRACES_PER_SEC"));
    assert.equal(told.length, 1, "told once");
    assert.equal(told[0]!["level"], 40, "as a warning");

    // Every turn the answers name as traced reaches Langfuse whole.
    const roots = await waitFor(`${traced.length} traces`, async () => {
      const rows = await listObservations(receiver.url, AUTH, { name: "chat" });
      return rows.length >= traced.length ? rows : undefined;
    });
    assert.deepEqual(new Set(roots.map((r) => r.traceId)), new Set(traced.map((a) => a.traceId)));
  } finally {
    await svc.close();
    await receiver.close();
  }
});
