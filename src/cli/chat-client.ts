// The terminal chat's connection to a running service: the start-up checks (the service answers,
// the key is accepted, the session is the user's), one streamed turn over the native SSE
// endpoint (POST /api/v1/chat/stream: who answers, then tokens as they arrive), and feedback on
// a reply (POST /api/v1/feedback).

export interface TurnDone {
  reply: string;
  session_id: string;
  intent: string | null;
  agent: string | null;
  clarification: boolean;
  trace_id: string | null;
  trace_url?: string | null;
}

/** Who answers a turn: the stream's `route` event, sent just before the first token. */
export interface TurnRoute {
  intent: string | null;
  agent: string | null;
  clarification: boolean;
}

export interface ChatClientOptions {
  /** Base URL of the service, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Sent as `Authorization: Bearer` when the service requires API keys. */
  apiKey?: string;
  /** Upper bound of one turn, so a hung service does not hang the terminal. */
  timeoutMs: number;
}

/** A request that failed: the service's error code and message, or a connection problem. */
export class ChatClientError extends Error {
  override name = "ChatClientError";
  constructor(
    readonly code: string,
    message: string,
    /** The trace holding the cause, when the service names one. */
    readonly traceId?: string,
  ) {
    super(message);
  }
}

interface SseEvent {
  event: string;
  data: string;
}

/** Splits a growing SSE text buffer into complete events; returns them and the unfinished rest. */
function takeEvents(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  let start = 0;
  for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n", start)) {
    let event = "message";
    let data = "";
    for (const line of buffer.slice(start, end).split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    events.push({ event, data });
    start = end + 2;
  }
  return { events, rest: buffer.slice(start) };
}

export interface SessionSummary {
  session_id: string;
  current_intent: string | null;
  current_agent: string | null;
  /** Turns the session has had in all; `turns` holds the latest of them (a page). */
  turn_count: number;
  turns: { user: string; reply: string; agent: string | null }[];
}

interface ErrorBody {
  error?: { code?: string; message?: string; trace_id?: string };
}

/** The service's root URL: SWITCHBOARD_URL is the OpenAI clients' base URL (…/v1), which names the same service. */
export function serviceRoot(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v1$/, "");
}

function authHeaders(options: ChatClientOptions): Record<string, string> {
  return options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
}

const endpoint = (options: ChatClientOptions, path: string) => `${options.url.replace(/\/+$/, "")}${path}`;

/** fetch, with a connection failure turned into an `unreachable` error that names the URL and the cause. */
async function request(options: ChatClientOptions, path: string, init: RequestInit, timeoutMs: number) {
  try {
    return await fetch(endpoint(options, path), { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (err as Error).name === "TimeoutError"
        ? `no answer within ${timeoutMs / 1000} s`
        : (cause?.code ?? cause?.message ?? (err as Error).message);
    throw new ChatClientError("unreachable", `cannot reach ${options.url}: ${why}`);
  }
}

async function failure(res: Response): Promise<ChatClientError> {
  const body = (await res.json().catch(() => null)) as ErrorBody | null;
  return new ChatClientError(
    body?.error?.code ?? `http_${res.status}`,
    body?.error?.message ?? `HTTP ${res.status}`,
    body?.error?.trace_id,
  );
}

/** How long the start-up checks wait for an answer: a service that is up answers them at once. */
const CHECK_TIMEOUT_MS = 5_000;

/**
 * Checks that a Switchboard answers at the URL and takes the key (if any): its health endpoint,
 * then the model list (`switchboard-router`), which needs the key when the service has API keys.
 */
export async function checkService(options: ChatClientOptions): Promise<void> {
  const health = await request(options, "/healthz", {}, CHECK_TIMEOUT_MS);
  const body = (await health.json().catch(() => null)) as { status?: unknown } | null;
  if (!health.ok || body?.status !== "ok")
    throw new ChatClientError(
      "not_switchboard",
      `${options.url} answered GET /healthz with HTTP ${health.status}, not a Switchboard service`,
    );
  const models = await request(options, "/v1/models", { headers: authHeaders(options) }, CHECK_TIMEOUT_MS);
  if (models.status === 401)
    throw new ChatClientError(
      "unauthorized",
      options.apiKey
        ? `the service at ${options.url} refused the API key (--api-key or SWITCHBOARD_API_KEY)`
        : `the service at ${options.url} requires an API key: pass --api-key or set SWITCHBOARD_API_KEY`,
    );
  if (!models.ok) throw await failure(models);
  const list = (await models.json().catch(() => null)) as { data?: { id?: unknown }[] } | null;
  if (!list?.data?.some((m) => m.id === "switchboard-router"))
    throw new ChatClientError("not_switchboard", `${options.url} does not list the switchboard-router model`);
}

/**
 * The session as the service keeps it (its latest turn only), or null when this user has no such
 * session: it does not exist, or belongs to someone else (the service gives both the same 404).
 */
export async function readSession(
  options: ChatClientOptions,
  sessionId: string,
  userId: string,
): Promise<SessionSummary | null> {
  const res = await request(
    options,
    `/api/v1/sessions/${encodeURIComponent(sessionId)}?user_id=${encodeURIComponent(userId)}&limit=1`,
    { headers: authHeaders(options) },
    options.timeoutMs,
  );
  if (res.ok) return (await res.json()) as SessionSummary;
  const err = await failure(res);
  if (res.status === 404 && err.code === "session_not_found") return null;
  throw err;
}

/** One streamed turn: `onRoute` once who answers is known (as the reply starts), `onToken` for each piece of text. */
export async function streamTurn(
  options: ChatClientOptions,
  turn: { message: string; userId: string; sessionId?: string },
  handlers: { onToken: (text: string) => void; onRoute?: (route: TurnRoute) => void },
): Promise<TurnDone> {
  const res = await request(
    options,
    "/api/v1/chat/stream",
    {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...authHeaders(options) },
      body: JSON.stringify({
        message: turn.message,
        user_id: turn.userId,
        ...(turn.sessionId ? { session_id: turn.sessionId } : {}),
      }),
    },
    options.timeoutMs,
  );
  if (!res.ok || !res.body) throw await failure(res);
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes as Uint8Array, { stream: true });
    const { events, rest } = takeEvents(buffer);
    buffer = rest;
    for (const { event, data } of events) {
      const payload = JSON.parse(data) as Record<string, unknown>;
      if (event === "token") handlers.onToken(String(payload["text"] ?? ""));
      else if (event === "route") handlers.onRoute?.(payload as unknown as TurnRoute);
      else if (event === "done") return payload as unknown as TurnDone;
      else if (event === "error")
        throw new ChatClientError(
          String(payload["code"]),
          String(payload["message"]),
          typeof payload["trace_id"] === "string" ? payload["trace_id"] : undefined,
        );
    }
  }
  throw new ChatClientError("incomplete", "the service ended the stream without an answer");
}

/** A user's rating of one reply, as POST /api/v1/feedback takes it. */
export interface Feedback {
  traceId: string;
  userId: string;
  /** true: a good reply (/good), false: a bad one (/bad). */
  value: boolean;
  comment?: string;
}

/** Records a rating of a reply (its trace) as a score; resolves with the score's id. */
export async function sendFeedback(options: ChatClientOptions, feedback: Feedback): Promise<string> {
  const res = await request(
    options,
    "/api/v1/feedback",
    {
      method: "POST",
      headers: { "content-type": "application/json", ...authHeaders(options) },
      body: JSON.stringify({
        trace_id: feedback.traceId,
        value: feedback.value,
        name: "user_feedback",
        user_id: feedback.userId,
        ...(feedback.comment ? { comment: feedback.comment } : {}),
      }),
    },
    CHECK_TIMEOUT_MS,
  );
  if (res.status !== 202) throw await failure(res);
  const body = (await res.json().catch(() => null)) as { score_id?: unknown } | null;
  if (typeof body?.score_id !== "string")
    throw new ChatClientError("bad_answer", "the service accepted the feedback without naming its score");
  return body.score_id;
}
