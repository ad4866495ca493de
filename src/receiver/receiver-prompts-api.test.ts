// Langfuse's prompts API on the receiver, over real HTTP: versions numbered per name, labels that
// move (production, latest, custom), reads by label or version, the list, label updates, deletes,
// Langfuse's answers and errors, the seeding flow a service uses, faults, persistence, the official
// SDK's API client, and generations linked to the prompt versions they used.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LangfuseAPIClient } from "@langfuse/core";
import { startReceiver, type Receiver } from "./receiver.js";
import { DEV_KEY_PAIR } from "./basic-auth.js";
import {
  DEV_AUTH,
  getJson,
  hexId,
  otlpJsonBody,
  postIngest,
  TEST_TIMEOUT_MS,
} from "../../test/support/receiver-http.js";

const opts = { timeout: TEST_TIMEOUT_MS };

async function call(
  receiver: Receiver,
  method: string,
  path: string,
  body?: unknown,
  auth: string | null = DEV_AUTH,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${receiver.url}${path}`, {
    method,
    headers: { ...(auth === null ? {} : { authorization: auth }), "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

const createPrompt = (receiver: Receiver, body: Record<string, unknown>) =>
  call(receiver, "POST", "/api/public/v2/prompts", body);

test(
  "versions count up per name; production, latest and custom labels move to the version that takes them",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const first = await createPrompt(receiver, {
        name: "classifier",
        type: "text",
        prompt: "Classify: {{message}}",
        config: { temperature: 0 },
        commitMessage: "from the catalog",
      });
      assert.equal(first.status, 201);
      assert.match(first.body.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(
        { ...first.body, id: "", createdAt: "", updatedAt: "" },
        {
          id: "",
          createdAt: "",
          updatedAt: "",
          projectId: "local",
          createdBy: "API",
          prompt: "Classify: {{message}}",
          name: "classifier",
          version: 1,
          type: "text",
          isActive: null,
          config: { temperature: 0 },
          tags: [],
          labels: ["latest"],
          commitMessage: "from the catalog",
        },
      );
      // No label production yet: GET without a label reads production, so it is a 404.
      const none = await getJson(receiver, "/api/public/v2/prompts/classifier");
      assert.deepEqual(none, {
        status: 404,
        body: { message: "Prompt not found: 'classifier' with label 'production'", error: "LangfuseNotFoundError" },
      });

      const second = await createPrompt(receiver, {
        name: "classifier",
        prompt: "Classify carefully: {{message}}",
        labels: ["production", "staging"],
        tags: ["router"],
      });
      assert.equal(second.status, 201);
      assert.equal(second.body.version, 2);
      assert.deepEqual(second.body.labels, ["production", "staging", "latest"]);

      const production = await getJson(receiver, "/api/public/v2/prompts/classifier");
      assert.equal(production.status, 200);
      assert.equal(production.body.version, 2);
      assert.equal(production.body.isActive, true);
      assert.equal(production.body.resolutionGraph, null);
      assert.equal(production.body.prompt, "Classify carefully: {{message}}");
      // Version 1 lost `latest`; tags are the same on every version of a name.
      const v1 = await getJson(receiver, "/api/public/v2/prompts/classifier?version=1");
      assert.deepEqual([v1.body.version, v1.body.labels, v1.body.tags, v1.body.isActive], [1, [], ["router"], false]);

      const third = await createPrompt(receiver, { name: "classifier", prompt: "v3", labels: ["production"] });
      assert.deepEqual(
        [third.body.version, third.body.labels, third.body.tags],
        [3, ["production", "latest"], ["router"]],
      );
      const v2 = await getJson(receiver, "/api/public/v2/prompts/classifier?version=2");
      assert.deepEqual(v2.body.labels, ["staging"], "production and latest moved to version 3; staging stayed");
      assert.equal((await getJson(receiver, "/api/public/v2/prompts/classifier?label=latest")).body.version, 3);
      assert.equal((await getJson(receiver, "/api/public/v2/prompts/classifier?label=staging")).body.version, 2);

      // Roll back: production to version 1 by a label update, as Langfuse's UI and SDK do it.
      const rollback = await call(receiver, "PATCH", "/api/public/v2/prompts/classifier/versions/1", {
        newLabels: ["production"],
      });
      assert.equal(rollback.status, 200);
      assert.deepEqual([rollback.body.version, rollback.body.labels], [1, ["production"]]);
      assert.equal((await getJson(receiver, "/api/public/v2/prompts/classifier")).body.version, 1);
      assert.deepEqual((await getJson(receiver, "/api/public/v2/prompts/classifier?version=3")).body.labels, [
        "latest",
      ]);

      // Another name has its own numbering.
      assert.equal((await createPrompt(receiver, { name: "agent/orders", prompt: "You are..." })).body.version, 1);
      const folder = await getJson(
        receiver,
        `/api/public/v2/prompts/${encodeURIComponent("agent/orders")}?label=latest`,
      );
      assert.equal(folder.body.name, "agent/orders");
    } finally {
      await receiver.close();
    }
  },
);

test("chat prompts keep their messages and placeholders; a name keeps its type", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const chat = await createPrompt(receiver, {
      name: "agent_orders",
      type: "chat",
      prompt: [
        { role: "system", content: "You are the orders desk. {{tone}}", type: "chatmessage" },
        { type: "placeholder", name: "history" },
      ],
      labels: ["production"],
    });
    assert.equal(chat.status, 201);
    // Langfuse's schema keeps role and content of a message (other keys are dropped) and a placeholder's name.
    assert.deepEqual(chat.body.prompt, [
      { role: "system", content: "You are the orders desk. {{tone}}" },
      { type: "placeholder", name: "history" },
    ]);
    assert.deepEqual((await getJson(receiver, "/api/public/v2/prompts/agent_orders")).body.prompt, chat.body.prompt);

    const switched = await createPrompt(receiver, { name: "agent_orders", type: "text", prompt: "plain" });
    assert.deepEqual(switched, {
      status: 400,
      body: {
        message: "Previous versions have different prompt type. Create a new prompt with a different name.",
        error: "InvalidRequestError",
      },
    });
    const clash = await createPrompt(receiver, {
      name: "clash",
      type: "chat",
      prompt: [
        { role: "user", content: "{{history}}" },
        { type: "placeholder", name: "history" },
      ],
    });
    assert.equal(clash.status, 400);
    assert.equal(
      clash.body.message,
      "Cannot create prompt, variables and placeholders must be unique, the following are not: history",
    );
  } finally {
    await receiver.close();
  }
});

test(
  "bodies and queries Langfuse refuses get its 400s, naming the field; unknown versions its 404s",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const issuesOf = async (body: unknown) => {
        const res = await createPrompt(receiver, body as Record<string, unknown>);
        assert.equal(res.status, 400);
        assert.equal(res.body.message, "Invalid request data");
        return JSON.stringify(res.body.error);
      };
      assert.match(await issuesOf({ name: "a|b", prompt: "x" }), /Prompt name cannot contain '\|' character/);
      assert.match(await issuesOf({ name: "new", prompt: "x" }), /Prompt name cannot be 'new'/);
      assert.match(await issuesOf({ name: "<b>x</b>", prompt: "x" }), /Text cannot contain HTML tags/);
      assert.match(await issuesOf({ name: "/lead", prompt: "x" }), /Name cannot start with a slash/);
      assert.match(await issuesOf({ name: "ok", prompt: "x", labels: ["Production"] }), /Label must be lowercase/);
      assert.match(await issuesOf({ name: "ok", prompt: 42 }), /"prompt"/);
      assert.match(await issuesOf({ name: "ok", type: "chat", prompt: [{ role: "user" }] }), /"content"/);
      assert.match(await issuesOf({ prompt: "x" }), /"name"/);
      assert.equal((await getJson(receiver, "/api/public/v2/prompts")).body.data.length, 0, "nothing was stored");

      const malformed = await fetch(`${receiver.url}/api/public/v2/prompts`, {
        method: "POST",
        headers: { authorization: DEV_AUTH, "content-type": "application/json" },
        body: "{not json",
      });
      assert.deepEqual(
        [malformed.status, await malformed.json()],
        [400, { message: "Invalid JSON", error: "InvalidRequestError" }],
      );

      await createPrompt(receiver, { name: "p", prompt: "x", labels: ["production"] });
      assert.deepEqual(await getJson(receiver, "/api/public/v2/prompts/p?version=1&label=production"), {
        status: 400,
        body: { message: "Cannot specify both version and label", error: "InvalidRequestError" },
      });
      assert.deepEqual(await getJson(receiver, "/api/public/v2/prompts/p?version=9"), {
        status: 404,
        body: { message: "Prompt not found: 'p' with version 9", error: "LangfuseNotFoundError" },
      });
      assert.deepEqual(await getJson(receiver, "/api/public/v2/prompts/p?label=canary"), {
        status: 404,
        body: { message: "Prompt not found: 'p' with label 'canary'", error: "LangfuseNotFoundError" },
      });
      const notANumber = await getJson(receiver, "/api/public/v2/prompts/p?version=two");
      assert.equal(notANumber.status, 400);
      assert.equal(notANumber.body.error[0].path[0], "version");
      const latestLabel = await call(receiver, "PATCH", "/api/public/v2/prompts/p/versions/1", {
        newLabels: ["latest"],
      });
      assert.equal(latestLabel.status, 400);
      assert.match(
        JSON.stringify(latestLabel.body.error),
        /Label 'latest' is always assigned to the latest prompt version/,
      );
      assert.deepEqual(await call(receiver, "PATCH", "/api/public/v2/prompts/p/versions/7", { newLabels: ["x"] }), {
        status: 404,
        body: { message: "Prompt 'p' version 7 not found in project", error: "LangfuseNotFoundError" },
      });
      assert.equal((await call(receiver, "PUT", "/api/public/v2/prompts")).status, 405);
    } finally {
      await receiver.close();
    }
  },
);

test("the list: one row per name with its versions and labels, filtered, paged by name", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    await createPrompt(receiver, { name: "b-agent", prompt: "1", labels: ["production"], config: { model: "m1" } });
    await createPrompt(receiver, { name: "b-agent", prompt: "2", labels: ["staging"], config: { model: "m2" } });
    await createPrompt(receiver, { name: "a-classifier", type: "chat", prompt: [{ role: "system", content: "c" }] });
    await createPrompt(receiver, { name: "c-other", prompt: "x", tags: ["misc"] });

    const all = await getJson(receiver, "/api/public/v2/prompts");
    assert.equal(all.status, 200);
    const agent = all.body.data.find((p: any) => p.name === "b-agent");
    assert.deepEqual(
      { ...agent, lastUpdatedAt: typeof agent.lastUpdatedAt },
      {
        name: "b-agent",
        versions: [1, 2],
        labels: ["latest", "production", "staging"],
        tags: [],
        lastUpdatedAt: "string",
        type: "text",
        lastConfig: { model: "m2" },
      },
    );
    assert.deepEqual(
      all.body.data.map((p: any) => p.name),
      ["a-classifier", "b-agent", "c-other"],
    );
    assert.deepEqual(all.body.meta, { page: 1, limit: 10, totalPages: 1, totalItems: 3 });
    assert.deepEqual(all.body.pagination, all.body.meta);

    // Filters pick versions first: production is on version 1 only, with its own config.
    const production = await getJson(receiver, "/api/public/v2/prompts?label=production");
    assert.deepEqual(
      production.body.data.map((p: any) => [p.name, p.versions, p.labels, p.lastConfig]),
      [["b-agent", [1], ["production"], { model: "m1" }]],
    );
    assert.deepEqual(
      (await getJson(receiver, "/api/public/v2/prompts?tag=misc")).body.data.map((p: any) => p.name),
      ["c-other"],
    );
    const page2 = await getJson(receiver, "/api/public/v2/prompts?limit=2&page=2");
    assert.deepEqual(
      page2.body.data.map((p: any) => p.name),
      ["c-other"],
    );
    assert.deepEqual(page2.body.meta, { page: 2, limit: 2, totalPages: 2, totalItems: 3 });
    assert.equal((await getJson(receiver, "/api/public/v2/prompts?limit=101")).status, 400);
  } finally {
    await receiver.close();
  }
});

test("deleting versions: one, by label, or all; latest goes to the highest remaining version", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    for (const text of ["1", "2", "3"]) await createPrompt(receiver, { name: "p", prompt: text });
    await call(receiver, "PATCH", "/api/public/v2/prompts/p/versions/1", { newLabels: ["production"] });
    const del = await call(receiver, "DELETE", "/api/public/v2/prompts/p?version=3");
    assert.deepEqual(del, { status: 204, body: null });
    assert.deepEqual((await getJson(receiver, "/api/public/v2/prompts/p?version=2")).body.labels, ["latest"]);
    assert.equal((await call(receiver, "DELETE", "/api/public/v2/prompts/p?label=production")).status, 204);
    assert.equal((await getJson(receiver, "/api/public/v2/prompts/p?version=1")).status, 404);
    // The next version follows the highest one left.
    assert.equal((await createPrompt(receiver, { name: "p", prompt: "again" })).body.version, 3);
    assert.equal((await call(receiver, "DELETE", "/api/public/v2/prompts/p")).status, 204);
    assert.deepEqual(await call(receiver, "DELETE", "/api/public/v2/prompts/p"), {
      status: 404,
      body: { message: "Prompt not found", error: "LangfuseNotFoundError" },
    });
  } finally {
    await receiver.close();
  }
});

test("the key pair guards every prompt route, with the 401 and 403 bodies Langfuse's handlers give", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    assert.deepEqual(await call(receiver, "GET", "/api/public/v2/prompts/p", undefined, null), {
      status: 401,
      body: { message: "No authorization header", error: "UnauthorizedError" },
    });
    const wrong = `Basic ${Buffer.from("pk-lf-local:wrong").toString("base64")}`;
    assert.deepEqual(await call(receiver, "POST", "/api/public/v2/prompts", { name: "p", prompt: "x" }, wrong), {
      status: 401,
      body: {
        message: "Invalid credentials. Confirm that you've configured the correct host.",
        error: "UnauthorizedError",
      },
    });
    // A public key alone (Bearer) may post scores, never read or write prompts.
    assert.deepEqual(
      await call(receiver, "GET", "/api/public/v2/prompts", undefined, `Bearer ${DEV_KEY_PAIR.publicKey}`),
      {
        status: 403,
        body: {
          message: "Access denied - need to use basic auth with secret key to GET prompts",
          error: "ForbiddenError",
        },
      },
    );
    // The label route is built on createAuthedProjectAPIRoute: its 401 is the message alone.
    assert.deepEqual(await call(receiver, "PATCH", "/api/public/v2/prompts/p/versions/1", { newLabels: ["x"] }, null), {
      status: 401,
      body: { message: "No authorization header" },
    });
    assert.equal(receiver.stats().prompts.versions, 0);
  } finally {
    await receiver.close();
  }
});

test(
  "seeding as a service does it: read by label, create only on a 404; a second start creates nothing",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0 });
    const seed = async (name: string, prompt: string) => {
      const found = await getJson(receiver, `/api/public/v2/prompts/${encodeURIComponent(name)}?label=production`);
      if (found.status === 200) return found.body.version as number;
      assert.equal(found.status, 404);
      const created = await createPrompt(receiver, { name, prompt, labels: ["production"], commitMessage: "seeded" });
      assert.equal(created.status, 201);
      return created.body.version as number;
    };
    try {
      assert.equal(await seed("classifier", "catalog text"), 1);
      assert.equal(await seed("classifier", "catalog text"), 1, "already there: nothing created");
      assert.deepEqual(receiver.stats().prompts, { names: 1, versions: 1 });
      // An edit through the API is a new version the next read gets.
      await createPrompt(receiver, { name: "classifier", prompt: "edited", labels: ["production"] });
      assert.equal(await seed("classifier", "catalog text"), 2);
    } finally {
      await receiver.close();
    }
  },
);

test("faults reach the prompts API when asked: down or slow while spans still arrive", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    await createPrompt(receiver, { name: "p", prompt: "x", labels: ["production"] });
    receiver.faults.set({ endpoints: ["prompts"], failRatio: 1, failStatus: 503, retryAfterSeconds: 2 });
    const down = await fetch(`${receiver.url}/api/public/v2/prompts/p`, { headers: { authorization: DEV_AUTH } });
    assert.equal(down.status, 503);
    assert.equal(down.headers.get("retry-after"), "2");
    const traceId = hexId(16);
    const spans = otlpJsonBody([{ traceId, spanId: hexId(8), name: "chat" }]);
    assert.equal((await postIngest(receiver, spans)).status, 200, "ingestion is not in the fault's endpoints");

    receiver.faults.set({ failRatio: 0, delayMs: 300 });
    const started = Date.now();
    assert.equal((await getJson(receiver, "/api/public/v2/prompts/p")).status, 200);
    assert.ok(Date.now() - started >= 290, "the answer waited for the delay");
    receiver.faults.reset();
    assert.deepEqual(receiver.faults.get().endpoints, ["ingestion"]);
  } finally {
    await receiver.close();
  }
});

test("prompts are kept in the receiver's file (0600) across restarts", opts, async () => {
  const dir = mkdtempSync(join(tmpdir(), "receiver-prompts-"));
  const dbPath = join(dir, "receiver.db");
  try {
    const first = await startReceiver({ port: 0, dbPath });
    try {
      await createPrompt(first, { name: "kept", prompt: "still here", labels: ["production"] });
    } finally {
      await first.close();
    }
    assert.equal(statSync(dbPath).mode & 0o777, 0o600);
    const second = await startReceiver({ port: 0, dbPath });
    try {
      const kept = await getJson(second, "/api/public/v2/prompts/kept");
      assert.deepEqual([kept.status, kept.body.prompt, kept.body.version], [200, "still here", 1]);
      assert.equal((await createPrompt(second, { name: "kept", prompt: "next" })).body.version, 2);
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the official SDK's API client creates, reads, lists and relabels prompts on the receiver", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const api = new LangfuseAPIClient({
      environment: receiver.url,
      username: DEV_KEY_PAIR.publicKey,
      password: DEV_KEY_PAIR.secretKey,
    });
    const created = await api.prompts.create({
      name: "sdk-chat",
      type: "chat",
      prompt: [{ role: "system", content: "Hello {{name}}" }],
      labels: ["production"],
      config: { temperature: 0.2 },
    } as any);
    assert.equal(created.version, 1);
    const read = await api.prompts.get("sdk-chat");
    assert.deepEqual(
      [read.name, read.version, read.type, read.labels],
      ["sdk-chat", 1, "chat", ["production", "latest"]],
    );
    await api.prompts.create({ name: "sdk-chat", type: "chat", prompt: [{ role: "system", content: "v2" }] } as any);
    const byVersion = await api.prompts.get("sdk-chat", { version: 2 });
    assert.deepEqual(byVersion.labels, ["latest"]);
    const list = await api.prompts.list();
    assert.deepEqual(
      list.data.map((p) => [p.name, p.versions]),
      [["sdk-chat", [1, 2]]],
    );
    const relabelled = await api.promptVersion.update("sdk-chat", 2, { newLabels: ["production"] });
    assert.deepEqual(relabelled.labels, ["production", "latest"]);
    assert.equal((await api.prompts.get("sdk-chat")).version, 2);
  } finally {
    await receiver.close();
  }
});

test(
  "a generation links the prompt version it used, by id, as Langfuse links it when it stores the row",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const prompt = await createPrompt(receiver, { name: "classifier", prompt: "Classify", labels: ["production"] });
      const traceId = hexId(16);
      const generation = (name: string, version: number) => ({
        traceId,
        spanId: hexId(8),
        name: `gen-${name}-${version}`,
        attributes: {
          "langfuse.observation.type": "generation",
          "langfuse.observation.prompt.name": name,
          "langfuse.observation.prompt.version": version,
        },
      });
      await postIngest(
        receiver,
        otlpJsonBody([generation("classifier", 1), generation("classifier", 5), generation("unknown", 1)]),
      );
      const rows = await getJson(receiver, `/api/public/v2/observations?traceId=${traceId}&fields=core,basic,prompt`);
      const byName = Object.fromEntries(
        rows.body.data.map((observation: any) => [
          observation.name,
          [observation.promptId, observation.promptName, observation.promptVersion],
        ]),
      );
      assert.deepEqual(byName, {
        "gen-classifier-1": [prompt.body.id, "classifier", 1],
        // Name and version are kept as sent; only a stored version has an id to link.
        "gen-classifier-5": ["", "classifier", 5],
        "gen-unknown-1": ["", "unknown", 1],
      });
      // Linked when stored: a version created afterwards does not link rows already there.
      await createPrompt(receiver, { name: "unknown", prompt: "late" });
      const again = await getJson(
        receiver,
        `/api/public/v2/observations?traceId=${traceId}&name=gen-unknown-1&fields=prompt`,
      );
      assert.equal(again.body.data[0].promptId, "");
      const legacy = await getJson(receiver, `/api/public/traces/${traceId}`);
      const linked = legacy.body.observations.find((observation: any) => observation.name === "gen-classifier-1");
      assert.deepEqual([linked.promptId, linked.promptName, linked.promptVersion], [prompt.body.id, "classifier", 1]);
    } finally {
      await receiver.close();
    }
  },
);
