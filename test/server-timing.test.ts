// Every chat response says what tracing cost its request path: a Server-Timing `tracing` entry
// (a header, or a trailer on streams, whose headers go out before the turn ends), and a
// histogram of it on /metrics.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startService, type RunningService } from "./support/start-service.js";
import { metricValue, metricsText, startReceiver, tracedEnv, type Receiver } from "./support/tracing-helpers.js";

const MESSAGE = "Where is my order #1234?";
const TIMING = /^tracing;dur=(\d+\.\d{3});desc="tracing on the request path"$/;

/** A POST over node:http, which (unlike fetch) exposes trailers. */
function post(
  url: string,
  body: unknown,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; trailers: NodeJS.Dict<string>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "POST", headers: { "content-type": "application/json" }, timeout: 10_000 },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, text }),
        );
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.end(JSON.stringify(body));
  });
}

function durationOf(value: string | string[] | undefined): number {
  const match = TIMING.exec(String(value));
  assert.ok(match, `a Server-Timing tracing entry, got ${String(value)}`);
  return Number(match[1]);
}

describe("Server-Timing: tracing's share of each response", () => {
  let receiver: Receiver;
  let svc: RunningService;
  before(async () => {
    receiver = await startReceiver({ port: 0 });
    svc = await startService(tracedEnv(receiver, { SIM_TTFT_MS: "1", SIM_TOKEN_MS: "1" }));
  });
  after(async () => {
    await svc?.close();
    await receiver?.close();
  });

  test("a plain chat turn: a header with a positive duration", async () => {
    const res = await post(`${svc.url}/api/v1/chat`, { message: MESSAGE, user_id: "timed" });
    assert.equal(res.status, 200);
    assert.ok(durationOf(res.headers["server-timing"]) > 0);
    assert.ok(!("tracing_ms" in JSON.parse(res.text)), "the answer's body is unchanged");
  });

  test("a streamed turn: announced as a trailer, sent after the done event", async () => {
    const res = await post(`${svc.url}/api/v1/chat/stream`, { message: MESSAGE, user_id: "timed-stream" });
    assert.equal(res.status, 200);
    assert.equal(res.headers["trailer"], "Server-Timing");
    assert.match(res.text, /event: done/);
    assert.ok(durationOf(res.trailers["server-timing"]) > 0);
  });

  test("the OpenAI-compatible endpoints: header when plain, trailer when streamed", async () => {
    const plain = await post(`${svc.url}/v1/chat/completions`, {
      model: "switchboard-router",
      user: "oai-timed",
      messages: [{ role: "user", content: MESSAGE }],
    });
    assert.ok(durationOf(plain.headers["server-timing"]) > 0);
    const streamed = await post(`${svc.url}/v1/chat/completions`, {
      model: "switchboard-router",
      user: "oai-timed-2",
      stream: true,
      messages: [{ role: "user", content: MESSAGE }],
    });
    assert.ok(durationOf(streamed.trailers["server-timing"]) > 0);
    const responses = await post(`${svc.url}/v1/responses`, {
      model: "switchboard-router",
      user: "oai-timed-3",
      input: MESSAGE,
    });
    assert.ok(durationOf(responses.headers["server-timing"]) > 0);
    const responsesStream = await post(`${svc.url}/v1/responses`, {
      model: "switchboard-router",
      user: "oai-timed-4",
      input: MESSAGE,
      stream: true,
    });
    assert.ok(durationOf(responsesStream.trailers["server-timing"]) > 0);
  });

  test("/metrics: a histogram with one observation per traced turn", async () => {
    const before = metricValue(await metricsText(svc), "switchboard_tracing_request_path_seconds_count");
    for (let i = 0; i < 3; i++)
      assert.equal((await post(`${svc.url}/api/v1/chat`, { message: MESSAGE, user_id: `hist-${i}` })).status, 200);
    assert.equal(metricValue(await metricsText(svc), "switchboard_tracing_request_path_seconds_count"), before + 3);
  });
});

test("untraced (LANGFUSE_ENABLED=false): the entry says 0", async () => {
  const svc = await startService({ LANGFUSE_ENABLED: "false" });
  try {
    const res = await post(`${svc.url}/api/v1/chat`, { message: MESSAGE, user_id: "off" });
    assert.equal(durationOf(res.headers["server-timing"]), 0);
  } finally {
    await svc.close();
  }
});
