// The trace journal knows where its data goes: spans held for one Langfuse destination (base URL
// and public key) are never delivered to another after a restart with other settings; that start
// says so once; a later start with the original destination delivers them, each once.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postJson, startService, type RunningService } from "./support/start-service.js";
import { startTestReceiver, type TestReceiver } from "./support/otlp-span-receiver.js";

const SPANS_PER_TURN = 5;
let dir: string;
let statusA = 503;
let receiverA: TestReceiver;
let receiverB: TestReceiver;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "sb-journal-destination-"));
  receiverA = await startTestReceiver(() => statusA);
  receiverB = await startTestReceiver();
});
after(async () => {
  await receiverA?.close();
  await receiverB?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function start(baseUrl: string, publicKey: string): Promise<RunningService> {
  return startService({
    LANGFUSE_ENABLED: "true",
    LANGFUSE_PUBLIC_KEY: publicKey,
    LANGFUSE_SECRET_KEY: `sk-${publicKey}-secret`,
    LANGFUSE_BASE_URL: baseUrl,
    LANGFUSE_JOURNAL: "true",
    LANGFUSE_JOURNAL_DIR: dir,
    LANGFUSE_FLUSH_INTERVAL: "0.05",
    LANGFUSE_MAX_RETRIES: "0",
    LANGFUSE_SHUTDOWN_TIMEOUT: "0.3",
    LANGFUSE_REPLAY_RATE: "100000",
  });
}

async function turns(svc: RunningService, n: number, user: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await postJson(`${svc.url}/api/v1/chat`, { message: `Where is my order ${i}?`, user_id: user });
    assert.equal(res.status, 200);
    ids.push(res.body.trace_id);
  }
  return ids;
}

const spansOf = (receiver: TestReceiver, traces: string[]) =>
  receiver.spans.filter((s) => traces.includes(s.traceId)).length;
const heldWarnings = (svc: RunningService) =>
  svc.logs.filter((l) => String(l["msg"]).includes("holds batches made for another Langfuse destination"));

test("spans held for one Langfuse destination go to it only, also across restarts with other settings", async () => {
  // 1. Langfuse A refuses (503): the turns' spans wait in the journal, also through the shutdown.
  const first = await start(receiverA.baseUrl, "pk-lf-project-a");
  let heldForA: string[];
  try {
    heldForA = await turns(first, 3, "alice");
    await until("an attempt to deliver to A", () => receiverA.requests.length > 0);
  } finally {
    await first.close();
  }
  assert.equal(spansOf(receiverA, heldForA), 0);

  // 2. Restarted for Langfuse B: B gets this start's traces and nothing held for A; said once.
  const second = await start(receiverB.baseUrl, "pk-lf-project-b");
  try {
    const forB = await turns(second, 2, "bob");
    await until("B's own spans", () => spansOf(receiverB, forB) === forB.length * SPANS_PER_TURN);
    // Time for a replay of the backlog to happen, if it were going to.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(spansOf(receiverB, heldForA), 0, "spans held for A were delivered to B");
    assert.equal(receiverB.spans.length, forB.length * SPANS_PER_TURN, "B got spans that were not its own");
    const warnings = heldWarnings(second);
    assert.equal(warnings.length, 1, "the held batches are not reported exactly once");
    const held = warnings[0]!["held"] as { url: string; publicKey: string; spans: number }[];
    assert.deepEqual(
      held.map((h) => [h.url, h.publicKey, h.spans]),
      [[`${receiverA.baseUrl}/api/public/otel/v1/traces`, "pk-lf-project-a", heldForA.length * SPANS_PER_TURN]],
    );
    assert.ok(!JSON.stringify(warnings).includes("secret"), "the warning names a secret key");
  } finally {
    await second.close();
  }

  // 3. A answers now, but this start has another public key for it: still not A's project.
  statusA = 200;
  const third = await start(receiverA.baseUrl, "pk-lf-project-c");
  try {
    const forC = await turns(third, 1, "carol");
    await until("this start's own spans", () => spansOf(receiverA, forC) === SPANS_PER_TURN);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(spansOf(receiverA, heldForA), 0, "spans held for project A were delivered under another key");
  } finally {
    await third.close();
  }

  // 4. Started for A again: what was held for it arrives, each span once.
  const fourth = await start(receiverA.baseUrl, "pk-lf-project-a");
  try {
    await until("the held spans reaching A", () => spansOf(receiverA, heldForA) === heldForA.length * SPANS_PER_TURN);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(spansOf(receiverA, heldForA), heldForA.length * SPANS_PER_TURN, "a held span was delivered twice");
    assert.equal(heldWarnings(fourth).length, 0, "nothing is held for another destination now");
  } finally {
    await fourth.close();
  }
});
