// The trace viewer in a real browser: Chromium (found by scripts/test-programs.mjs) driven by playwright-core. Chats go
// through the service's APIs (answered by an OpenAI-compatible endpoint as gpt-4o-mini, so
// Langfuse's price table prices them) to its embedded receiver; the viewer must need its login
// link, list the chats, filter them, show each trace's tree and waterfall with the root selected,
// its agent graph as Langfuse draws it and its cost, a session's turns and total cost, each
// row's own user and session, duplicate rows, clarifications and disconnects, scores on traces,
// observations, turns and sessions, the prompt version a generation used and the stored prompts,
// fit a phone, pick up new traces by itself, and say where to look (and how to go back) when a
// trace never arrives.
// VIEWER_SCREENSHOTS_DIR=docs/viewer writes the documentation screenshots.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { postJson, startService, type RunningService } from "./support/start-service.js";
import { basicAuthHeader } from "../src/receiver/basic-auth.js";
import { loadCatalog } from "../src/agents/catalog.js";
import { otlpJsonBody } from "./support/receiver-http.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { requireProgram } from "./support/local-binary.js";

// Flags for a closed network and a root sandbox (see .library machines/node.md); playwright
// itself adds --headless and a fresh, empty profile directory.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SHOTS = process.env["VIEWER_SCREENSHOTS_DIR"];

interface Turn {
  trace_id: string;
  session_id: string;
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
/** A day and a bit ago: the synthetic traces sort last and show another date. */
const PAST_MS = Date.now() - 26 * 3_600_000;

interface SyntheticSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, string>;
}

describe("trace viewer in chromium", { timeout: 120_000 }, () => {
  let svc: RunningService;
  let model: FakeOpenAIServer;
  let auth: string;
  let executablePath: string;
  let browser: Browser;
  let page: Page;
  let ui: string;
  let viewerApi: string;
  let receiverUrl: string;
  const turns: Record<string, Turn> = {};
  const synthetic = { disconnected: hex(16), duplicated: hex(16), agentic: hex(16) };
  let gReplyId = "";

  const chat = async (key: string, message: string, userId: string, sessionId?: string) => {
    const res = await postJson(`${svc.url}/api/v1/chat`, {
      message,
      user_id: userId,
      ...(sessionId ? { session_id: sessionId } : {}),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    turns[key] = res.body as Turn;
    return res.body as Turn;
  };

  const openaiChat = async (key: string, message: string, user: string) => {
    const res = await postJson(`${svc.url}/v1/chat/completions`, {
      model: "switchboard-router",
      user,
      messages: [{ role: "user", content: message }],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    turns[key] = { trace_id: res.body.switchboard.trace_id, session_id: res.body.switchboard.session_id };
  };

  /** Spans straight to the receiver's ingestion endpoint, for turns a test cannot make happen on cue. */
  const ingest = async (spans: SyntheticSpan[]) => {
    const body = otlpJsonBody(spans, { name: "langfuse-sdk", version: "5" });
    const res = await postJson(`${receiverUrl}/api/public/otel/v1/traces`, body, {
      authorization: auth,
      "x-langfuse-ingestion-version": "4",
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };

  /** Langfuse's public API on the receiver (prompts, scores), as the service and its users call it. */
  const publicApi = async (path: string, body: unknown) => {
    const res = await postJson(`${receiverUrl}${path}`, body, { authorization: auth });
    assert.ok(res.status === 200 || res.status === 201, `${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  /** Waits until the receiver has `count` traces, each complete (root arrived with its output). */
  const delivered = async (count: number) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const list = (await fetch(`${viewerApi}/traces?limit=100`, { headers: { authorization: auth } }).then((r) =>
        r.json(),
      )) as {
        data: Array<{ outputPreview: string | null; observationCount: number }>;
      };
      if (list.data.length >= count && list.data.every((t) => t.outputPreview !== null && t.observationCount >= 2))
        return;
      if (Date.now() > deadline) throw new Error(`only ${list.data.length} of ${count} traces arrived`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const shot = async (name: string) => {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  };

  /** Waits until the list shows exactly `n` rows (the list loads and refreshes asynchronously). */
  const waitRows = (n: number) =>
    page.waitForFunction(`document.querySelectorAll("table.traces tbody tr").length === ${n}`);

  /** One element only: a screenshot that stays small and readable. */
  const shotOf = async (selector: string, name: string) => {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.locator(selector).screenshot({ path: join(SHOTS, `${name}.png`) });
  };

  const rowIds = () =>
    page.locator("table.traces tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-trace-id")));
  const row = (traceId: string) => page.locator(`tr[data-trace-id="${traceId}"]`);

  /** A fresh browser page (its own cookies) logged in with the receiver's login link. */
  const loggedInPage = async (viewport = { width: 1360, height: 860 }) => {
    const fresh = await browser.newPage({ viewport });
    fresh.setDefaultTimeout(10_000);
    await fresh.goto(svc.traces.receiver!.loginUrl());
    return fresh;
  };

  // 7 chats through the service, and 3 synthetic turns of a day ago.
  const ALL = 10;
  const RECENT = 7;

  before(async () => {
    // No browser: the suite fails saying what to install (a skipped suite would fail the run too, saying less).
    executablePath = requireProgram("chromium");
    // Answers like the simulated model, as gpt-4o-mini with cached prompt tokens: priced.
    model = await startFakeOpenAIServer({
      catalog: loadCatalog("agents/shop-support.json"),
      usageDetails: { cachedTokens: 64 },
    });
    svc = await startService({
      LANGFUSE_ENABLED: "true",
      LANGFUSE_LOCAL_RECEIVER_PORT: "0",
      LANGFUSE_LOCAL_RECEIVER_DB: ":memory:",
      LANGFUSE_FLUSH_INTERVAL: "0.05",
      // Small enough that the classifier's prompt is cut: the viewer must say so.
      LANGFUSE_MAX_FIELD_CHARS: "900",
      LLM_PROVIDER: "openai",
      LLM_BASE_URL: model.baseUrl,
      LLM_API_KEY: "sk-test-viewer",
      LLM_MODEL: "gpt-4o-mini",
    });
    receiverUrl = svc.traces.receiver!.url;
    auth = basicAuthHeader(svc.traces.receiver!.keys);
    ui = `${receiverUrl}/ui/`;
    viewerApi = `${receiverUrl}/_receiver/viewer`;
    const first = await chat("order", "Where is my order 1234? It has not arrived.", "alice");
    await chat(
      "followup",
      "It was supposed to come on Monday, can you check the delivery address?",
      "alice",
      first.session_id,
    );
    await chat("billing", "I was charged twice for my last purchase, I need a refund", "bob");
    await chat("clarify", "I have a question", "carol");
    await chat("tech", "The app crashes when I log in", "carol", turns["clarify"]!.session_id);
    // OpenAI clients get sessions "openai:<user>": long, alike at the start.
    await openaiChat("oaiAlice", "Where is my order 77?", "support-team-member-alice");
    await openaiChat("oaiBruno", "Where is my order 78?", "support-team-member-bruno");

    // Prompts as a service seeds them from its catalog, then an edit that moved production.
    await publicApi("/api/public/v2/prompts", {
      name: "classifier",
      type: "chat",
      prompt: [
        { role: "system", content: "Route the customer's message to one desk: orders, billing, tech or concierge." },
      ],
      labels: ["production"],
      commitMessage: "seeded from agents/shop-support.json",
    });
    await publicApi("/api/public/v2/prompts", {
      name: "classifier",
      type: "chat",
      prompt: [
        {
          role: "system",
          content:
            "Route the customer's message to one desk: orders, billing, tech or concierge. Ask back when unsure.",
        },
      ],
      labels: ["production"],
      config: { temperature: 0 },
      commitMessage: "ask back when unsure",
    });
    await publicApi("/api/public/v2/prompts", {
      name: "agent_orders",
      type: "chat",
      prompt: [
        { role: "system", content: "You are the orders desk of Northwind Shop. Be brief, name the parcel's status." },
        { type: "placeholder", name: "history" },
      ],
      labels: ["production"],
      tags: ["agents"],
      commitMessage: "seeded from agents/shop-support.json",
    });

    // A turn whose client went away: the root is a WARNING, an aborted model call inside is an ERROR.
    const d = synthetic.disconnected;
    const dRoot = hex(8);
    const ctx = {
      "user.id": "dora",
      "session.id": "dora-session",
      "langfuse.trace.name": "chat",
      "langfuse.trace.tags": '["endpoint:stream"]',
    };
    await ingest([
      {
        traceId: d,
        spanId: hex(8),
        parentSpanId: dRoot,
        name: "agent_reply",
        startMs: PAST_MS + 10,
        endMs: PAST_MS + 80,
        attributes: {
          ...ctx,
          "langfuse.observation.type": "generation",
          "langfuse.observation.level": "ERROR",
          "langfuse.observation.status_message": "aborted",
        },
      },
      {
        traceId: d,
        spanId: dRoot,
        name: "chat",
        startMs: PAST_MS,
        endMs: PAST_MS + 90,
        attributes: {
          ...ctx,
          "langfuse.observation.input": '"tell me a long story"',
          "langfuse.observation.output": '"Once"',
          "langfuse.observation.level": "WARNING",
          "langfuse.observation.status_message": "client disconnected",
          "langfuse.trace.metadata.disconnected": "true",
        },
      },
    ]);
    // A turn one of whose spans was sent twice (a retry after a lost answer), and a span that
    // carries no user or session of its own.
    const u = synthetic.duplicated;
    const uRoot = hex(8);
    const uCtx = { "user.id": "dupe", "session.id": "dupe-session", "langfuse.trace.name": "chat" };
    const twice: SyntheticSpan = {
      traceId: u,
      spanId: hex(8),
      parentSpanId: uRoot,
      name: "agent_reply",
      startMs: PAST_MS + 1000 + 5,
      endMs: PAST_MS + 1000 + 50,
      attributes: {
        ...uCtx,
        "langfuse.observation.type": "generation",
        "langfuse.observation.usage_details": '{"input":10,"output":5}',
        "langfuse.observation.prompt.name": "legacy_reply",
        "langfuse.observation.prompt.version": "3",
      },
    };
    await ingest([twice]);
    await ingest([
      twice,
      {
        traceId: u,
        spanId: hex(8),
        parentSpanId: uRoot,
        name: "orphan_step",
        startMs: PAST_MS + 1000 + 55,
        endMs: PAST_MS + 1000 + 60,
        attributes: {},
      },
      {
        traceId: u,
        spanId: uRoot,
        name: "chat",
        startMs: PAST_MS + 1000,
        endMs: PAST_MS + 1000 + 70,
        attributes: { ...uCtx, "langfuse.observation.input": '"hello"', "langfuse.observation.output": '"hi!"' },
      },
    ]);
    // A turn as the exporter writes it for Langfuse's agent graph: the router's nodes with agentic
    // types and LangGraph's node and step metadata, generations of gpt-4o-mini with cached tokens.
    const g = synthetic.agentic;
    const gStart = PAST_MS + 2000;
    const [gRoot, gRoute, gClassifier, gAgent, gReply] = [hex(8), hex(8), hex(8), hex(8), hex(8)];
    gReplyId = gReply;
    const gCtx = {
      "user.id": "erin",
      "session.id": "erin-session",
      "langfuse.trace.name": "chat",
      "langfuse.trace.tags": '["endpoint:chat"]',
      "langfuse.trace.metadata.intent": "order_status",
      "langfuse.trace.metadata.agent": "orders",
    };
    const node = (name: string, step: number) => ({
      "langfuse.observation.metadata.langgraph_node": name,
      "langfuse.observation.metadata.langgraph_step": String(step),
    });
    const generation = (usage: string, input: string, output: string, prompt: [string, number]) => ({
      "langfuse.observation.prompt.name": prompt[0],
      "langfuse.observation.prompt.version": String(prompt[1]),
      "langfuse.observation.type": "generation",
      "langfuse.observation.model.name": "gpt-4o-mini",
      "langfuse.observation.model.parameters": '{"temperature":0}',
      "langfuse.observation.usage_details": usage,
      "langfuse.observation.input": input,
      "langfuse.observation.output": output,
    });
    const question = "My parcel 5521 is late, where is it?";
    await ingest([
      {
        traceId: g,
        spanId: gClassifier,
        parentSpanId: gRoute,
        name: "classifier",
        startMs: gStart + 8,
        endMs: gStart + 420,
        attributes: {
          ...gCtx,
          ...node("route_node", 1),
          ...generation(
            '{"input":220,"input_cache_read":1024,"output":18}',
            JSON.stringify([{ role: "user", content: question }]),
            '{"role":"assistant","content":"{\\"intent\\":\\"order_status\\",\\"confidence\\":0.94}"}',
            ["classifier", 2],
          ),
        },
      },
      {
        traceId: g,
        spanId: gRoute,
        parentSpanId: gRoot,
        name: "route_node",
        startMs: gStart + 5,
        endMs: gStart + 425,
        attributes: { ...gCtx, ...node("route_node", 1), "langfuse.observation.type": "chain" },
      },
      {
        traceId: g,
        spanId: gReply,
        parentSpanId: gAgent,
        name: "agent_reply",
        startMs: gStart + 432,
        endMs: gStart + 1610,
        attributes: {
          ...gCtx,
          ...node("agent_orders", 2),
          ...generation(
            '{"input":310,"input_cache_read":896,"output":142}',
            JSON.stringify([
              { role: "system", content: "You are the orders desk of Northwind Shop." },
              { role: "user", content: question },
            ]),
            '{"role":"assistant","content":"Parcel 5521 left our warehouse on Monday and is due tomorrow."}',
            ["agent_orders", 1],
          ),
        },
      },
      {
        traceId: g,
        spanId: gAgent,
        parentSpanId: gRoot,
        name: "agent_orders",
        startMs: gStart + 430,
        endMs: gStart + 1615,
        attributes: { ...gCtx, ...node("agent_orders", 2), "langfuse.observation.type": "agent" },
      },
      {
        traceId: g,
        spanId: gRoot,
        name: "chat",
        startMs: gStart,
        endMs: gStart + 1620,
        attributes: {
          ...gCtx,
          "langfuse.observation.input": JSON.stringify(question),
          "langfuse.observation.output": JSON.stringify(
            "Parcel 5521 left our warehouse on Monday and is due tomorrow.",
          ),
        },
      },
    ]);
    await delivered(ALL);

    // Feedback and evaluations as scores: on turns, on one observation, on a session.
    const order = (await fetch(`${viewerApi}/traces/${turns["order"]!.trace_id}`, {
      headers: { authorization: auth },
    }).then((r) => r.json())) as { observations: Array<{ id: string; name: string }> };
    const classifierId = order.observations.find((observation) => observation.name === "classifier")!.id;
    await publicApi("/api/public/scores", {
      id: `${turns["order"]!.trace_id}-user_feedback`,
      traceId: turns["order"]!.trace_id,
      name: "user_feedback",
      value: 1,
      dataType: "BOOLEAN",
      comment: "Found my parcel, thanks!",
    });
    await publicApi("/api/public/scores", {
      traceId: turns["order"]!.trace_id,
      observationId: classifierId,
      name: "routing",
      value: "correct",
      dataType: "CATEGORICAL",
    });
    await publicApi("/api/public/scores", {
      traceId: turns["tech"]!.trace_id,
      name: "user_feedback",
      value: 0,
      dataType: "BOOLEAN",
      comment: "It still crashes after the update",
    });
    await publicApi("/api/public/scores", {
      sessionId: turns["clarify"]!.session_id,
      name: "csat",
      value: 3,
      dataType: "NUMERIC",
      comment: "survey at the end of the chat",
    });
    await publicApi("/api/public/scores", {
      traceId: synthetic.agentic,
      observationId: gReplyId,
      name: "helpfulness",
      value: 0.8,
    });
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 30_000 });
    page = await loggedInPage();
  });

  after(async () => {
    await browser?.close();
    await svc?.close();
    await model?.close();
  });

  test("the list shows every chat, newest first, with date and time, duration, observations, tokens and status", async () => {
    await page.goto(ui);
    await waitRows(ALL);
    const ids = await rowIds();
    assert.deepEqual(ids, [
      ...["oaiBruno", "oaiAlice", "tech", "clarify", "billing", "followup", "order"].map((k) => turns[k]!.trace_id),
      synthetic.agentic,
      synthetic.duplicated,
      synthetic.disconnected,
    ]);
    const cells = await row(turns["order"]!.trace_id).locator("td").allInnerTexts();
    const today = await page.evaluate(() => new Date().toLocaleDateString([], { month: "short", day: "numeric" }));
    assert.ok(cells[0]!.includes(today), `the time cell shows the date: ${cells[0]}`);
    assert.match(cells[0]!, /\d{2}:\d{2}:\d{2}/);
    const past = await page.evaluate(
      (ms) => new Date(ms).toLocaleDateString([], { month: "short", day: "numeric" }),
      PAST_MS,
    );
    assert.ok((await row(synthetic.duplicated).locator("td").first().innerText()).includes(past));
    assert.match(cells[1]!, /chat/);
    assert.match(cells[1]!, /order_status → orders/);
    assert.match(cells[1]!, /Where is my order 1234/);
    assert.equal(cells[2], "alice");
    assert.match(cells[4]!, /\d+ ms|s$/, "duration");
    assert.equal(cells[5], "5", "observations: root, route_node, classifier, agent_orders, agent_reply");
    assert.match(cells[6]!, /^\d[\d,.k]*$/, "tokens");
    assert.match(cells[7]!, /^\$0\.\d{2,6}$/, "cost: gpt-4o-mini priced from Langfuse's table");
    assert.equal(cells[8], "ok", "status");
    await shot("trace-list");
  });

  test("session ids are shown whole or cut where they differ, with the whole id as a title", async () => {
    await page.goto(ui);
    await waitRows(ALL);
    const sessionOf = async (key: string) => {
      const link = row(turns[key]!.trace_id).locator("td:nth-child(4) a");
      return { text: await link.innerText(), title: await link.getAttribute("title") };
    };
    const a = await sessionOf("oaiAlice");
    const b = await sessionOf("oaiBruno");
    assert.equal(a.title, "openai:support-team-member-alice");
    assert.equal(b.title, "openai:support-team-member-bruno");
    assert.notEqual(a.text, b.text, "two openai: sessions must not look alike");
    assert.ok(a.text.startsWith("openai:") && a.text.endsWith("alice"), a.text);
    const uuid = await sessionOf("order");
    assert.equal(uuid.title, turns["order"]!.session_id);
    assert.ok(uuid.text.length > 9, `more than 8 characters: ${uuid.text}`);
    assert.ok(uuid.text.endsWith(turns["order"]!.session_id.slice(-8)), uuid.text);
    assert.equal(
      await row(synthetic.disconnected).locator("td:nth-child(4) a").innerText(),
      "dora-session",
      "short ids whole",
    );
  });

  test("clarifications get a badge; a disconnected turn is a warning, not a failure; duplicate rows are flagged", async () => {
    await page.goto(ui);
    await waitRows(ALL);
    assert.equal(await row(turns["clarify"]!.trace_id).locator(".chip-clarify").innerText(), "clarifying question");
    assert.equal(await row(turns["tech"]!.trace_id).locator(".chip-clarify").count(), 0);

    const disconnected = row(synthetic.disconnected);
    assert.equal(await disconnected.getAttribute("class"), "row-warn");
    assert.equal(await disconnected.locator("td.status").innerText(), "disconnected");
    assert.equal(
      await disconnected.locator(".badge-error").count(),
      0,
      "no failure badge although a model call inside was aborted",
    );

    const duplicated = row(synthetic.duplicated);
    assert.equal(await duplicated.locator(".badge-dup").innerText(), "1 duplicate row");
    assert.equal(await duplicated.locator("td:nth-child(6)").innerText(), "3", "distinct observations");

    await page.goto(`${ui}traces/${synthetic.duplicated}`);
    await page.locator(".wf-row").nth(3).waitFor();
    const rows = await page
      .locator(".wf-row")
      .evaluateAll((els) =>
        els.map((el) => [
          el.getAttribute("data-observation-name"),
          el.getAttribute("data-copies"),
          el.querySelector(".badge-dup")?.textContent ?? null,
        ]),
      );
    assert.deepEqual(rows, [
      ["chat", "1", null],
      ["agent_reply", "2", "dup 1/2"],
      ["agent_reply", "2", "dup 2/2"],
      ["orphan_step", "1", null],
    ]);
    assert.match(await page.locator(".trace-head h1").innerText(), /1 duplicate row/);
    assert.match(await page.locator(".trace-head").innerText(), /Observations\s*3 \(4 rows\)/);

    // Each row shows the user and session it carries itself.
    await page.locator('.wf-row[data-observation-name="agent_reply"]').nth(1).click();
    const copy = page.locator(".row-context");
    await copy.locator("text=copy 2 of 2").waitFor();
    assert.match(await copy.innerText(), /User\s*dupe[\s\S]*Session\s*dupe-session/);
    await page.click('.wf-row[data-observation-name="orphan_step"]');
    await page.locator(".detail h2", { hasText: /^orphan_step$/ }).waitFor();
    assert.match(
      await page.locator(".row-context").innerText(),
      /User\s*missing on this row[\s\S]*Session\s*missing on this row/,
    );
    await shot("trace-duplicates");

    await page.goto(`${ui}traces/${synthetic.disconnected}`);
    await page.locator(".trace-head h1 .badge-warn").waitFor();
    assert.equal(await page.locator(".trace-head h1 .outcome").innerText(), "disconnected");
  });

  test("filters: user, session, name and time range, kept in the URL", async () => {
    await page.goto(ui);
    await page.fill('input[name="userId"]', "alice");
    await page.click('button[type="submit"]');
    await page.waitForURL(/userId=alice/);
    await waitRows(2);
    assert.deepEqual(await rowIds(), [turns["followup"]!.trace_id, turns["order"]!.trace_id]);

    await page.goto(`${ui}?sessionId=${turns["clarify"]!.session_id}`);
    await waitRows(2);
    assert.deepEqual(await rowIds(), [turns["tech"]!.trace_id, turns["clarify"]!.trace_id]);

    await page.click('button:has-text("Clear")');
    await waitRows(ALL);
    await page.fill('input[name="name"]', "no-such-trace");
    await page.click('button[type="submit"]');
    await page.locator(".empty").waitFor();
    assert.match(await page.locator(".empty").innerText(), /No trace matches/);
    await page.fill('input[name="name"]', "chat");
    await page.click('button[type="submit"]');
    await waitRows(ALL);

    // Time range, in the browser's local time as datetime-local gives it.
    const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.fill('input[name="to"]', local(new Date(Date.now() - 3_600_000)));
    await page.click('button[type="submit"]');
    await waitRows(ALL - RECENT);
    assert.deepEqual(await rowIds(), [synthetic.agentic, synthetic.duplicated, synthetic.disconnected]);
    await page.fill('input[name="to"]', "");
    await page.fill('input[name="from"]', local(new Date(Date.now() - 3_600_000)));
    await page.click('button[type="submit"]');
    await waitRows(RECENT);

    // A user name in a row filters by that user.
    await page.click(`tr[data-trace-id="${turns["billing"]!.trace_id}"] td:nth-child(3) a`);
    await waitRows(1);
    assert.match(page.url(), /userId=bob/);
  });

  test("a trace page shows route_node -> generation and agent_orders -> generation, and each observation in full", async () => {
    await page.goto(ui);
    await page.click(`tr[data-trace-id="${turns["order"]!.trace_id}"] a.trace-link`);
    await page.waitForURL(/\/ui\/traces\//);
    await page.locator(".wf-row").nth(4).waitFor();
    const rows = await page.locator(".wf-row").evaluateAll((els) =>
      els.map((el) => ({
        name: el.getAttribute("data-observation-name"),
        depth: el.getAttribute("data-depth"),
        type: el.querySelector(".type")!.textContent,
      })),
    );
    assert.deepEqual(rows, [
      { name: "chat", depth: "0", type: "SPAN" },
      { name: "route_node", depth: "1", type: "CHAIN" },
      { name: "classifier", depth: "2", type: "GEN" },
      { name: "agent_orders", depth: "1", type: "AGENT" },
      { name: "agent_reply", depth: "2", type: "GEN" },
    ]);
    // The waterfall: every row has a bar, inside the track.
    assert.equal(await page.locator(".wf-bar").count(), 5);
    assert.equal(await page.locator(".wf-row .badge-dup").count(), 0, "the service sends each span once");

    // By default the root is shown: the turn's input and output, as Langfuse opens a trace.
    const detail = page.locator(".detail");
    assert.equal(await detail.locator("h2").innerText(), "chat");
    assert.equal(await page.locator(".wf-row.selected").getAttribute("data-observation-name"), "chat");
    await shot("trace-page");

    // The classifier: its prompt cut by the pipeline, its price from Langfuse's table.
    await page.click('.wf-row[data-observation-name="classifier"]');
    await page.locator(".detail h2", { hasText: /^classifier$/ }).waitFor();
    const text = await detail.innerText();
    assert.match(text, /gpt-4o-mini/);
    assert.match(text, /\d+ in · \d+ out · \d+ total/);
    assert.match(text, /Cost\s*\$0\.\d+ \(input \$[\d.]+ · input_cache_read \$[\d.]+ · output [<$\d.]+\)/);
    assert.match(text, /Priced as\s*gpt-4o-mini · Standard/);
    // Cut to fit LANGFUSE_MAX_FIELD_CHARS=900 as a message array: the system prompt keeps its head and its true length.
    assert.match(text, /truncated: [\d,]+ of [\d,]+ chars/);
    assert.match(text, /SYSTEM/i, "still shown as chat messages");
    assert.match(text, /order_status/, "the classifier's output");
    await shotOf(".detail", "observation-truncated");

    await page.click('.wf-row[data-observation-name="agent_reply"]');
    await page.locator(".detail h2", { hasText: /^agent_reply$/ }).waitFor();
    const reply = await page.locator(".detail").innerText();
    assert.match(reply, /Orders desk here/);
    assert.match(reply, /SYSTEM/i);

    await page.click('.wf-row[data-observation-name="agent_orders"]');
    await page.locator(".detail h2", { hasText: /^agent_orders$/ }).waitFor();
    const span = await page.locator(".detail").innerText();
    assert.match(span, /"agent_key": "orders"/);
    assert.match(span, /metadata[\s\S]*"intent_type": "order_status"/i);

    // The root row carries the turn's user and session.
    await page.click('.wf-row[data-observation-name="chat"]');
    await page.locator(".detail h2", { hasText: /^chat$/ }).waitFor();
    const context = await page.locator(".row-context").innerText();
    assert.match(context, /User\s*alice/);
    assert.ok(context.includes(turns["order"]!.session_id), context);
  });

  test("a session page lists its turns in order, each linked to its trace", async () => {
    await page.goto(`${ui}traces/${turns["clarify"]!.trace_id}`);
    await page.click(".trace-head a[href*='/ui/sessions/']");
    await page.waitForURL(/\/ui\/sessions\//);
    await page.locator("li.turn").nth(1).waitFor();
    const items = await page.locator("li.turn").evaluateAll((els) => els.map((el) => el.getAttribute("data-trace-id")));
    assert.deepEqual(items, [turns["clarify"]!.trace_id, turns["tech"]!.trace_id]);
    const first = await page.locator("li.turn").nth(0).innerText();
    assert.match(first, /#1[\s\S]*clarifying question[\s\S]*I have a question/);
    const second = await page.locator("li.turn").nth(1).innerText();
    assert.match(second, /#2[\s\S]*tech_support → tech[\s\S]*The app crashes/);
    assert.doesNotMatch(second, /clarifying question/);
    await shot("session-page");
    await page.click("li.turn >> nth=1 >> a.turn-trace");
    await page.waitForURL(new RegExp(`/ui/traces/${turns["tech"]!.trace_id}$`));
    await page.locator('.wf-row[data-observation-name="agent_tech"]').waitFor();

    await page.goto(`${ui}sessions/dora-session`);
    await page.locator("li.turn").first().waitFor();
    assert.equal(await page.locator("li.turn").first().getAttribute("class"), "card turn row-warn");
    assert.match(await page.locator("li.turn").first().innerText(), /disconnected/);
  });

  test("the trace list fits a 375 px phone screen without sideways scrolling", async () => {
    const phone = await loggedInPage({ width: 375, height: 760 });
    try {
      await phone.goto(ui);
      await phone.waitForFunction(`document.querySelectorAll("table.traces tbody tr").length === ${ALL}`);
      const widths = (await phone.evaluate(
        "({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth })",
      )) as { scroll: number; viewport: number };
      assert.ok(widths.scroll <= widths.viewport, `page is ${widths.scroll} px wide on a ${widths.viewport} px screen`);
      // Still there: name, user, session and status; the number columns make way.
      const cells = await phone
        .locator(`tr[data-trace-id="${turns["oaiAlice"]!.trace_id}"] td`)
        .evaluateAll((tds) => tds.filter((td) => td.getBoundingClientRect().width > 0).length);
      assert.equal(cells, 5);
      if (SHOTS) {
        mkdirSync(SHOTS, { recursive: true });
        await phone.screenshot({ path: join(SHOTS, "trace-list-phone.png") });
      }
    } finally {
      await phone.close();
    }
  });

  test("the list refreshes by itself when a new trace arrives", async () => {
    await page.goto(ui);
    await waitRows(ALL);
    const fresh = await chat("fresh", "hello there, thanks for the help!", "dave");
    await page.locator(`tr[data-trace-id="${fresh.trace_id}"]`).waitFor({ timeout: 10_000 });
    assert.equal((await rowIds())[0], fresh.trace_id);
  });

  test("/ redirects to the viewer; an unknown trace says it has not arrived, and after minutes where to look", async () => {
    await page.goto(ui.replace(/\/ui\/$/, "/"));
    assert.match(page.url(), /\/ui\/$/);
    // A fake clock in this page only, so minutes pass at once.
    const waiting = await loggedInPage();
    try {
      await waiting.clock.install();
      await waiting.goto(`${ui}traces/0123456789abcdef0123456789abcdef`);
      await waiting.locator(".error-box").waitFor();
      assert.match(await waiting.locator(".error-box").innerText(), /has not arrived \(yet\)/);
      await waiting.clock.fastForward("04:00");
      await waiting.locator(".error-box.lost").waitFor();
      const lost = await waiting.locator(".error-box").innerText();
      assert.match(lost, /may have been lost/);
      assert.match(lost, /switchboard_tracing_spans_dropped_total/);
      assert.match(lost, /\/metrics/);
      assert.match(lost, /service log/);
      if (SHOTS) await waiting.locator("main").screenshot({ path: join(SHOTS, "trace-lost.png") });
      // A way back from the page of a trace that never came.
      await waiting.click(".crumbs.back a");
      await waiting.waitForURL(/\/ui\/$/);
      await waiting.locator("table.traces tbody tr").first().waitFor();
    } finally {
      await waiting.close();
    }
  });

  test("the viewer needs the receiver's key pair: a browser without it gets the login page; the login link lets it in", async () => {
    // Without credentials: 401 with a page saying how to log in, and the browser's prompt for the key pair.
    const denied = await fetch(`${ui}traces/${turns["order"]!.trace_id}`);
    assert.equal(denied.status, 401);
    assert.match(denied.headers.get("www-authenticate") ?? "", /^Basic /);
    assert.match(await denied.text(), /login link/);
    assert.equal((await fetch(`${viewerApi}/traces`)).status, 401, "nor can anything read the traces");
    assert.equal((await fetch(`${receiverUrl}/ui/login?token=not-the-token`)).status, 401);

    // The browser's prompt answered with the key pair (public key as user name) lets it in.
    const keys = svc.traces.receiver!.keys;
    const prompted = await browser.newContext({
      httpCredentials: { username: keys.publicKey, password: keys.secretKey },
    });
    try {
      const p = await prompted.newPage();
      await p.goto(`${ui}traces/${turns["order"]!.trace_id}`);
      await p.locator(".wf-row").first().waitFor({ timeout: 10_000 });
    } finally {
      await prompted.close();
    }

    const stranger = await browser.newPage({ viewport: { width: 1000, height: 600 } });
    try {
      // The login link, going straight to a trace (as a trace_url would after it).
      const next = `/ui/traces/${turns["order"]!.trace_id}`;
      await stranger.goto(svc.traces.receiver!.loginUrl(next));
      await stranger.waitForURL(new RegExp(`${next}$`));
      await stranger.locator(".wf-row").first().waitFor();
      const cookie = (await stranger.context().cookies()).find((c) => c.name.startsWith("switchboard_receiver_"));
      assert.ok(cookie?.httpOnly, "the session cookie is HttpOnly");
      assert.equal(cookie?.sameSite, "Lax");
    } finally {
      await stranger.close();
    }
  });

  test("a turn exported with agentic types and LangGraph steps shows Langfuse's agent graph and its cost", async () => {
    await page.goto(`${ui}traces/${synthetic.agentic}`);
    await page.locator("svg.agent-graph").waitFor();
    assert.equal(
      await page.locator(".graph-card h2").innerText(),
      "Agent graph",
      "open, as Langfuse opens an agent graph",
    );
    const nodes = await page
      .locator("svg.agent-graph g.graph-node")
      .evaluateAll((els) => els.map((el) => [el.getAttribute("data-node"), el.getAttribute("data-type")]));
    assert.deepEqual(nodes, [
      ["__start__", "LANGGRAPH_SYSTEM"],
      ["route_node", "CHAIN"],
      ["agent_orders", "AGENT"],
      ["__end__", "LANGGRAPH_SYSTEM"],
    ]);
    const edges = await page
      .locator("svg.agent-graph path.graph-edge")
      .evaluateAll((els) => els.map((el) => `${el.getAttribute("data-from")}->${el.getAttribute("data-to")}`));
    assert.deepEqual(edges, ["__start__->route_node", "route_node->agent_orders", "agent_orders->__end__"]);
    // gpt-4o-mini: 220 x 1.5e-7 + 1024 x 7.5e-8 + 18 x 6e-7 and 310 x 1.5e-7 + 896 x 7.5e-8 + 142 x 6e-7.
    assert.equal(await page.locator(".trace-cost .fact-value").innerText(), "$0.00032");
    // A click on a node shows its observation.
    await page.click('svg.agent-graph g.graph-node[data-node="agent_orders"]');
    await page.locator(".detail h2", { hasText: /^agent_orders$/ }).waitFor();
    assert.equal(await page.locator(".detail .type").innerText(), "AGENT");
    assert.match(
      (await page.locator('svg.agent-graph g.graph-node[data-node="agent_orders"]').getAttribute("class")) ?? "",
      /selected/,
    );
    await page.click('.wf-row[data-observation-name="agent_reply"]');
    await page.locator(".detail h2", { hasText: /^agent_reply$/ }).waitFor();
    assert.match(await page.locator(".detail").innerText(), /Cost\s*\$0\.000199/);
    // The graph from the top: the click scrolled the selected row into view.
    await page.evaluate("window.scrollTo(0, 0)");
    await shot("trace-graph");

    // The session page sums its turns' cost.
    await page.goto(`${ui}sessions/erin-session`);
    await page.locator("li.turn").first().waitFor();
    assert.equal(await page.locator(".session-cost").innerText(), "$0.00032");
  });

  test("a trace exported without agentic types offers the timing graph closed, as Langfuse does", async () => {
    // Plain spans and a generation (no agentic type, no LangGraph step), as another exporter may send.
    await page.goto(`${ui}traces/${synthetic.duplicated}`);
    await page.locator(".graph-card details").waitFor();
    assert.equal(await page.locator(".graph-card details").getAttribute("open"), null);
    assert.match(await page.locator(".graph-card summary").innerText(), /from timing/);
  });
  test("scores show on the trace with what each is on, on their observation, and per turn and session", async () => {
    await page.goto(`${ui}traces/${turns["order"]!.trace_id}`);
    const card = page.locator(".scores-card");
    await card.waitFor();
    const items = await card.locator(".score-list li").allInnerTexts();
    assert.equal(items.length, 2);
    assert.match(items[0]!, /user_feedback\s*True[\s\S]*Found my parcel, thanks![\s\S]*on the trace/);
    assert.match(items[1]!, /routing\s*correct[\s\S]*on classifier/);
    assert.equal(await card.locator(".score-chip.score-true").count(), 1, "a thumbs-up is green");
    // The waterfall marks the observation that has a score.
    assert.equal(await page.locator(".wf-row .badge-score").count(), 1);
    assert.equal(await page.locator('.wf-row[data-observation-name="classifier"] .badge-score').innerText(), "1 score");
    // What a score is on opens with a click, and lists its scores.
    await card.locator("a.score-observation").click();
    await page.locator(".detail h2", { hasText: /^classifier$/ }).waitFor();
    assert.match(await page.locator(".detail .observation-scores").innerText(), /routing\s*correct/);

    await page.goto(`${ui}sessions/${turns["clarify"]!.session_id}`);
    await page.locator("li.turn").nth(1).waitFor();
    assert.equal(await page.locator("li.turn").nth(0).locator(".turn-scores").count(), 0, "no feedback on turn 1");
    const tech = page.locator("li.turn").nth(1);
    assert.match(
      await tech.locator(".turn-scores").innerText(),
      /user_feedback\s*False[\s\S]*It still crashes after the update[\s\S]*on the turn/,
    );
    assert.equal(await tech.locator(".score-chip.score-false").count(), 1, "a thumbs-down is red");
    assert.match(await page.locator(".session-scores").innerText(), /csat\s*3[\s\S]*survey at the end of the chat/);
  });

  test("a generation shows the prompt version it used, linked to the stored prompts, which the prompts pages list", async () => {
    await page.goto(`${ui}traces/${synthetic.agentic}`);
    await page.click('.wf-row[data-observation-name="agent_reply"]');
    await page.locator(".detail h2", { hasText: /^agent_reply$/ }).waitFor();
    const detail = page.locator(".detail");
    assert.match(await detail.innerText(), /Prompt\s*agent_orders v1/);
    assert.equal(await detail.locator(".prompt-link .badge").count(), 0, "that version is stored: linked");
    assert.match(await detail.locator(".observation-scores").innerText(), /helpfulness\s*0\.8/);
    await shotOf(".detail", "generation-prompt");
    await detail.locator(".prompt-link a").click();
    await page.waitForURL(/\/ui\/prompts\/agent_orders#v1$/);
    const linked = page.locator("section.prompt-version.linked");
    await linked.waitFor();
    assert.equal(await linked.getAttribute("data-version"), "1");
    assert.match(await linked.innerText(), /production[\s\S]*latest[\s\S]*You are the orders desk/);

    // The classifier's production label moved to version 2, newest first.
    await page.goto(`${ui}prompts/classifier`);
    await page.locator("section.prompt-version").nth(1).waitFor();
    const versions = await page
      .locator("section.prompt-version")
      .evaluateAll((els) =>
        els.map((el) => [
          el.getAttribute("data-version"),
          [...el.querySelectorAll(".label-chip")].map((chip) => chip.textContent),
        ]),
      );
    assert.deepEqual(versions, [
      ["2", ["production", "latest"]],
      ["1", []],
    ]);
    assert.match(await page.locator("section.prompt-version").nth(0).innerText(), /ask back when unsure/);
    await shot("prompt-page");

    await page.click('header.top nav a:has-text("Prompts")');
    await page.waitForURL(/\/ui\/prompts$/);
    await page.locator("table.prompts tbody tr").nth(1).waitFor();
    const rows = await page
      .locator("table.prompts tbody tr")
      .evaluateAll((els) =>
        els.map((el) => [el.getAttribute("data-prompt-name"), el.querySelectorAll("td")[2]!.textContent]),
      );
    assert.deepEqual(rows, [
      ["agent_orders", "1"],
      ["classifier", "2"],
    ]);
    assert.match(
      await page.locator('tr[data-prompt-name="classifier"]').innerText(),
      /production → v2[\s\S]*latest → v2/,
    );
    await shot("prompts");

    // A generation naming a version the receiver does not hold links nothing, as in Langfuse.
    await page.goto(`${ui}traces/${synthetic.duplicated}`);
    await page.locator('.wf-row[data-observation-name="agent_reply"]').first().click();
    await page.locator(".detail h2", { hasText: /^agent_reply$/ }).waitFor();
    assert.match(await page.locator(".detail .prompt-link").innerText(), /legacy_reply v3\s*not linked/);
  });
});
