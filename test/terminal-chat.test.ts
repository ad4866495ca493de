import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startService, type RunningService } from "./support/start-service.js";

// Compiled tests run dist/src/cli/chat.js; under tsx the .ts source (with the same loader flags).
const compiled = fileURLToPath(new URL("../src/cli/chat.js", import.meta.url));
const SCRIPT = existsSync(compiled) ? compiled : fileURLToPath(new URL("../src/cli/chat.ts", import.meta.url));

/** The chat client as a child process, driven line by line through its standard input. */
class ChatProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = "";
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [...process.execArgv, SCRIPT, ...args], { stdio: "pipe" });
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

describe("terminal chat (npm run chat)", () => {
  let svc: RunningService;
  const children: ChatProcess[] = [];
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
    await svc.close();
  });

  test(
    "streams replies, shows intent, agent and trace link, keeps the session, /new starts another, /quit leaves",
    { timeout: 30_000 },
    async () => {
      const chat = new ChatProcess(["--url", svc.url, "--user", "term-user"]);
      children.push(chat);
      await chat.waitFor(/you> /);
      chat.send("Where is my order 1234?");
      await chat.waitFor(/\[order_status -> orders\] session ([0-9a-f-]{36})/);
      const receiver = svc.traces.receiver!.url;
      assert.match(chat.stdout, new RegExp(`trace: ${receiver}/ui/traces/[0-9a-f]{32}`));
      assert.match(chat.stdout, /Orders desk/);
      const firstSession = /session ([0-9a-f-]{36})/.exec(chat.stdout)![1];

      chat.send("ok, what should I do next?");
      await chat.waitFor(/\[order_status -> orders\] session/, 2);
      assert.equal(
        chat.stdout.match(new RegExp(`session ${firstSession}`, "g"))?.length,
        2,
        "the follow-up stays in the session",
      );

      chat.send("/new");
      await chat.waitFor(/\(new session\)/);
      chat.send("I was charged twice, I need a refund");
      await chat.waitFor(/\[billing -> billing\] session ([0-9a-f-]{36})/);
      const sessions = [...chat.stdout.matchAll(/session ([0-9a-f-]{36})/g)].map((m) => m[1]);
      assert.notEqual(sessions.at(-1), firstSession);

      chat.send("/quit");
      assert.equal(await chat.exited, 0);
      assert.match(chat.stdout, /bye\n$/);
      const session = await fetch(`${svc.url}/api/v1/sessions/${firstSession}?user_id=term-user`).then(
        (r) => r.json() as Promise<any>,
      );
      assert.equal(session.turns.length, 2);
    },
  );

  test("tokens are printed as they stream, before the turn ends", { timeout: 30_000 }, async () => {
    const chat = new ChatProcess(["--url", svc.url]);
    children.push(chat);
    await chat.waitFor(/you> /);
    chat.send("The app crashes when I log in");
    await chat.waitFor(/Tech/);
    const partial = chat.stdout;
    await chat.waitFor(/\[tech_support -> tech\]/);
    assert.ok(!partial.includes("[tech_support -> tech]"), "text appeared before the turn summary");
    chat.child.stdin.end(); // end of input leaves like /quit
    assert.equal(await chat.exited, 0);
  });

  test("a Unicode user id works from start to finish (finding 5)", { timeout: 30_000 }, async () => {
    const chat = new ChatProcess(["--url", svc.url, "--user", "张三"]);
    children.push(chat);
    chat.child.stdin.end("我的订单还没有发货\n/quit\n");
    assert.equal(await chat.exited, 0);
    assert.doesNotMatch(chat.stdout, /! /, "no turn failed");
    const sid = /\[order_status -> orders\] session ([0-9a-f-]{36})/.exec(chat.stdout)?.[1];
    assert.ok(sid, chat.stdout);
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
        const chat = new ChatProcess(["--url", svc.url, ...args]);
        children.push(chat);
        chat.child.stdin.end("hello\n");
        assert.equal(await chat.exited, 2, args.join(" "));
        assert.match(chat.stdout, pattern);
        assert.doesNotMatch(chat.stdout, /you> /);
      }
    },
  );

  test(
    "--session resumes a session: its turns are shown and the next message continues it",
    { timeout: 30_000 },
    async () => {
      const first = await fetch(`${svc.url}/api/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "I was charged twice", user_id: "resumer" }),
      }).then((r) => r.json() as Promise<any>);
      const chat = new ChatProcess(["--url", svc.url, "--user", "resumer", "--session", first.session_id]);
      children.push(chat);
      await chat.waitFor(/resuming session/);
      assert.match(
        chat.stdout,
        new RegExp(`resuming session ${first.session_id}: 1 turn, with billing; last: "I was charged twice"`),
      );
      chat.child.stdin.end("ok, what now?\n/quit\n");
      assert.equal(await chat.exited, 0);
      assert.match(
        chat.stdout,
        new RegExp(`\\[billing -> billing\\] session ${first.session_id}`),
        "the follow-up stays with the session's agent",
      );
      const session = await fetch(`${svc.url}/api/v1/sessions/${first.session_id}?user_id=resumer`).then(
        (r) => r.json() as Promise<any>,
      );
      assert.equal(session.turns.length, 2);

      const fresh = new ChatProcess(["--url", svc.url, "--user", "resumer", "--session", "my-named-session"]);
      children.push(fresh);
      fresh.child.stdin.end("hello\n/quit\n");
      assert.equal(await fresh.exited, 0);
      assert.match(fresh.stdout, /session my-named-session has no turns for "resumer" yet/);
      assert.match(fresh.stdout, /session my-named-session\n/);
    },
  );

  test(
    "lines piped all at once are answered in order; an unreachable service is reported, not fatal",
    { timeout: 30_000 },
    async () => {
      const chat = new ChatProcess(["--url", svc.url, "--user", "piped"]);
      children.push(chat);
      chat.child.stdin.end("hello there!\nI need a refund\n/quit\n");
      assert.equal(await chat.exited, 0);
      const order = [...chat.stdout.matchAll(/\[(\w+) -> (\w+)\]/g)].map((m) => m[2]);
      assert.deepEqual(order, ["chitchat", "billing"]);

      const down = new ChatProcess(["--url", "http://127.0.0.1:9"]);
      children.push(down);
      down.child.stdin.end("hi\n");
      assert.equal(await down.exited, 0);
      assert.match(down.stdout, /! unreachable: cannot reach http:\/\/127\.0\.0\.1:9/);
    },
  );
});
