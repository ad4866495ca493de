import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import stringWidth from "string-width";
import { basicAuthHeader } from "../src/receiver/basic-auth.js";
import { startService, type RunningService } from "./support/start-service.js";

// Compiled tests run dist/src/cli/chat.js; under tsx the .ts source (with the same loader flags).
const compiled = fileURLToPath(new URL("../src/cli/chat.js", import.meta.url));
const SCRIPT = existsSync(compiled) ? compiled : fileURLToPath(new URL("../src/cli/chat.ts", import.meta.url));

const SESSION = /session ([0-9a-f-]{36})/;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/;

/** The chat client as a child process, driven line by line through its standard input. */
class ChatProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = "";
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string | undefined> = {}) {
    // The test run's own SWITCHBOARD_*, colour and width settings are not the chat's, unless a test sets them.
    const base: Record<string, string | undefined> = {
      ...process.env,
      SWITCHBOARD_URL: undefined,
      SWITCHBOARD_API_KEY: undefined,
      FORCE_COLOR: undefined,
      NO_COLOR: undefined,
      COLUMNS: undefined,
    };
    const merged = Object.entries({ ...base, ...env }).filter((e): e is [string, string] => e[1] !== undefined);
    this.child = spawn(process.execPath, [...process.execArgv, SCRIPT, ...args], {
      stdio: "pipe",
      env: Object.fromEntries(merged),
    });
    this.child.stdout.setEncoding("utf8").on("data", (text: string) => (this.stdout += text));
    this.child.stderr.setEncoding("utf8").on("data", (text: string) => (this.stdout += text));
    this.exited = new Promise((resolve) => this.child.once("exit", resolve));
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Waits until stdout matches `pattern` `count` times (bounded). */
  async waitFor(pattern: RegExp, count = 1, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const global = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`);
    while ((this.stdout.match(global)?.length ?? 0) < count) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern} x${count}; stdout so far:\n${this.stdout}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * The service as one from before POST /api/v1/feedback existed: a small proxy that answers that
 * route with the 404 such a service gives (counting the calls), and passes everything else
 * through to the real service unchanged (streams included).
 */
async function withoutFeedbackEndpoint(target: string): Promise<{ url: string; calls: number; server: Server }> {
  const upstream = new URL(target);
  const state = { calls: 0 };
  const server = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/api/v1/feedback") {
      state.calls++;
      req
        .resume()
        .on("end", () =>
          res
            .writeHead(404, { "content-type": "application/json" })
            .end(JSON.stringify({ error: { code: "not_found", message: "no route for POST /api/v1/feedback" } })),
        );
      return;
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(forward);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    get calls() {
      return state.calls;
    },
    server,
  };
}

/** Polls `probe` until it gives a value (bounded), for what the receiver gets a moment later. */
async function waitForValue<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting for the receiver");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A loopback port nothing listens on (taken from the system, then released). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, "close");
  return port;
}

describe("terminal chat (npm run chat)", () => {
  let svc: RunningService;
  const children: ChatProcess[] = [];
  const servers: Server[] = [];
  const chat = (args: string[], env: Record<string, string | undefined> = {}) => {
    const c = new ChatProcess(args, env);
    children.push(c);
    return c;
  };
  before(async () => {
    svc = await startService({
      LANGFUSE_ENABLED: "true",
      LANGFUSE_LOCAL_RECEIVER_PORT: "0",
      LANGFUSE_LOCAL_RECEIVER_DB: ":memory:",
      SIM_TOKEN_MS: "2",
    });
  });
  after(async () => {
    for (const c of children) c.child.kill();
    for (const s of servers) s.close();
    await svc.close();
  });

  test(
    "streams replies, shows intent, agent and trace link, keeps the session, /new starts another, /quit leaves",
    { timeout: 30_000 },
    async () => {
      const c = chat(["--url", svc.url, "--user", "term-user"]);
      await c.waitFor(/you> /);
      c.send("Where is my order 1234?");
      await c.waitFor(SESSION);
      const receiver = svc.traces.receiver!.url;
      assert.match(c.stdout, /\[order_status -> orders\]\nOrders desk/, "who answers, then the reply");
      assert.match(c.stdout, new RegExp(`trace: ${receiver}/ui/traces/[0-9a-f]{32}`));
      const firstSession = SESSION.exec(c.stdout)![1];

      c.send("ok, what should I do next?");
      await c.waitFor(SESSION, 2);
      assert.equal(
        c.stdout.match(new RegExp(`session ${firstSession}`, "g"))?.length,
        2,
        "the follow-up stays in the session",
      );

      c.send("/new");
      await c.waitFor(/\(new session\)/);
      c.send("I was charged twice, I need a refund");
      await c.waitFor(/\[billing -> billing\][^]*session [0-9a-f-]{36}/);
      const sessions = [...c.stdout.matchAll(/session ([0-9a-f-]{36})/g)].map((m) => m[1]);
      assert.notEqual(sessions.at(-1), firstSession);

      c.send("/quit");
      assert.equal(await c.exited, 0);
      assert.match(c.stdout, /bye\n$/);
      assert.doesNotMatch(c.stdout, ANSI, "no colour codes when the output is not a terminal");
      const session = await fetch(`${svc.url}/api/v1/sessions/${firstSession}?user_id=term-user`).then(
        (r) => r.json() as Promise<any>,
      );
      assert.equal(session.turns.length, 2);
    },
  );

  test(
    "who answers is shown as the reply starts, and tokens are printed as they stream",
    { timeout: 30_000 },
    async () => {
      const c = chat(["--url", svc.url]);
      await c.waitFor(/you> /);
      c.send("The app crashes when I log in");
      await c.waitFor(/Tech/);
      const partial = c.stdout;
      await c.waitFor(SESSION);
      assert.match(partial, /\[tech_support -> tech\]\nTech/, "the agent is named before its first word");
      assert.ok(!SESSION.test(partial), "text appeared before the turn ended");
      c.child.stdin.end(); // end of input leaves like /quit
      assert.equal(await c.exited, 0);
    },
  );

  test("replies are word-wrapped to the width: no line runs past it, no word is cut", { timeout: 30_000 }, async () => {
    const c = chat(["--url", svc.url, "--user", "wrapper"], { COLUMNS: "32" });
    c.child.stdin.end("The app crashes when I log in, what can I do?\n/quit\n");
    assert.equal(await c.exited, 0);
    const sid = SESSION.exec(c.stdout)?.[1];
    assert.ok(sid, c.stdout);
    const session = await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=wrapper`).then(
      (r) => r.json() as Promise<any>,
    );
    const reply: string = session.turns[0].reply;
    const shown = c.stdout.slice(c.stdout.indexOf("[tech_support -> tech]\n") + "[tech_support -> tech]\n".length);
    const lines = shown.slice(0, shown.indexOf("  session")).trimEnd().split("\n");
    assert.ok(stringWidth(reply) > 64, "a reply long enough to wrap");
    assert.ok(lines.length >= 3, c.stdout);
    for (const line of lines) assert.ok(stringWidth(line) <= 32, `"${line}" is ${stringWidth(line)} columns`);
    assert.deepEqual(lines.join(" ").split(/\s+/), reply.split(/\s+/), "every word whole, in order");
  });

  test("colours where the terminal has them (FORCE_COLOR), none with NO_COLOR", { timeout: 30_000 }, async () => {
    const coloured = chat(["--url", svc.url], { FORCE_COLOR: "1" });
    coloured.child.stdin.end("hello there!\n/quit\n");
    assert.equal(await coloured.exited, 0);
    assert.match(coloured.stdout, ANSI);
    const plain = chat(["--url", svc.url], { FORCE_COLOR: "1", NO_COLOR: "1" });
    plain.child.stdin.end("hello there!\n/quit\n");
    assert.equal(await plain.exited, 0);
    assert.doesNotMatch(plain.stdout, ANSI);
    assert.match(plain.stdout, /\[small_talk -> chitchat\]/);
  });

  test("a Unicode user id works from start to finish (finding 5)", { timeout: 30_000 }, async () => {
    const c = chat(["--url", svc.url, "--user", "张三"]);
    c.child.stdin.end("我的订单还没有发货\n/quit\n");
    assert.equal(await c.exited, 0);
    assert.doesNotMatch(c.stdout, /! /, "no turn failed");
    assert.match(c.stdout, /\[order_status -> orders\]/);
    const sid = SESSION.exec(c.stdout)?.[1];
    assert.ok(sid, c.stdout);
    const session = await fetch(`${svc.url}/api/v1/sessions/${sid}?user_id=${encodeURIComponent("张三")}`).then(
      (r) => r.json() as Promise<any>,
    );
    assert.equal(session.turns.length, 1);
  });

  test(
    "--user and --session are checked at start: a bad one exits 2 naming it, before any turn",
    { timeout: 30_000 },
    async () => {
      for (const [args, pattern] of [
        [["--user", "bad\u0007bell"], /--user must not contain control, format or invisible characters \(U\+0007/],
        [["--user", "x".repeat(129)], /--user is too long: 129 characters, at most 128/],
        [["--user", ""], /--user must not be empty/],
        [["--session", "../etc/passwd"], /--session must be 1-128 characters of/],
      ] as const) {
        const c = chat(["--url", svc.url, ...args]);
        c.child.stdin.end("hello\n");
        assert.equal(await c.exited, 2, args.join(" "));
        assert.match(c.stdout, pattern);
        assert.doesNotMatch(c.stdout, /you> /);
      }
    },
  );

  test(
    "--session resumes one of the user's sessions; another user's, or one that does not exist, is refused at start",
    { timeout: 30_000 },
    async () => {
      const first = await fetch(`${svc.url}/api/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "I was charged twice", user_id: "resumer" }),
      }).then((r) => r.json() as Promise<any>);
      const c = chat(["--url", svc.url, "--user", "resumer", "--session", first.session_id]);
      await c.waitFor(/resuming session/);
      assert.match(
        c.stdout,
        new RegExp(`resuming session ${first.session_id}: 1 turn, with billing; last: "I was charged twice"`),
      );
      c.child.stdin.end("ok, what now?\n/quit\n");
      assert.equal(await c.exited, 0);
      assert.match(
        c.stdout,
        new RegExp(`\\[billing -> billing\\][^]*session ${first.session_id}`),
        "the follow-up stays with the session's agent",
      );
      const session = await fetch(`${svc.url}/api/v1/sessions/${first.session_id}?user_id=resumer`).then(
        (r) => r.json() as Promise<any>,
      );
      assert.equal(session.turns.length, 2);

      // Another user's session: the service would refuse the first turn (404), so the chat refuses to start.
      for (const [user, sessionId] of [
        ["intruder", first.session_id],
        ["resumer", "no-such-session"],
      ]) {
        const refused = chat(["--url", svc.url, "--user", user, "--session", sessionId]);
        refused.child.stdin.end("hello\n/quit\n");
        assert.equal(await refused.exited, 2, refused.stdout);
        assert.match(refused.stdout, new RegExp(`--session ${sessionId}: "${user}" has no such session`));
        assert.match(refused.stdout, /Leave out --session to start a new one/);
        assert.doesNotMatch(refused.stdout, /you> /);
      }
      const after = await fetch(`${svc.url}/api/v1/sessions/${first.session_id}?user_id=resumer`).then(
        (r) => r.json() as Promise<any>,
      );
      assert.equal(after.turns.length, 2, "nothing was sent to the other user's session");
    },
  );

  test("lines piped all at once are answered in order", { timeout: 30_000 }, async () => {
    const c = chat(["--url", svc.url, "--user", "piped"]);
    c.child.stdin.end("hello there!\nI need a refund\n/quit\n");
    assert.equal(await c.exited, 0);
    const order = [...c.stdout.matchAll(/\[(\w+) -> (\w+)\]/g)].map((m) => m[2]);
    assert.deepEqual(order, ["chitchat", "billing"]);
  });

  test(
    "the service is checked at start: nothing listening, or not a Switchboard, is said at once (exit 1), not at the first message",
    { timeout: 30_000 },
    async () => {
      const closed = await closedPort();
      const down = chat(["--url", `http://127.0.0.1:${closed}`]);
      down.child.stdin.end("hi\n");
      assert.equal(await down.exited, 1);
      assert.match(
        down.stdout,
        new RegExp(`chat: unreachable: cannot reach http://127\\.0\\.0\\.1:${closed}: ECONNREFUSED`),
      );
      assert.match(down.stdout, /Start it with `npm start`, or pass --url \(or set SWITCHBOARD_URL\)/);
      assert.doesNotMatch(down.stdout, /you> |fetch failed/);

      // Something else on the port (the local receiver answers HTTP, but it is no Switchboard).
      const stranger = chat(["--url", svc.traces.receiver!.url]);
      stranger.child.stdin.end("hi\n");
      assert.equal(await stranger.exited, 1);
      assert.match(stranger.stdout, /not a Switchboard service|does not list the switchboard-router model/);
      assert.doesNotMatch(stranger.stdout, /you> /);
    },
  );

  test(
    "SWITCHBOARD_URL is honoured, also as the OpenAI clients' base URL ending in /v1",
    { timeout: 30_000 },
    async () => {
      for (const url of [svc.url, `${svc.url}/v1`]) {
        const c = chat(["--user", "env-url"], { SWITCHBOARD_URL: url });
        c.child.stdin.end("hello there!\n/quit\n");
        assert.equal(await c.exited, 0, c.stdout);
        assert.match(c.stdout, new RegExp(`Switchboard chat at ${svc.url} as "env-url"`));
        assert.match(c.stdout, /\[small_talk -> chitchat\]/);
      }
    },
  );

  test(
    "/good and /bad rate the last reply: a score on its trace, sent with the key; the latest rating replaces the first",
    { timeout: 30_000 },
    async () => {
      // A service that needs its key, so the feedback request is refused unless it carries it.
      const keyed = await startService({
        LANGFUSE_ENABLED: "true",
        LANGFUSE_LOCAL_RECEIVER_PORT: "0",
        LANGFUSE_LOCAL_RECEIVER_DB: ":memory:",
        API_KEYS: "sk-sb-terminal-chat-key-0123456789",
      });
      try {
        const c = chat(["--url", keyed.url, "--user", "rater", "--api-key", "sk-sb-terminal-chat-key-0123456789"]);
        await c.waitFor(/you> /);
        c.send("/good");
        await c.waitFor(/no reply to rate yet/);
        c.send("Where is my order 1234?");
        await c.waitFor(SESSION);
        c.send("/good");
        await c.waitFor(/rated good: score [0-9a-f-]{36} on trace [0-9a-f]{32}/);
        c.send("/bad the parcel never came");
        await c.waitFor(/rated bad: score [0-9a-f-]{36} on trace [0-9a-f]{32}/);
        c.send("/quit");
        assert.equal(await c.exited, 0);
        assert.doesNotMatch(c.stdout, / {2}! /, "no request failed");

        const traceId = /trace: \S+\/ui\/traces\/([0-9a-f]{32})/.exec(c.stdout)?.[1];
        assert.ok(traceId, c.stdout);
        const rated = [...c.stdout.matchAll(/rated (?:good|bad): score (\S+) on trace (\S+)\)/g)];
        assert.deepEqual(
          rated.map((m) => m[2]),
          [traceId, traceId],
          "both ratings are on the reply's trace",
        );
        assert.equal(rated[0]![1], rated[1]![1], "one score per trace, name and user: /bad replaced /good");

        // The score as Langfuse serves it, from the receiver the service sends to.
        const receiver = keyed.traces.receiver!;
        const score = await waitForValue(async () => {
          const res = await fetch(`${receiver.url}/api/public/v2/scores?traceId=${traceId}`, {
            headers: { authorization: basicAuthHeader(receiver.keys) },
          });
          const data = ((await res.json()) as { data: any[] }).data;
          return data.length === 1 && data[0].value === 0 ? data[0] : undefined;
        });
        assert.equal(score.id, rated[0]![1]);
        assert.equal(score.name, "user_feedback");
        assert.equal(score.dataType, "BOOLEAN");
        assert.equal(score.comment, "the parcel never came");
      } finally {
        await keyed.close();
      }

      // A service without the endpoint (one from before it): said plainly, the chat goes on.
      const old = await withoutFeedbackEndpoint(svc.url);
      servers.push(old.server);
      const chatProcess = chat(["--url", old.url, "--user", "rater"]);
      chatProcess.child.stdin.end("hello there!\n/bad\nthanks\n/quit\n");
      assert.equal(await chatProcess.exited, 0);
      assert.match(
        chatProcess.stdout,
        /this service has no feedback endpoint \(POST \/api\/v1\/feedback answered 404\)/,
      );
      assert.equal(old.calls, 1);
      assert.equal([...chatProcess.stdout.matchAll(/session [0-9a-f-]{36}/g)].length, 2);
    },
  );
});
