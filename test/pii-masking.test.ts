import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { postJson, readSse, startService } from "./support/start-service.js";
import { startRecordingProxy, type RecordingProxy } from "./support/recording-proxy.js";
import { getTrace, startReceiver, tracedEnv, waitFor, type Receiver } from "./support/tracing-helpers.js";

// Personal data a customer might type; none of it may leave the process when masking is on.
const PII = {
  email: "zhang.wei+orders@example.cn",
  cnMobile: "13912345678",
  intlPhone: "+44 20 7946 0958",
  cnId: "11010519491231002X",
  card: "4111 1111 1111 1111",
  custom: "ORD-314159",
};
const MESSAGE = `Where is my order ${PII.custom}? Reach me at ${PII.email}, ${PII.cnMobile} or ${PII.intlPhone}; ID ${PII.cnId}; paid with ${PII.card}.`;
const needles = (v: string) => [v, v.replace(/\s/g, ""), JSON.stringify(v).slice(1, -1)];

for (const pipeline of ["switchboard", "sdk"] as const) {
  describe(`LANGFUSE_MASK=all with the ${pipeline} pipeline`, () => {
    let receiver: Receiver;
    let proxy: RecordingProxy;
    before(async () => {
      receiver = await startReceiver();
      proxy = await startRecordingProxy({ target: receiver.url });
    });
    after(async () => {
      await proxy.close();
      await receiver.close();
    });

    test("masked values never reach the receiver; the masks' labels do", async () => {
      const svc = await startService(
        tracedEnv(proxy, { LANGFUSE_PIPELINE: pipeline, LANGFUSE_MASK: "all", LANGFUSE_MASK_PATTERNS: "ORD-\\d{6}" }),
      );
      let traceId: string;
      try {
        const first = await postJson(`${svc.url}/api/v1/chat`, { message: MESSAGE, user_id: "pii-user" });
        assert.equal(first.status, 200);
        traceId = first.body.trace_id;
        // A second turn carries the first message again as history in the generation input.
        const streamed = await fetch(`${svc.url}/api/v1/chat/stream`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            message: `And my backup mail is ${PII.email}`,
            user_id: "pii-user",
            session_id: first.body.session_id,
          }),
        });
        assert.equal((await readSse(streamed)).at(-1)!.event, "done");
      } finally {
        await svc.close(); // flushes every trace to the proxy
      }
      const sent = proxy.bodies();
      assert.ok(sent.length > 0, "something was exported");
      for (const value of Object.values(PII))
        for (const n of needles(value)) assert.ok(!sent.includes(n), `${n} left the process`);
      for (const label of ["[email]", "[phone]", "[cn_id]", "[bank_card]", "[masked]"])
        assert.ok(sent.includes(label), `${label} missing`);
      if (pipeline === "switchboard") {
        const trace = await waitFor("the masked trace", () => getTrace(receiver, traceId));
        assert.match(JSON.stringify(trace.input), /\[email\]/);
      }
    });
  });
}

describe("LANGFUSE_MASK=none (the default)", () => {
  test("values are traced as they are", async () => {
    const receiver = await startReceiver();
    const proxy = await startRecordingProxy({ target: receiver.url });
    const svc = await startService(tracedEnv(proxy));
    try {
      assert.equal(
        (await postJson(`${svc.url}/api/v1/chat`, { message: `mail ${PII.email}`, user_id: "u" })).status,
        200,
      );
    } finally {
      await svc.close();
      await proxy.close();
      await receiver.close();
    }
    assert.ok(proxy.bodies().includes(PII.email));
  });
});

describe("mask configuration errors", () => {
  test("unknown masker names and bad patterns stop start-up with a clear message", async () => {
    await assert.rejects(
      startService({ LANGFUSE_MASK: "email,ssn" }),
      /LANGFUSE_MASK="email,ssn" is invalid: unknown masker "ssn"/,
    );
    await assert.rejects(
      startService({ LANGFUSE_MASK_PATTERNS: "ok;;(bad" }),
      /LANGFUSE_MASK_PATTERNS=.* pattern 2 is not a valid regular expression/,
    );
  });
});
