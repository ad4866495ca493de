// The ingestion endpoint's contract at its edges: auth, content types, malformed bodies, size
// limit, id encodings, the ingestion-version header, and re-sent spans stored again (Langfuse v4)
// and reported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { basicAuthHeader, DEV_KEY_PAIR } from "./basic-auth.js";
import { startReceiver } from "./receiver.js";
import {
  DEV_AUTH,
  getJson,
  hexId,
  otlpJsonBody,
  postIngest,
  TEST_TIMEOUT_MS,
} from "../../test/support/receiver-http.js";

const opts = { timeout: TEST_TIMEOUT_MS };

test("missing or wrong credentials get 401 on ingestion and on the public API", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const body = otlpJsonBody([{ traceId: hexId(16), spanId: hexId(8), name: "x" }]);
    const missing = await postIngest(receiver, body, { auth: null });
    assert.equal(missing.status, 401);
    // Langfuse's answers: { message } only.
    assert.deepEqual(JSON.parse(missing.text), { message: "No authorization header" });
    const wrong = await postIngest(receiver, body, {
      auth: basicAuthHeader({ publicKey: DEV_KEY_PAIR.publicKey, secretKey: "nope" }),
    });
    assert.equal(wrong.status, 401);
    assert.deepEqual(JSON.parse(wrong.text), {
      message: "Invalid credentials. Confirm that you've configured the correct host.",
    });
    const garbage = await postIngest(receiver, body, { auth: "Bearer abc" });
    assert.equal(garbage.status, 401);
    assert.equal((await getJson(receiver, "/api/public/traces", null)).status, 401);
    assert.equal(receiver.stats().spans.received, 0);
    assert.equal(receiver.stats().requests.byStatus["401"], 3);
  } finally {
    await receiver.close();
  }
});

test("configured keys replace the dev keys", opts, async () => {
  const keys = { publicKey: "pk-lf-custom", secretKey: "sk-lf-custom" };
  const receiver = await startReceiver({ port: 0, keys: [keys] });
  try {
    const body = otlpJsonBody([{ traceId: hexId(16), spanId: hexId(8), name: "x" }]);
    assert.equal((await postIngest(receiver, body)).status, 401, "dev keys no longer accepted");
    assert.equal((await postIngest(receiver, body, { auth: basicAuthHeader(keys) })).status, 200);
  } finally {
    await receiver.close();
  }
});

test("unsupported content type gets 415, malformed bodies get 400 with a reason", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const text = await postIngest(receiver, "hello", { contentType: "text/plain" });
    assert.equal(text.status, 415);
    assert.match(JSON.parse(text.text).message, /application\/json or application\/x-protobuf/);

    const badJson = await postIngest(receiver, "{not json");
    assert.equal(badJson.status, 400);
    assert.match(JSON.parse(badJson.text).message, /malformed JSON/);

    const notOtlp = await postIngest(receiver, JSON.stringify({ resourceSpans: "nope" }));
    assert.equal(notOtlp.status, 400);
    assert.match(JSON.parse(notOtlp.text).message, /resourceSpans must be an array/);

    const badId = await postIngest(receiver, otlpJsonBody([{ traceId: "xyz", spanId: hexId(8), name: "x" }]));
    assert.equal(badId.status, 400);
    assert.match(JSON.parse(badId.text).message, /spans\[0\]\.traceId/);

    const badProto = await postIngest(receiver, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), {
      contentType: "application/x-protobuf",
    });
    assert.equal(badProto.status, 400);
    assert.match(JSON.parse(badProto.text).message, /invalid protobuf/);

    const badGzip = await postIngest(receiver, "not gzip", { contentEncoding: "gzip" });
    assert.equal(badGzip.status, 400);
    assert.match(JSON.parse(badGzip.text).message, /not valid gzip/);

    const brotli = await postIngest(receiver, "{}", { contentEncoding: "br" });
    assert.equal(brotli.status, 415);

    assert.equal(receiver.stats().store.observations, 0);
  } finally {
    await receiver.close();
  }
});

test("bodies over the limit get 413, compressed or not", opts, async () => {
  const receiver = await startReceiver({ port: 0, bodyLimitBytes: 4096 });
  try {
    const big = otlpJsonBody([
      { traceId: hexId(16), spanId: hexId(8), name: "x", attributes: { pad: "a".repeat(8000) } },
    ]);
    assert.equal((await postIngest(receiver, big)).status, 413);
    const zipped = gzipSync(big);
    assert.ok(zipped.byteLength < 4096);
    assert.equal((await postIngest(receiver, zipped, { contentEncoding: "gzip" })).status, 413);
  } finally {
    await receiver.close();
  }
});

test("an empty request and a JSON request with base64 ids (protobuf JSON mapping) are accepted", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const empty = await postIngest(receiver, "{}");
    assert.equal(empty.status, 200);
    assert.equal(empty.text, "{}");

    const traceHex = hexId(16);
    const spanHex = hexId(8);
    const body = otlpJsonBody([{ traceId: traceHex, spanId: spanHex, name: "b64" }])
      .replace(traceHex, Buffer.from(traceHex, "hex").toString("base64"))
      .replace(spanHex, Buffer.from(spanHex, "hex").toString("base64"));
    assert.equal((await postIngest(receiver, body)).status, 200);
    const trace = await getJson(receiver, `/api/public/traces/${traceHex}`);
    assert.equal(trace.status, 200);
    assert.equal(trace.body.observations[0].id, spanHex);
    assert.equal(trace.body.name, "b64", "root span name is the trace name without langfuse.trace.name");
  } finally {
    await receiver.close();
  }
});

test("a re-sent span is stored again as a second row (Langfuse v4), and reported", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const traceId = hexId(16);
    const rootId = hexId(8);
    const childId = hexId(8);
    const body = otlpJsonBody([
      {
        traceId,
        spanId: childId,
        parentSpanId: rootId,
        name: "child",
        attributes: { "user.id": "u1", "gen_ai.usage.input_tokens": 10 },
      },
      { traceId, spanId: rootId, name: "root", attributes: { "user.id": "u1" } },
    ]);
    assert.equal((await postIngest(receiver, body)).status, 200);
    assert.equal((await postIngest(receiver, body)).status, 200);
    const stats = receiver.stats();
    assert.equal(stats.spans.received, 4);
    assert.equal(stats.spans.unique, 2);
    assert.equal(stats.spans.duplicates, 2, "rows received whose id already existed");
    assert.deepEqual(stats.store, {
      traces: 1,
      observations: 4,
      observationIds: 2,
      duplicateRows: 2,
      duplicatedIds: 2,
    });
    assert.equal(stats.requests.byStatus["200"], 2);

    // Both copies are rows everywhere Langfuse v4 lists rows, and counted twice in usage.
    const trace = await getJson(receiver, `/api/public/traces/${traceId}`);
    assert.deepEqual(
      trace.body.observations.map((observation: any) => observation.id).sort(),
      [childId, childId, rootId, rootId].sort(),
    );
    assert.equal(trace.body.userId, "u1");
    const v2 = await getJson(receiver, `/api/public/v2/observations?traceId=${traceId}&fields=usage`);
    assert.equal(v2.body.data.length, 4);
    assert.equal(
      v2.body.data
        .filter((observation: any) => observation.id === childId)
        .reduce((sum: number, observation: any) => sum + observation.usageDetails.input, 0),
      20,
    );
    // The legacy trace list names each observation once.
    const list = await getJson(receiver, `/api/public/traces?userId=u1`);
    assert.deepEqual([...list.body.data[0].observations].sort(), [childId, rootId].sort());

    // A duplicate inside one request counts too.
    const once = hexId(8);
    await postIngest(
      receiver,
      otlpJsonBody([0, 1, 2].map(() => ({ traceId, spanId: once, parentSpanId: rootId, name: "thrice" }))),
    );
    assert.equal(receiver.stats().spans.duplicates, 4);
    assert.deepEqual(receiver.stats().store, {
      traces: 1,
      observations: 7,
      observationIds: 3,
      duplicateRows: 4,
      duplicatedIds: 3,
    });

    const httpStats = await getJson(receiver, "/_receiver/stats");
    assert.deepEqual(httpStats.body, receiver.stats());
  } finally {
    await receiver.close();
  }
});

test(
  "requests are counted by their x-langfuse-ingestion-version; versions Langfuse does not know get 400",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const body = () => otlpJsonBody([{ traceId: hexId(16), spanId: hexId(8), name: "x" }]);
      assert.deepEqual(receiver.stats().requests.byIngestionVersion, { "4": 0, none: 0 });
      for (let i = 0; i < 3; i++)
        assert.equal(
          (await postIngest(receiver, body(), { headers: { "x-langfuse-ingestion-version": "4" } })).status,
          200,
        );
      assert.equal((await postIngest(receiver, body())).status, 200);
      // Lower versions are valid (Langfuse routes them through its dual-write path).
      assert.equal(
        (await postIngest(receiver, body(), { headers: { "x-langfuse-ingestion-version": "3" } })).status,
        200,
      );
      // Langfuse also reads the underscored header name.
      assert.equal(
        (await postIngest(receiver, body(), { headers: { x_langfuse_ingestion_version: "4" } })).status,
        200,
      );
      const five = await postIngest(receiver, body(), { headers: { "x-langfuse-ingestion-version": "5" } });
      assert.equal(five.status, 400);
      assert.equal(
        JSON.parse(five.text).message,
        'Unsupported x-langfuse-ingestion-version: "5". Maximum supported: "4".',
      );
      assert.equal(
        (await postIngest(receiver, body(), { headers: { "x-langfuse-ingestion-version": "v4" } })).status,
        400,
      );

      const stats = receiver.stats();
      assert.deepEqual(stats.requests.byIngestionVersion, { "4": 4, none: 1, "3": 1, "5": 1, v4: 1 });
      assert.equal(stats.store.observations, 6, "refused versions store nothing");
      const rows = await getJson(receiver, "/_receiver/stats");
      assert.deepEqual(rows.body.requests.byIngestionVersion, stats.requests.byIngestionVersion);
    } finally {
      await receiver.close();
    }
  },
);

test("each row records the ingestion version of the request that delivered it", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const traceId = hexId(16);
    const a = hexId(8);
    const b = hexId(8);
    await postIngest(receiver, otlpJsonBody([{ traceId, spanId: a, name: "a" }]), {
      headers: { "x-langfuse-ingestion-version": "4" },
    });
    await postIngest(receiver, otlpJsonBody([{ traceId, spanId: b, parentSpanId: a, name: "b" }]));
    const rows = await getJson(receiver, `/_receiver/spans?traceId=${traceId}`);
    const byName = Object.fromEntries(rows.body.data.map((r: any) => [r.name, r.ingestion_version]));
    assert.deepEqual(byName, { a: "4", b: null });
  } finally {
    await receiver.close();
  }
});

test("DELETE /_receiver/data wipes traces and counters", opts, async () => {
  const receiver = await startReceiver({ port: 0, controlRoutes: true });
  try {
    const traceId = hexId(16);
    await postIngest(receiver, otlpJsonBody([{ traceId, spanId: hexId(8), name: "x" }]));
    assert.equal(receiver.stats().store.traces, 1);
    const res = await fetch(`${receiver.url}/_receiver/data`, {
      method: "DELETE",
      headers: { authorization: DEV_AUTH },
    });
    assert.equal(res.status, 200);
    assert.equal((await getJson(receiver, `/api/public/traces/${traceId}`)).status, 404);
    assert.deepEqual(receiver.stats().store, {
      traces: 0,
      observations: 0,
      observationIds: 0,
      duplicateRows: 0,
      duplicatedIds: 0,
    });
    assert.equal(receiver.stats().requests.total, 0);
  } finally {
    await receiver.close();
  }
});
