// `npm run chat`: an interactive terminal client for a running Switchboard. It checks the service
// (and the session to resume) before the first message, shows who answers as the reply starts,
// streams the reply word-wrapped to the terminal, then the session and the link to the turn's
// trace. Lines starting with / are commands: /new starts a new session, /good and /bad rate the
// last reply (optionally with a comment), /quit (or end of input) leaves.
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { isValidSessionId, SESSION_ID_RULE } from "../chat/session-id.js";
import { userIdProblem } from "../chat/user-id.js";
import {
  ChatClientError,
  checkService,
  readSession,
  sendFeedback,
  serviceRoot,
  streamTurn,
  type ChatClientOptions,
  type TurnDone,
  type TurnRoute,
} from "./chat-client.js";
import { TerminalOutput } from "./terminal-output.js";
import { StreamingWordWrap } from "./word-wrap.js";

const DEFAULT_URL = "http://127.0.0.1:3000";

const USAGE = `usage: npm run chat -- [--url URL] [--user NAME] [--session ID] [--api-key KEY]
  --url      the service (default: $SWITCHBOARD_URL, else ${DEFAULT_URL}; a URL ending in /v1 works too)
  --user     your user id: 1-128 characters, any language, no control characters (default: terminal)
  --session  resume one of your sessions (its id, as shown after each turn); default: a new one
  --api-key  Bearer key, when the service sets API_KEYS (default: $SWITCHBOARD_API_KEY)
  in the chat: /new starts a new session, /good or /bad [comment] rates the last reply, /quit leaves`;

const COMMANDS = "commands: /new, /good [comment], /bad [comment], /quit";
const TURN_TIMEOUT_MS = 180_000;

function describeError(err: unknown): string {
  const e = err instanceof ChatClientError ? err : new ChatClientError("error", String(err));
  return `${e.code}: ${e.message}${e.traceId ? ` (trace ${e.traceId})` : ""}`;
}

function whoAnswers(route: TurnRoute | TurnDone): string {
  return route.clarification ? "[clarifying question]" : `[${route.intent ?? "?"} -> ${route.agent ?? "?"}]`;
}

async function main(): Promise<number> {
  const env = process.env;
  let args;
  try {
    args = parseArgs({
      options: {
        url: { type: "string", default: env["SWITCHBOARD_URL"] || DEFAULT_URL },
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
  const client: ChatClientOptions = {
    url: serviceRoot(args.url),
    apiKey: args["api-key"] ?? env["SWITCHBOARD_API_KEY"],
    timeoutMs: TURN_TIMEOUT_MS,
  };
  const out = new TerminalOutput(process.stdout, env);
  const user = args.user;

  // The service is checked before the first message, not found dead at it.
  try {
    await checkService(client);
  } catch (err) {
    const hint =
      err instanceof ChatClientError && err.code === "unreachable"
        ? `\nchat: is the service running? Start it with \`npm start\`, or pass --url (or set SWITCHBOARD_URL).`
        : "";
    process.stderr.write(`chat: ${describeError(err)}${hint}\n`);
    return 1;
  }

  let sessionId = args.session;
  let resumed = "";
  if (sessionId !== undefined) {
    try {
      const session = await readSession(client, sessionId, user);
      if (!session) {
        process.stderr.write(
          `chat: --session ${sessionId}: "${user}" has no such session (it does not exist, or it is another user's). Leave out --session to start a new one.\n`,
        );
        return 2;
      }
      const last = session.turns.at(-1);
      resumed = `(resuming session ${sessionId}: ${session.turn_count} turn${session.turn_count === 1 ? "" : "s"}, with ${session.current_agent ?? "no agent yet"}${last ? `; last: "${last.user}"` : ""})\n`;
    } catch (err) {
      process.stderr.write(`chat: --session ${sessionId}: ${describeError(err)}\n`);
      return 2;
    }
  }

  out.write(
    `Switchboard chat at ${client.url} as "${user}". /new starts a new session, /good or /bad rates the last reply, /quit leaves.\n${resumed}`,
  );
  let lastTraceId: string | null | undefined;

  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt: out.style("prompt", "you> "),
    terminal: process.stdin.isTTY,
  });
  rl.prompt();
  // The async iterator queues lines typed (or piped) while a turn is still streaming.
  for await (const raw of rl) {
    const line = raw.trim();
    const [command = "", ...rest] = line.split(/\s+/);
    if (command === "/quit" || command === "/exit") break;
    if (command === "/new") {
      sessionId = undefined;
      lastTraceId = undefined;
      out.write("(new session)\n");
    } else if (command === "/good" || command === "/bad") {
      out.write(`${await rate(client, user, lastTraceId, command === "/good", rest.join(" "), out)}\n`);
    } else if (line.startsWith("/")) {
      out.write(`${COMMANDS}\n`);
    } else if (line !== "") {
      const done = await turn(client, { message: line, userId: user, sessionId }, out);
      if (done) {
        sessionId = done.session_id;
        lastTraceId = done.trace_id;
      }
    }
    rl.prompt();
  }
  rl.close();
  out.write("bye\n");
  return 0;
}

/** One turn on screen: who answers as the reply starts, the reply wrapped as it streams, then its session and trace. */
async function turn(
  client: ChatClientOptions,
  request: { message: string; userId: string; sessionId?: string },
  out: TerminalOutput,
): Promise<TurnDone | undefined> {
  const wrap = new StreamingWordWrap((text) => out.write(text), out.wrapWidth);
  const resize = () => (wrap.width = out.wrapWidth);
  out.onResize(resize);
  let announced = false;
  try {
    const done = await streamTurn(client, request, {
      onRoute: (route) => {
        announced = true;
        out.write(`${out.style("agent", whoAnswers(route))}\n`);
      },
      onToken: (text) => wrap.push(text),
    });
    wrap.end();
    // A service that sends no route event: who answered is known at the end.
    const who = announced ? "" : `${out.style("agent", whoAnswers(done))} `;
    out.write(
      `${wrap.column > 0 || !announced ? "\n" : ""}${who}${out.style("meta", `  session ${done.session_id}`)}\n${done.trace_url ? `${out.style("meta", `  trace: ${done.trace_url}`)}\n` : ""}`,
    );
    return done;
  } catch (err) {
    wrap.end();
    out.write(`${wrap.column > 0 ? "\n" : ""}${out.style("error", `  ! ${describeError(err)}`)}\n`);
    return undefined;
  } finally {
    process.stdout.removeListener("resize", resize);
  }
}

/** /good and /bad: the rating of the last reply, sent as feedback on its trace; returns the line to show. */
async function rate(
  client: ChatClientOptions,
  userId: string,
  traceId: string | null | undefined,
  good: boolean,
  comment: string,
  out: TerminalOutput,
): Promise<string> {
  if (traceId === undefined) return "(no reply to rate yet)";
  if (traceId === null) return "(the last reply was not traced, so there is nothing to attach a rating to)";
  try {
    const scoreId = await sendFeedback(client, { traceId, userId, value: good, ...(comment ? { comment } : {}) });
    return out.style("meta", `(rated ${good ? "good" : "bad"}: score ${scoreId} on trace ${traceId})`);
  } catch (err) {
    const notThere = err instanceof ChatClientError && err.code === "not_found";
    return out.style(
      "error",
      notThere
        ? `  ! this service has no feedback endpoint (POST /api/v1/feedback answered 404): upgrade it to rate replies`
        : `  ! ${describeError(err)}`,
    );
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`chat: ${String(err)}\n`);
    process.exit(1);
  },
);
