// `npm run chat`: an interactive terminal client for a running Switchboard. Streams each reply
// as it is written, then shows who answered (intent -> agent) and the link to the turn's trace.
// Lines starting with / are commands: /new starts a new session, /quit (or end of input) leaves.
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { ChatClientError, streamTurn } from "./chat-client.js";

const USAGE = `usage: npm run chat -- [--url http://127.0.0.1:3000] [--user NAME] [--api-key KEY]
  --url      the service (default http://127.0.0.1:3000)
  --user     your user id (default: terminal)
  --api-key  Bearer key, when the service sets API_KEYS (default: $SWITCHBOARD_API_KEY)
  in the chat: /new starts a new session, /quit leaves`;

const TURN_TIMEOUT_MS = 180_000;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        url: { type: "string", default: "http://127.0.0.1:3000" },
        user: { type: "string", default: "terminal" },
        "api-key": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const client = { url: args.url, apiKey: args["api-key"] ?? process.env["SWITCHBOARD_API_KEY"], timeoutMs: TURN_TIMEOUT_MS };
  const out = process.stdout;
  out.write(`Switchboard chat at ${client.url} as "${args.user}". /new starts a new session, /quit leaves.\n`);

  const rl = createInterface({ input: process.stdin, output: out, prompt: "you> ", terminal: process.stdin.isTTY });
  let sessionId: string | undefined;
  rl.prompt();
  // The async iterator queues lines typed (or piped) while a turn is still streaming.
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === "/quit" || line === "/exit") break;
    if (line === "/new") {
      sessionId = undefined;
      out.write("(new session)\n");
    } else if (line.startsWith("/")) {
      out.write("commands: /new, /quit\n");
    } else if (line !== "") {
      try {
        const done = await streamTurn(client, { message: line, userId: args.user, sessionId }, (text) => out.write(text));
        sessionId = done.session_id;
        const who = done.clarification ? "clarifying question" : `${done.intent ?? "?"} -> ${done.agent ?? "?"}`;
        out.write(`\n  [${who}] session ${done.session_id}${done.trace_url ? `\n  trace: ${done.trace_url}` : ""}\n`);
      } catch (err) {
        const e = err instanceof ChatClientError ? err : new ChatClientError("error", String(err));
        out.write(`\n  ! ${e.code}: ${e.message}\n`);
      }
    }
    rl.prompt();
  }
  rl.close();
  out.write("bye\n");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`chat: ${String(err)}\n`);
    process.exit(1);
  },
);
