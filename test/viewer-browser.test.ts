// The trace viewer in a real browser: Debian's chromium driven by playwright-core. Chats go
// through the service's APIs to its embedded receiver; the viewer must list them, filter them,
// show each trace's tree and waterfall, a session's turns, and pick up new traces by itself.
// VIEWER_SCREENSHOTS_DIR=docs/viewer writes the documentation screenshots.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { postJson, startService, type RunningService } from "./support/start-service.js";

const CHROMIUM = "/usr/bin/chromium";
// Flags for a closed network and a root sandbox (see .library machines/node.md); playwright
// itself adds --headless and a fresh, empty profile directory.
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
// The test runner installs chromium when it is missing (scripts/provision-test-deps.mjs); should it
// still be missing, the suite is skipped saying why, and scripts/run-tests.mjs fails on any skip.
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed: run \`node scripts/provision-test-deps.mjs\` (npm test does)`;
const SHOTS = process.env["VIEWER_SCREENSHOTS_DIR"];

interface Turn {
  trace_id: string;
  session_id: string;
}

describe("trace viewer in chromium", { skip, timeout: 120_000 }, () => {
  let svc: RunningService;
  let browser: Browser;
  let page: Page;
  let ui: string;
  let viewerApi: string;
  const turns: Record<string, Turn> = {};

  const chat = async (key: string, message: string, userId: string, sessionId?: string) => {
    const res = await postJson(`${svc.url}/api/v1/chat`, { message, user_id: userId, ...(sessionId ? { session_id: sessionId } : {}) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    turns[key] = res.body as Turn;
    return res.body as Turn;
  };

  /** Waits until the receiver has `count` traces, each complete (root arrived with its output). */
  const delivered = async (count: number) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const list = (await fetch(`${viewerApi}/traces?limit=100`).then((r) => r.json())) as { data: Array<{ outputPreview: string | null; observationCount: number }> };
      if (list.data.length >= count && list.data.every((t) => t.outputPreview !== null && t.observationCount >= 4)) return;
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
  const waitRows = (n: number) => page.waitForFunction(`document.querySelectorAll("table.traces tbody tr").length === ${n}`);

  /** One element only: a screenshot that stays small and readable. */
  const shotOf = async (selector: string, name: string) => {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.locator(selector).screenshot({ path: join(SHOTS, `${name}.png`) });
  };

  const rowIds = () => page.locator("table.traces tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-trace-id")));

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
    const receiver = svc.traces.receiver!.url;
    ui = `${receiver}/ui/`;
    viewerApi = `${receiver}/_receiver/viewer`;
    const first = await chat("order", "Where is my order 1234? It has not arrived.", "alice");
    await chat("followup", "It was supposed to come on Monday, can you check the delivery address?", "alice", first.session_id);
    await chat("billing", "I was charged twice for my last purchase, I need a refund", "bob");
    await chat("clarify", "I have a question", "carol");
    await chat("tech", "The app crashes when I log in", "carol", turns["clarify"]!.session_id);
    await delivered(5);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    page.setDefaultTimeout(10_000);
  });

  after(async () => {
    await browser?.close();
    await svc?.close();
  });

  test("the list shows every chat, newest first, with duration, observations and tokens", async () => {
    await page.goto(ui);
    await page.locator("table.traces tbody tr").nth(4).waitFor();
    const ids = await rowIds();
    assert.deepEqual(ids, ["tech", "clarify", "billing", "followup", "order"].map((k) => turns[k]!.trace_id));
    const row = page.locator(`tr[data-trace-id="${turns["order"]!.trace_id}"]`);
    const cells = await row.locator("td").allInnerTexts();
    assert.match(cells[1]!, /chat/);
    assert.match(cells[1]!, /order_status → orders/);
    assert.match(cells[1]!, /Where is my order 1234/);
    assert.equal(cells[2], "alice");
    assert.match(cells[4]!, /\d+ ms|s$/, "duration");
    assert.equal(cells[5], "5", "observations: root, route_node, classifier, agent_orders, agent_reply");
    assert.match(cells[6]!, /^\d[\d,.k]*$/, "tokens");
    assert.equal(cells[7], "0", "errors");
    await shot("trace-list");
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
    await waitRows(5);
    await page.fill('input[name="name"]', "no-such-trace");
    await page.click('button[type="submit"]');
    await page.locator(".empty").waitFor();
    assert.match(await page.locator(".empty").innerText(), /No trace matches/);
    await page.fill('input[name="name"]', "chat");
    await page.click('button[type="submit"]');
    await waitRows(5);

    // Time range, in the browser's local time as datetime-local gives it.
    const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.fill('input[name="to"]', local(new Date(Date.now() - 3_600_000)));
    await page.click('button[type="submit"]');
    await page.locator(".empty").waitFor();
    await page.fill('input[name="to"]', "");
    await page.fill('input[name="from"]', local(new Date(Date.now() - 3_600_000)));
    await page.click('button[type="submit"]');
    await waitRows(5);

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
      els.map((el) => ({ name: el.getAttribute("data-observation-name"), depth: el.getAttribute("data-depth"), type: el.querySelector(".type")!.textContent })),
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
    await shot("session-page");
    await page.click("li.turn >> nth=1 >> a.turn-trace");
    await page.waitForURL(new RegExp(`/ui/traces/${turns["tech"]!.trace_id}$`));
    await page.locator('.wf-row[data-observation-name="agent_tech"]').waitFor();
  });

  test("the list refreshes by itself when a new trace arrives", async () => {
    await page.goto(ui);
    await waitRows(5);
    const fresh = await chat("fresh", "hello there, thanks for the help!", "dave");
    await page.locator(`tr[data-trace-id="${fresh.trace_id}"]`).waitFor({ timeout: 10_000 });
    assert.equal((await rowIds())[0], fresh.trace_id);
  });

  test("/ redirects to the viewer; an unknown trace says it has not arrived", async () => {
    await page.goto(ui.replace(/\/ui\/$/, "/"));
    assert.match(page.url(), /\/ui\/$/);
    await page.goto(`${ui}traces/0123456789abcdef0123456789abcdef`);
    await page.locator(".error-box").waitFor();
    assert.match(await page.locator(".error-box").innerText(), /has not arrived/);
  });
});
