// Fault injection on the ingestion endpoint: delay, failure ratio with status and Retry-After,
// hang, the unknown outcome (stored, then hung or reset), each controllable in-process and over
// HTTP; close() cuts held requests instead of waiting for them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { DEV_AUTH } from "../../test/support/receiver-http.js";
import { startReceiver, type Receiver } from "./receiver.js";
import { getJson, hexId, otlpJsonBody, postIngest, TEST_TIMEOUT_MS } from "../../test/support/receiver-http.js";

const opts = { timeout: TEST_TIMEOUT_MS };

function oneSpanBody(): string {
  return otlpJsonBody([{ traceId: hexId(16), spanId: hexId(8), name: "x" }]);
}

async function putFaults(receiver: Receiver, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${receiver.url}/_receiver/faults`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: DEV_AUTH },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, json: await res.json() };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("delay holds each ingestion answer back, and the spans are still stored", opts, async () => {
  const receiver = await startReceiver({ port: 0, controlRoutes: true, faults: { delayMs: 150 } });
  try {
    const started = performance.now();
    const res = await postIngest(receiver, oneSpanBody());
    const elapsed = performance.now() - started;
    assert.equal(res.status, 200);
    assert.ok(elapsed >= 140, `answered after ${elapsed} ms`);
    assert.equal(receiver.stats().store.observations, 1);

    // The public API is not delayed, and clearing the delay takes effect at once: with one
    // ingest request held back for a minute, both answer first (an order, not a stopwatch).
    receiver.faults.set({ delayMs: 60_000 });
    const order: string[] = [];
    const held = postIngest(receiver, oneSpanBody(), { timeoutMs: 120_000 }).then(
      () => order.push("held"),
      () => order.push("held-cut"),
    );
    await waitFor(() => receiver.stats().requests.total === 2, 5_000);
    await getJson(receiver, "/api/public/traces");
    order.push("api");
    receiver.faults.set({ delayMs: 0 });
    assert.equal((await postIngest(receiver, oneSpanBody())).status, 200);
    order.push("undelayed");
    assert.deepEqual(order, ["api", "undelayed"]);
    await receiver.close();
    await held;
  } finally {
    await receiver.close();
  }
});

test(
  "failure ratio fails evenly spread requests with the status and Retry-After, storing nothing from them",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0, controlRoutes: true });
    try {
      receiver.faults.set({ failRatio: 0.5, failStatus: 503 });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await postIngest(receiver, oneSpanBody())).status);
      assert.deepEqual(statuses, [200, 503, 200, 503]);
      assert.equal(receiver.stats().store.observations, 2);
      assert.deepEqual(receiver.stats().requests.byStatus, { "200": 2, "503": 2 });

      const set = await putFaults(receiver, { failRatio: 1, failStatus: 429, retryAfterSeconds: 2 });
      assert.equal(set.status, 200);
      assert.equal(set.json.failStatus, 429);
      const limited = await postIngest(receiver, oneSpanBody());
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("retry-after"), "2");
      assert.match(JSON.parse(limited.text).message, /injected failure/);
      assert.equal(receiver.stats().store.observations, 2);

      receiver.faults.reset();
      assert.equal((await postIngest(receiver, oneSpanBody())).status, 200);
    } finally {
      await receiver.close();
    }
  },
);

test("PUT /_receiver/faults validates and merges; GET returns the faults in force", opts, async () => {
  const receiver = await startReceiver({ port: 0, controlRoutes: true });
  try {
    const bad = await putFaults(receiver, { failRatio: 2 });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /failRatio/);
    const unknown = await putFaults(receiver, { explode: true });
    assert.equal(unknown.status, 400);

    assert.equal((await putFaults(receiver, { endpoints: ["ingestion", "graphql"] })).status, 400);

    await putFaults(receiver, { delayMs: 5 });
    await putFaults(receiver, { failStatus: 502 });
    await putFaults(receiver, { endpoints: ["scores", "ingestion", "scores"] });
    const current = await getJson(receiver, "/_receiver/faults");
    assert.deepEqual(current.body, {
      endpoints: ["scores", "ingestion"],
      delayMs: 5,
      failStatus: 502,
      failRatio: 0,
      retryAfterSeconds: null,
      hang: false,
      afterStore: "answer",
    });
    assert.deepEqual(receiver.faults.get(), current.body);
    assert.throws(() => receiver.faults.set({ failStatus: 200 }));
  } finally {
    await receiver.close();
  }
});

/**
 * An ingestion request with no client-side timeout, so only the server can end it. Resolves
 * with what the client saw: an answer, or its connection cut.
 */
function rawIngest(
  receiver: Receiver,
  body: string,
): { outcome: Promise<{ answered: number } | { cut: string }>; settled: () => boolean } {
  let done = false;
  const outcome = new Promise<{ answered: number } | { cut: string }>((resolve) => {
    const req = request(`${receiver.url}/api/public/otel/v1/traces`, {
      method: "POST",
      agent: false,
      headers: {
        "content-type": "application/json",
        authorization: DEV_AUTH,
        "content-length": Buffer.byteLength(body),
      },
    });
    req.on("response", (res) => {
      res.resume();
      done = true;
      resolve({ answered: res.statusCode ?? 0 });
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      done = true;
      resolve({ cut: err.code ?? err.message });
    });
    req.end(body);
  });
  return { outcome, settled: () => done };
}

test("hang never answers; close() cuts the held request instead of waiting for it", opts, async () => {
  const receiver = await startReceiver({ port: 0, controlRoutes: true });
  receiver.faults.set({ hang: true });
  const held = rawIngest(receiver, oneSpanBody());
  try {
    await waitFor(() => receiver.stats().requests.hung === 1, 5_000);
    // The API stays usable while ingestion hangs.
    assert.equal((await getJson(receiver, "/api/public/traces")).status, 200);
    assert.equal(held.settled(), false, "the hung request is still held when close() is called");
  } finally {
    // The client never gives up on its own: if close() waited for held requests, it would
    // never resolve and the test would fail on its timeout.
    await receiver.close();
  }
  assert.deepEqual(Object.keys(await held.outcome), ["cut"], "the client sees its connection cut, not an answer");
  assert.equal(receiver.stats().requests.byStatus["200"], undefined);
  assert.equal(receiver.stats().store.observations, 0);
});

test(
  "afterStore hang: the spans are stored, the client never gets an answer, close() still ends it",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0, controlRoutes: true, faults: { afterStore: "hang" } });
    const traceId = hexId(16);
    const held = rawIngest(receiver, otlpJsonBody([{ traceId, spanId: hexId(8), name: "stored" }]));
    try {
      await waitFor(() => receiver.stats().requests.afterStore.hung === 1, 5_000);
      // The unknown outcome: nothing answered, everything stored.
      assert.equal(held.settled(), false);
      assert.equal(receiver.stats().store.observations, 1);
      assert.equal((await getJson(receiver, `/api/public/traces/${traceId}`)).status, 200);
      assert.equal(receiver.stats().requests.byStatus["200"], undefined, "no answer was counted");
    } finally {
      await receiver.close();
    }
    assert.deepEqual(Object.keys(await held.outcome), ["cut"]);
  },
);

test(
  "afterStore reset: the spans are stored and the connection is destroyed; later requests are answered",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0, controlRoutes: true });
    try {
      const set = await putFaults(receiver, { afterStore: "reset" });
      assert.equal(set.status, 200);
      assert.equal(set.json.afterStore, "reset");
      const traceId = hexId(16);
      const { outcome } = rawIngest(receiver, otlpJsonBody([{ traceId, spanId: hexId(8), name: "stored" }]));
      const seen = await outcome;
      assert.ok("cut" in seen, `the client got ${JSON.stringify(seen)}`);
      assert.equal(receiver.stats().requests.afterStore.reset, 1);
      assert.equal(receiver.stats().store.observations, 1, "stored before the reset");
      await assert.rejects(postIngest(receiver, oneSpanBody()), "fetch sees the reset too");

      const bad = await putFaults(receiver, { afterStore: "explode" });
      assert.equal(bad.status, 400);
      assert.match(bad.json.message, /afterStore/);

      receiver.faults.set({ afterStore: "answer" });
      assert.equal((await postIngest(receiver, oneSpanBody())).status, 200);
      assert.equal(receiver.stats().store.observations, 3);
    } finally {
      await receiver.close();
    }
  },
);

test("failures and the plain hang take precedence over afterStore: nothing is stored", opts, async () => {
  const receiver = await startReceiver({ port: 0, controlRoutes: true, faults: { afterStore: "reset", failRatio: 1 } });
  try {
    assert.equal((await postIngest(receiver, oneSpanBody())).status, 503);
    assert.equal(receiver.stats().store.observations, 0);
    assert.equal(receiver.stats().requests.afterStore.reset, 0);
  } finally {
    await receiver.close();
  }
});

test("a closed receiver refuses connections (the 'down' fault)", opts, async () => {
  const receiver = await startReceiver({ port: 0, controlRoutes: true });
  await receiver.close();
  await assert.rejects(postIngest(receiver, oneSpanBody()));
});
