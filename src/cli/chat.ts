// `npm run chat`: an interactive terminal client for a running Switchboard. Streams each reply
// as it is written, then shows who answered (intent -> agent) and the link to the turn's trace.
// Lines starting with / are commands: /new starts a new session, /quit (or end of input) leaves.
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { isValidSessionId, SESSION_ID_RULE } from "../chat/session-id.js";
import { userIdProblem } from "../chat/user-id.js";
import { ChatClientError, readSession, streamTurn } from "./chat-client.js";

const USAGE = `usage: npm run chat -- [--url http://127.0.0.1:3000] [--user NAME] [--session ID] [--api-key KEY]
  --url      the service (default http://127.0.0.1:3000)
  --user     your user id: 1-128 characters, any language, no control characters (default: terminal)
  --session  resume this session (its id, as shown after each turn); default: a new one
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
        session: { type: "string" },
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
  // Checked here, by the service's own rules, so a bad id is reported before the first turn.
  const userProblem = userIdProblem(args.user);
  if (userProblem) {
    process.stderr.write(`chat: --user ${userProblem}\n${USAGE}\n`);
    return 2;
  }
  if (args.session !== undefined && !isValidSessionId(args.session)) {
    process.stderr.write(`chat: --session must be ${SESSION_ID_RULE}\n${USAGE}\n`);
    return 2;
  }
  const client = {
    url: args.url,
    apiKey: args["api-key"] ?? process.env["SWITCHBOARD_API_KEY"],
    timeoutMs: TURN_TIMEOUT_MS,
  };
  const out = process.stdout;
  out.write(`Switchboard chat at ${client.url} as "${args.user}". /new starts a new session, /quit leaves.\n`);

  let sessionId = args.session;
  if (sessionId !== undefined) out.write(`${await describeResumed(client, sessionId, args.user)}\n`);

  const rl = createInterface({ input: process.stdin, output: out, prompt: "you> ", terminal: process.stdin.isTTY });
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
        const done = await streamTurn(client, { message: line, userId: args.user, sessionId }, (text) =>
          out.write(text),
        );
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

/** One line about the session being resumed: its last turn, or why it cannot be shown. */
async function describeResumed(
  client: { url: string; apiKey?: string; timeoutMs: number },
  sessionId: string,
  userId: string,
): Promise<string> {
  try {
    const session = await readSession(client, sessionId, userId);
    if (!session) return `(session ${sessionId} has no turns for "${userId}" yet: it starts with your first message)`;
    const last = session.turns.at(-1);
    return `(resuming session ${sessionId}: ${session.turn_count} turn${session.turn_count === 1 ? "" : "s"}, with ${session.current_agent ?? "no agent yet"}${last ? `; last: "${last.user}"` : ""})`;
  } catch (err) {
    const e = err instanceof ChatClientError ? err : new ChatClientError("error", String(err));
    return `  ! ${e.code}: ${e.message}`;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`chat: ${String(err)}\n`);
    process.exit(1);
  },
);
