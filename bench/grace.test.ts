import { test } from "node:test";
import assert from "node:assert/strict";
import { heldSpans, waitForDelivery, type Clock, type DeliveryProbe } from "./grace.js";
import { MetricsSnapshot } from "./prometheus.js";

/** A /metrics text as the service writes it; `queue` absent = the gauge never set (reads 0). */
function scrape(f: { created: number; exported: number; dropped?: number; queue?: number }): MetricsSnapshot {
  return MetricsSnapshot.parse(
    [
      "# TYPE switchboard_tracing_observations_created_total counter",
      `switchboard_tracing_observations_created_total{type="trace"} ${f.created / 5}`,
      `switchboard_tracing_observations_created_total{type="span"} ${(f.created * 4) / 5}`,
      "# TYPE switchboard_tracing_spans_exported_total counter",
      `switchboard_tracing_spans_exported_total ${f.exported}`,
      "# TYPE switchboard_tracing_spans_dropped_total counter",
      ...(f.dropped ? [`switchboard_tracing_spans_dropped_total{reason="queue_full"} ${f.dropped}`] : []),
      "# TYPE switchboard_tracing_queue_spans gauge",
      `switchboard_tracing_queue_spans ${f.queue ?? 0}`,
      "",
    ].join("\n"),
  );
}

/** Virtual time: sleep() advances it, nothing waits for real. */
function fakeClock(): Clock & { t: number } {
  const clock = { t: 0, now: () => clock.t, sleep: async (ms: number) => void (clock.t += ms) };
  return clock;
}

/** The official SDK's pipeline: nothing delivered until its 5 s batch timer fires, and it never sets the queue gauge. */
function sdkPipeline(clock: { t: number }, created = 1450): DeliveryProbe {
  const exported = () => (clock.t >= 5000 ? created : Math.round(created * 0.706));
  return {
    held: async () => heldSpans(scrape({ created, exported: exported() })),
    receiverUnique: async () => exported(),
  };
}

test("held spans: created minus settled, whatever the pipeline reports in its queue gauge", () => {
  // The SDK pipeline's gauge reads 0 while its batch processor still holds 426 spans.
  assert.equal(heldSpans(scrape({ created: 1450, exported: 1024, queue: 0 })), 426);
  // Dropped spans are settled: nothing more will arrive for them.
  assert.equal(heldSpans(scrape({ created: 1450, exported: 1000, dropped: 450 })), 0);
  // Our exporter: its gauge counts the journal too; the larger reading wins.
  assert.equal(heldSpans(scrape({ created: 100, exported: 100, queue: 40 })), 40);
  assert.equal(heldSpans(scrape({ created: 100, exported: 100, queue: 0 })), 0);
  // A service without tracing counters: unknown, never "drained".
  assert.equal(heldSpans(MetricsSnapshot.parse("process_cpu_seconds_total 1\n")), null);
});

test("the grace waits for the SDK's 5 s batch timer instead of ending when its queue gauge reads 0", async () => {
  const clock = fakeClock();
  const outcome = await waitForDelivery(sdkPipeline(clock), { maxSeconds: 6, aborted: () => false, clock });
  assert.equal(outcome.end, "drained");
  assert.ok(outcome.seconds >= 5 && outcome.seconds <= 5.5, `ended at ${outcome.seconds} s`);
});

test("a grace limit shorter than the pipeline's flush interval ends at the limit and says so", async () => {
  const clock = fakeClock();
  const outcome = await waitForDelivery(sdkPipeline(clock), { maxSeconds: 1.5, aborted: () => false, clock });
  assert.deepEqual(outcome, { seconds: 1.5, end: "limit" });
});

test("drained needs the receiver's count to stop moving too", async () => {
  const clock = fakeClock();
  // The pipeline counts a batch exported on the 2xx; the receiver's count is read one poll later still rising.
  const counts = [10, 20, 30, 30];
  let i = 0;
  const probe: DeliveryProbe = {
    held: async () => 0,
    receiverUnique: async () => counts[Math.min(i++, counts.length - 1)]!,
  };
  const outcome = await waitForDelivery(probe, { maxSeconds: 6, aborted: () => false, clock });
  assert.equal(outcome.end, "drained");
  assert.equal(outcome.seconds, 1);
});

test("a pipeline that cannot be read, or never drains, is waited for the whole limit", async () => {
  for (const held of [null, 12]) {
    const clock = fakeClock();
    const probe: DeliveryProbe = { held: async () => held, receiverUnique: async () => null };
    assert.deepEqual(await waitForDelivery(probe, { maxSeconds: 6, aborted: () => false, clock }), {
      seconds: 6,
      end: "limit",
    });
  }
  // A failing scrape is "still holding", not "drained".
  const clock = fakeClock();
  const failing: DeliveryProbe = {
    held: () => Promise.reject(new Error("GET /metrics: no answer")),
    receiverUnique: async () => 5,
  };
  assert.equal((await waitForDelivery(failing, { maxSeconds: 2, aborted: () => false, clock })).end, "limit");
});

test("Ctrl-C ends the grace at once", async () => {
  const clock = fakeClock();
  let polls = 0;
  const probe: DeliveryProbe = { held: async () => (polls++, 5), receiverUnique: async () => 1 };
  const outcome = await waitForDelivery(probe, { maxSeconds: 6, aborted: () => polls >= 2, clock });
  assert.equal(outcome.end, "aborted");
  assert.equal(outcome.seconds, 0.5);
});
