// Tracing never costs the request path: with the backend refused, slow, hung, failing or
// rate-limiting, every chat request still answers 200, and the pipeline's own accounting
// (/metrics) says what happened to the spans. Asserted through the real service and receiver.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startService, type RunningService } from "./support/start-service.js";
import {
  metricValue,
  metricsText,
  postChat,
  startReceiver,
  tracedEnv,
  waitFor,
  waitForTrace,
  type Receiver,
} from "./support/tracing-helpers.js";

const MESSAGE = "Where is my order #1234? It has not arrived.";
/** One turn is 5 spans: with FLUSH_AT=5 and a long interval, one turn is exactly one batch. */
const ONE_BATCH_PER_TURN = { LANGFUSE_FLUSH_AT: "5", LANGFUSE_FLUSH_INTERVAL: "60" };

async function withReceiverAndService(
  envOf: (receiver: Receiver) => Record<string, string>,
  fn: (receiver: Receiver, svc: RunningService) => Promise<void>,
): Promise<void> {
  const receiver = await startReceiver({ port: 0 });
  try {
    const svc = await startService(envOf(receiver));
    try {
      await fn(receiver, svc);
    } finally {
      await svc.close();
    }
  } finally {
    await receiver.close();
  }
}

async function turns(svc: RunningService, n: number, message = MESSAGE): Promise<Array<{ status: number; body: any }>> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const res = await postChat(svc, { message, user_id: `fault-user-${i}` });
    assert.equal(res.status, 200, `request ${i} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
    out.push(res);
  }
  return out;
}

/** Polls /metrics until `accept` holds for the text; returns it. */
function waitForMetrics(
  svc: RunningService,
  what: string,
  accept: (text: string) => boolean,
  timeoutMs?: number,
): Promise<string> {
  return waitFor(
    what,
    async () => {
      const text = await metricsText(svc);
      return accept(text) ? text : undefined;
    },
    timeoutMs,
  );
}

const M = {
  failures: "switchboard_tracing_export_failures_total",
  dropped: "switchboard_tracing_spans_dropped_total",
  exported: "switchboard_tracing_spans_exported_total",
  attempts: "switchboard_tracing_export_attempts_total",
  queueBytes: "switchboard_tracing_queue_bytes",
  queueSpans: "switchboard_tracing_queue_spans",
  backendState: "switchboard_tracing_backend_state",
  resent: "switchboard_tracing_spans_resent_total",
};

describe("tracing isolation and receiver faults", () => {
  test("refused backend: requests answer 200, nothing dropped (held and probed), failures counted, warned once (not per request)", async () => {
    const svc = await startService(
      tracedEnv({ url: "http://127.0.0.1:1" }, { ...ONE_BATCH_PER_TURN, LANGFUSE_MAX_RETRIES: "0" }),
    );
    try {
      const res = await turns(svc, 12);
      assert.ok(
        res.every((r) => typeof r.body.trace_id === "string"),
        "turns are still traced",
      );
      const metrics = await waitForMetrics(
        svc,
        "the backend counted down",
        (t) => metricValue(t, M.backendState) === 1 && metricValue(t, M.failures, { reason: "network" }) >= 2,
      );
      assert.equal(
        metricValue(metrics, M.dropped),
        0,
        "refused means not stored: the spans are held for the backend to come back",
      );
      assert.equal(metricValue(metrics, M.queueSpans), 60);
      assert.equal(metricValue(metrics, M.exported), 0);
      // Batches reach the export together (the worker takes what ten milliseconds of turns ended):
      // the two live slots, the attempts started before the second failure came back, and then
      // one probe at a time, not an attempt for each of the twelve batches.
      assert.ok(
        metricValue(metrics, M.attempts) <= 5,
        `down: one probe at a time, not an attempt per batch (${metricValue(metrics, M.attempts)} attempts)`,
      );
      const warnings = svc.logs.filter((l) => l["level"] === 40 && l["kind"] === "export_network");
      assert.equal(warnings.length, 1, `expected one warning, got ${warnings.length}`);
    } finally {
      await svc.close();
    }
  });

  test("slow backend (1 s per request, timeout 3 s): every span delivered eventually", async () => {
    await withReceiverAndService(
      (r) => tracedEnv(r, { LANGFUSE_TIMEOUT: "3" }),
      async (receiver, svc) => {
        receiver.faults.set({ delayMs: 1000 });
        const res = await turns(svc, 3);
        for (const r of res) {
          const trace = await waitForTrace(receiver, r.body.trace_id, 5, 10_000);
          assert.equal(trace.observations.length, 5);
        }
        const metrics = await waitForMetrics(
          svc,
          "15 spans exported",
          (t) => metricValue(t, M.exported) === 15,
          10_000,
        );
        assert.equal(metricValue(metrics, M.failures), 0, "no attempt timed out");
        assert.equal(metricValue(metrics, M.dropped), 0);
      },
    );
  });

  test("hung backend: requests answer 200; attempts end unknown, the batches are held and sent again, counted, once it answers", async () => {
    await withReceiverAndService(
      (r) =>
        tracedEnv(r, {
          ...ONE_BATCH_PER_TURN,
          LANGFUSE_TIMEOUT: "0.3",
          LANGFUSE_MAX_RETRIES: "1",
          LANGFUSE_RETRY_DELAY: "0.05",
        }),
      async (receiver, svc) => {
        receiver.faults.set({ hang: true });
        await turns(svc, 2);
        let metrics = await waitForMetrics(
          svc,
          "two unknown outcomes",
          (t) => metricValue(t, M.failures, { reason: "unknown_timeout" }) >= 2,
        );
        assert.equal(metricValue(metrics, M.dropped), 0);
        assert.equal(receiver.stats().store.observations, 0);
        receiver.faults.reset();
        metrics = await waitForMetrics(svc, "10 spans exported", (t) => metricValue(t, M.exported) === 10, 10_000);
        assert.ok(metricValue(metrics, M.resent) >= 10, "what may have been stored is re-sent and counted");
        assert.equal(metricValue(metrics, M.dropped), 0);
        assert.equal(receiver.stats().store.observations, 10, "the hang stored nothing: each span once");
      },
    );
  });

  test("backend answering 500: the outcome is unknown; sent again (counted) until it answers, then delivered", async () => {
    await withReceiverAndService(
      (r) => tracedEnv(r, { ...ONE_BATCH_PER_TURN, LANGFUSE_MAX_RETRIES: "2", LANGFUSE_RETRY_DELAY: "0.05" }),
      async (receiver, svc) => {
        receiver.faults.set({ failRatio: 1, failStatus: 500 });
        await turns(svc, 1);
        await waitFor("two 500s", () => ((receiver.stats().requests.byStatus["500"] ?? 0) >= 2 ? true : undefined));
        receiver.faults.reset();
        const metrics = await waitForMetrics(svc, "5 spans exported", (t) => metricValue(t, M.exported) === 5, 10_000);
        assert.ok(metricValue(metrics, M.failures, { reason: "unknown_http_5xx" }) >= 2);
        assert.ok(metricValue(metrics, M.resent) >= 5, "re-sends after a 500 are counted");
        assert.equal(metricValue(metrics, M.dropped), 0);
      },
    );
  });

  test("backend answering 429 with Retry-After: 1: the retry waits for it, then delivers", async () => {
    await withReceiverAndService(
      // A short retry delay: only Retry-After can make the retry wait a second.
      (r) => tracedEnv(r, { ...ONE_BATCH_PER_TURN, LANGFUSE_MAX_RETRIES: "3", LANGFUSE_RETRY_DELAY: "0.02" }),
      async (receiver, svc) => {
        receiver.faults.set({ failRatio: 1, failStatus: 429, retryAfterSeconds: 1 });
        const [res] = await turns(svc, 1);
        await waitFor("the 429", () => (receiver.stats().requests.byStatus["429"] ? true : undefined), 5_000, 5);
        const rejectedAt = Date.now();
        receiver.faults.reset();
        await waitFor(
          "the retry's 200",
          () => (receiver.stats().requests.byStatus["200"] ? true : undefined),
          5_000,
          5,
        );
        const acceptedAt = Date.now();
        // The 429 is seen by polling on the event loop the service and the receiver share, so on
        // a loaded machine it is seen late and the interval reads short (806 ms seen in a full run
        // beside other work). Half the second still tells Retry-After from the 20 ms retry delay.
        assert.ok(acceptedAt - rejectedAt >= 500, `retried after ${acceptedAt - rejectedAt} ms, before Retry-After`);
        assert.equal(receiver.stats().requests.byStatus["429"], 1);
        const trace = await waitForTrace(receiver, res!.body.trace_id, 5);
        assert.equal(trace.observations.length, 5);
        // The receiver stores before it answers: wait for the exporter to have seen the answer.
        const metrics = await waitForMetrics(svc, "5 spans exported", (t) => metricValue(t, M.exported) === 5);
        assert.equal(metricValue(metrics, M.failures, { reason: "http_429" }), 1);
        assert.equal(metricValue(metrics, M.exported), 5);
        assert.equal(metricValue(metrics, M.dropped), 0);
      },
    );
  });

  test("memory bound (memory-only): with a hung backend, bytes held never exceed LANGFUSE_MAX_QUEUE_BYTES and the excess is dropped, counted", async () => {
    const bound = 65_536;
    await withReceiverAndService(
      (r) =>
        tracedEnv(r, {
          LANGFUSE_MAX_QUEUE_BYTES: String(bound),
          LANGFUSE_TIMEOUT: "30",
          LANGFUSE_MAX_RETRIES: "0",
          LANGFUSE_SHUTDOWN_TIMEOUT: "0.2",
        }),
      async (receiver, svc) => {
        receiver.faults.set({ hang: true });
        const message = `Where is my order? ${"my parcel has not arrived yet ".repeat(140)}`.slice(0, 4096);
        let maxSeen = 0;
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            maxSeen = Math.max(maxSeen, metricValue(await metricsText(svc), M.queueBytes));
            await new Promise((r) => setTimeout(r, 5));
          }
        })();
        try {
          for (let i = 0; i < 40; i++) {
            const res = await postChat(svc, { message, user_id: `heavy-${i}` });
            assert.equal(res.status, 200);
            maxSeen = Math.max(maxSeen, metricValue(await metricsText(svc), M.queueBytes));
          }
        } finally {
          sampling = false;
          await sampler;
        }
        const metrics = await metricsText(svc);
        assert.ok(maxSeen > 0, "the gauge was sampled while spans were held");
        assert.ok(maxSeen <= bound, `queue held ${maxSeen} bytes, bound ${bound}`);
        assert.ok(metricValue(metrics, M.dropped, { reason: "queue_full" }) > 0, "the excess was dropped and counted");
        assert.equal(receiver.stats().store.observations, 0);
      },
    );
  });

  test("graceful shutdown (memory-only) with a hung backend returns within LANGFUSE_SHUTDOWN_TIMEOUT and counts what it drops, once", async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const svc = await startService(
        tracedEnv(receiver, { ...ONE_BATCH_PER_TURN, LANGFUSE_TIMEOUT: "30", LANGFUSE_SHUTDOWN_TIMEOUT: "0.5" }),
      );
      let closed = false;
      try {
        receiver.faults.set({ hang: true });
        await turns(svc, 3); // two batches hang in flight (concurrency 2), the third waits
        await waitFor("two hung exports", () => (receiver.stats().requests.hung >= 2 ? true : undefined));
        const started = Date.now();
        const outcome = await Promise.race([
          svc.close().then(() => "closed"),
          new Promise((r) => setTimeout(r, 5_000, "still closing")).then((v) => v as string),
        ]);
        const took = Date.now() - started;
        closed = outcome === "closed";
        assert.equal(outcome, "closed", "shutdown did not return");
        assert.ok(took < 500 + 2_000, `shutdown took ${took} ms with a 500 ms budget`);
        // The attempts cut off by shutdown settle afterwards; they must not count their spans again.
        await new Promise((r) => setTimeout(r, 200));
        const metrics = await svc.service.registry.metrics();
        assert.equal(
          metricValue(metrics, M.dropped, { reason: "shutdown" }),
          15,
          "all three turns' spans counted as dropped at shutdown",
        );
        assert.equal(metricValue(metrics, M.dropped), 15, "each undelivered span is counted once");
        assert.equal(metricValue(metrics, M.exported), 0);
      } finally {
        if (!closed) await receiver.close(); // frees the hung sockets so a stuck close can finish
        await svc.close();
      }
    } finally {
      await receiver.close();
    }
  });
});
