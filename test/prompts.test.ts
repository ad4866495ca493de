// Prompts from Langfuse prompt management, through the real service and the receiver's prompts
// API (Langfuse's): every generation is linked to the prompt version it used, a version edited in
// Langfuse reaches the next turns after LANGFUSE_PROMPT_CACHE_TTL, and with the prompts API down
// or without the prompts, turns use the catalog's prompts, linked to nothing, and never fail.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { loadCatalog } from "../src/agents/catalog.js";
import { CLASSIFIER_TEMPLATE } from "../src/llm/classifier-prompt.js";
import { LangfusePromptsApi } from "../src/prompts/langfuse-prompts-api.js";
import { catalogPrompts, promptNames } from "../src/prompts/prompt-names.js";
import { pushPrompts } from "../src/prompts/push-prompts.js";
import { DEV_KEY_PAIR } from "../src/receiver/basic-auth.js";
import { startService, type RunningService } from "./support/start-service.js";
import {
  metricsText,
  metricValue,
  postChat,
  startReceiver,
  tracedEnv,
  waitFor,
  waitForTrace,
  type Receiver,
} from "./support/tracing-helpers.js";

const catalog = loadCatalog("agents/shop-support.json");
const names = promptNames("switchboard");
const ORDER = "Where is my order #1234? It has not arrived.";
const orders = catalog.agents.find((a) => a.intent === "order_status")!;

interface Generation {
  name: string;
  type: string;
  promptName: string | null;
  promptVersion: number | null;
  promptId: string | null;
  input: Array<{ role?: string; content?: string }>;
}

/** A turn's generations as the receiver stored them (classifier and the answer). */
async function generationsOf(receiver: Receiver, traceId: string): Promise<Map<string, Generation>> {
  const trace = await waitForTrace(receiver, traceId, 5);
  const generations = (trace.observations as unknown as Generation[]).filter(
    (generation) => generation.type === "GENERATION",
  );
  return new Map(generations.map((g) => [g.name, g]));
}

function systemText(generation: Generation | undefined): string {
  const system = generation?.input?.find((m) => m.role === "system");
  return String(system?.content ?? "");
}

describe("prompts from Langfuse", () => {
  let receiver: Receiver;
  let svc: RunningService;
  let api: LangfusePromptsApi;

  before(async () => {
    receiver = await startReceiver({ port: 0 });
    api = new LangfusePromptsApi({ baseUrl: receiver.url, ...DEV_KEY_PAIR, timeoutMs: 5_000 });
    const pushed = await pushPrompts(api, catalogPrompts(catalog, names), "production", false);
    assert.equal(pushed.created.length, 2 + catalog.agents.length, JSON.stringify(pushed));
    svc = await startService(tracedEnv(receiver, { LANGFUSE_PROMPTS: "true", LANGFUSE_PROMPT_CACHE_TTL: "1" }));
  });
  after(async () => {
    await svc?.close();
    await receiver?.close();
  });

  test("every generation is linked to the version it used; an edited version reaches the next turns after the TTL", async () => {
    const first = await postChat(svc, { message: ORDER, user_id: "prompt-user" });
    assert.equal(first.status, 200);
    const generations = await generationsOf(receiver, first.body.trace_id);
    const classifier = generations.get("classifier");
    const reply = generations.get("agent_reply");
    assert.equal(classifier?.promptName, names.classifier);
    assert.equal(classifier?.promptVersion, 1);
    assert.ok(classifier?.promptId, "the receiver linked the stored prompt version, as Langfuse does");
    assert.equal(reply?.promptName, names.agent(orders.key));
    assert.equal(reply?.promptVersion, 1);
    assert.match(systemText(classifier), /^- order_status: /m, "the template compiled with the catalog's intents");

    // Edited in Langfuse: new versions under `production`.
    const classifierV2 = await api.create(
      names.classifier,
      `EDITED ROUTER.\n${CLASSIFIER_TEMPLATE}`,
      ["production"],
      "test edit",
    );
    const agentV2 = await api.create(
      names.agent(orders.key),
      `${orders.systemPrompt}\nAlways thank the customer for waiting.`,
      ["production"],
      "test edit",
    );
    const edited = await waitFor(
      "a turn with both new versions",
      async () => {
        const res = await postChat(svc, { message: ORDER, user_id: "prompt-user" });
        assert.equal(res.status, 200);
        const g = await generationsOf(receiver, res.body.trace_id);
        return g.get("classifier")?.promptVersion === classifierV2 && g.get("agent_reply")?.promptVersion === agentV2
          ? g
          : undefined;
      },
      10_000,
      200,
    );
    assert.ok(systemText(edited.get("classifier")).startsWith("EDITED ROUTER.\n"));
    assert.doesNotMatch(systemText(edited.get("classifier")), /\{\{/, "variables compiled");
    assert.match(systemText(edited.get("agent_reply")), /Always thank the customer for waiting\.$/);
    const metrics = await metricsText(svc);
    assert.ok(metricValue(metrics, "switchboard_prompt_cache_hits_total") >= 4);
  });

  test("the prompts API goes down: turns keep the versions read before, the failures are counted", async () => {
    receiver.faults.set({ endpoints: ["prompts"], failRatio: 1, failStatus: 503 });
    try {
      await waitFor("a failed read of the prompts", async () => {
        const failures = metricValue(await metricsText(svc), "switchboard_prompt_fetch_failures_total", {
          reason: "http_5xx",
        });
        return failures > 0 ? failures : undefined;
      });
      const res = await postChat(svc, { message: ORDER, user_id: "prompt-user" });
      assert.equal(res.status, 200);
      const generations = await generationsOf(receiver, res.body.trace_id);
      assert.ok((generations.get("agent_reply")?.promptVersion ?? 0) >= 2, "still the version read before");
    } finally {
      receiver.faults.reset();
    }
  });
});

test("with the embedded local receiver, the catalog's prompts are created there at start and linked", async () => {
  const svc = await startService({
    LANGFUSE_ENABLED: "true",
    LANGFUSE_LOCAL_RECEIVER_PORT: "0",
    LANGFUSE_LOCAL_RECEIVER_DB: ":memory:",
    // The fixed pair, so the test reads the receiver's API with the helpers' credentials.
    LANGFUSE_LOCAL_RECEIVER_DEV_KEYS: "true",
    LANGFUSE_FLUSH_INTERVAL: "0.05",
    LANGFUSE_PROMPTS: "true",
  });
  try {
    const local = svc.traces.receiver!;
    const res = await postChat(svc, { message: ORDER, user_id: "local-user" });
    assert.equal(res.status, 200);
    const generations = await generationsOf(local, res.body.trace_id);
    assert.equal(generations.get("classifier")?.promptName, names.classifier);
    assert.equal(generations.get("agent_reply")?.promptName, names.agent(orders.key));
    assert.equal(generations.get("agent_reply")?.promptVersion, 1);
  } finally {
    await svc.close();
  }
});

describe("prompts Langfuse cannot give", () => {
  let receiver: Receiver;
  after(() => receiver?.close());

  for (const [what, env, reason] of [
    ["no such prompts in the project (404)", { LANGFUSE_PROMPT_PREFIX: "not-pushed" }, "not_found"],
    ["the prompts API failing from the start (503)", {}, "unavailable"],
  ] as const) {
    test(`${what}: turns answer with the catalog's prompts, linked to nothing, counted`, async () => {
      receiver ??= await startReceiver({ port: 0 });
      if (reason === "unavailable") receiver.faults.set({ endpoints: ["prompts"], failRatio: 1, failStatus: 503 });
      const svc = await startService(tracedEnv(receiver, { LANGFUSE_PROMPTS: "true", ...env }));
      try {
        const res = await postChat(svc, { message: ORDER, user_id: "fallback-user" });
        assert.equal(res.status, 200);
        const generations = await generationsOf(receiver, res.body.trace_id);
        for (const name of ["classifier", "agent_reply"]) {
          assert.equal(generations.get(name)?.promptName, null, `${name} linked to no prompt`);
          assert.equal(generations.get(name)?.promptVersion, null);
        }
        assert.equal(systemText(generations.get("agent_reply")), orders.systemPrompt, "the catalog's prompt");
        const metrics = await metricsText(svc);
        assert.ok(metricValue(metrics, "switchboard_prompt_fallbacks_total", { reason }) >= 2, reason);
      } finally {
        await svc.close();
        receiver.faults.reset();
      }
    });
  }
});

describe("npm run prompts:push", () => {
  const run = promisify(execFile);
  let receiver: Receiver;
  before(async () => (receiver = await startReceiver({ port: 0 })));
  after(() => receiver?.close());

  const push = (...args: string[]) =>
    run(process.execPath, ["dist/src/cli/prompts-push.js", ...args], {
      env: {
        PATH: process.env["PATH"],
        LANGFUSE_BASE_URL: receiver.url,
        LANGFUSE_PUBLIC_KEY: DEV_KEY_PAIR.publicKey,
        LANGFUSE_SECRET_KEY: DEV_KEY_PAIR.secretKey,
        LANGFUSE_PROMPT_PREFIX: "pushed",
      },
    });

  test("creates the catalog's prompts once; keeps an edit made in Langfuse unless --update", async () => {
    const pushedNames = promptNames("pushed");
    const first = await push();
    assert.equal(first.stdout.match(/^created /gm)?.length, 2 + catalog.agents.length, first.stdout);
    const again = await push();
    assert.equal(again.stdout.match(/^created /gm), null, again.stdout);
    const api = new LangfusePromptsApi({ baseUrl: receiver.url, ...DEV_KEY_PAIR, timeoutMs: 5_000 });
    await api.create(pushedNames.clarify, "Edited in Langfuse.", ["production"], "edit");
    await push();
    const kept = await api.get(pushedNames.clarify, "production");
    assert.equal(kept.kind === "found" && kept.prompt.prompt, "Edited in Langfuse.");
    const updated = await push("--update");
    assert.match(updated.stdout, new RegExp(`^created ${pushedNames.clarify} version 3`, "m"));
    const back = await api.get(pushedNames.clarify, "production");
    assert.equal(back.kind === "found" && back.prompt.prompt, catalog.clarifyPrompt);
  });

  test("without Langfuse keys it says what it needs and exits 2", async () => {
    await assert.rejects(
      run(process.execPath, ["dist/src/cli/prompts-push.js"], { env: { PATH: process.env["PATH"] } }),
      (err: { code: number; stderr: string }) => err.code === 2 && /LANGFUSE_PUBLIC_KEY/.test(err.stderr),
    );
  });
});
