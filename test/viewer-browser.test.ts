// The trace viewer in a real browser: Debian's chromium driven by playwright-core. Chats go
// through the service's APIs to its embedded receiver; the viewer must list them, filter them,
// show each trace's tree and waterfall, a session's turns, each row's own user and session,
// duplicate rows, clarifications and disconnects, fit a phone, pick up new traces by itself,
// and say where to look when a trace never arrives.
// VIEWER_SCREENSHOTS_DIR=docs/viewer writes the documentation screenshots.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { postJson, startService, type RunningService } from "./support/start-service.js";
import { basicAuthHeader, DEV_KEY_PAIR } from "../src/receiver/basic-auth.js";
import { otlpJsonBody } from "./support/receiver-http.js";

const CHROMIUM = "/usr/bin/chromium";
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
// The test runner installs chromium when it is missing (scripts/provision-test-deps.mjs); should it
// still be missing, the suite is skipped saying why, and scripts/run-tests.mjs fails on any skip.
const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed: run \`node scripts/provision-test-deps.mjs\` (npm test does)`;
const SHOTS = process.env["VIEWER_SCREENSHOTS_DIR"];

interface Turn {
  trace_id: string;
  session_id: string;
}

const AUTH = basicAuthHeader(DEV_KEY_PAIR);
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

describe("trace viewer in chromium", { skip, timeout: 120_000 }, () => {
  let svc: RunningService;
  let browser: Browser;
  let page: Page;
  let ui: string;
  let viewerApi: string;
  let receiverUrl: string;
  const turns: Record<string, Turn> = {};
  const synthetic = { disconnected: hex(16), duplicated: hex(16) };

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
      authorization: AUTH,
      "x-langfuse-ingestion-version": "4",
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };

  /** Waits until the receiver has `count` traces, each complete (root arrived with its output). */
  const delivered = async (count: number) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const list = (await fetch(`${viewerApi}/traces?limit=100`).then((r) => r.json())) as {
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

  // 7 chats through the service, and 2 synthetic turns of a day ago.
  const ALL = 9;
  const RECENT = 7;

  before(async () => {
    svc = await startService({
      LANGFUSE_ENABLED: "true",
      LANGFUSE_LOCAL_RECEIVER_PORT: "0",
      LANGFUSE_LOCAL_RECEIVER_DB: ":memory:",
      LANGFUSE_FLUSH_INTERVAL: "0.05",
      // Small enough that the classifier's prompt is cut: the viewer must say so.
      LANGFUSE_MAX_FIELD_CHARS: "900",
      SIM_TTFT_MS: "30",
      SIM_TOKEN_MS: "1",
    });
    receiverUrl = svc.traces.receiver!.url;
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
    await delivered(ALL);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    page.setDefaultTimeout(10_000);
  });

  after(async () => {
    await browser?.close();
    await svc?.close();
  });

  test("the list shows every chat, newest first, with date and time, duration, observations, tokens and status", async () => {
    await page.goto(ui);
    await waitRows(ALL);
    const ids = await rowIds();
    assert.deepEqual(ids, [
      ...["oaiBruno", "oaiAlice", "tech", "clarify", "billing", "followup", "order"].map((k) => turns[k]!.trace_id),
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
    assert.equal(cells[7], "ok", "status");
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
    assert.deepEqual(await rowIds(), [synthetic.duplicated, synthetic.disconnected]);
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
      { name: "route_node", depth: "1", type: "SPAN" },
      { name: "classifier", depth: "2", type: "GEN" },
      { name: "agent_orders", depth: "1", type: "SPAN" },
      { name: "agent_reply", depth: "2", type: "GEN" },
    ]);
    // The waterfall: every row has a bar, inside the track.
    assert.equal(await page.locator(".wf-bar").count(), 5);
    assert.equal(await page.locator(".wf-row .badge-dup").count(), 0, "the service sends each span once");

    // By default the first generation is shown: the classifier, its prompt cut by the pipeline.
    const detail = page.locator(".detail");
    assert.match(await detail.locator("h2").innerText(), /classifier/);
    const text = await detail.innerText();
    assert.match(text, /switchboard-sim/);
    assert.match(text, /\d+ in · \d+ out · \d+ total/);
    assert.match(text, /truncated: 900 of [\d,]+ chars/);
    assert.match(text, /order_status/, "the classifier's output");
    await shotOf(".detail", "observation-truncated");

    await page.click('.wf-row[data-observation-name="agent_reply"]');
    await page.locator(".detail h2", { hasText: /^agent_reply$/ }).waitFor();
    const reply = await page.locator(".detail").innerText();
    assert.match(reply, /Orders desk here/);
    assert.match(reply, /SYSTEM/i);
    await shot("trace-page");

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
    const phone = await browser.newPage({ viewport: { width: 375, height: 760 } });
    try {
      phone.setDefaultTimeout(10_000);
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
    const waiting = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    try {
      waiting.setDefaultTimeout(10_000);
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
      if (SHOTS) await waiting.locator(".error-box").screenshot({ path: join(SHOTS, "trace-lost.png") });
    } finally {
      await waiting.close();
    }
  });
});
