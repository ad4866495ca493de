// The terminal chat's connection to a running service: one streamed turn over the native SSE
// endpoint (POST /api/v1/chat/stream), tokens handed out as they arrive.

export interface TurnDone {
  reply: string;
  session_id: string;
  intent: string | null;
  agent: string | null;
  clarification: boolean;
  trace_id: string | null;
  trace_url?: string | null;
}

export interface ChatClientOptions {
  /** Base URL of the service, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Sent as `Authorization: Bearer` when the service requires API keys. */
  apiKey?: string;
  /** Upper bound of one turn, so a hung service does not hang the terminal. */
  timeoutMs: number;
}

/** A turn that failed: the service's error code and message, or a connection problem. */
export class ChatClientError extends Error {
  override name = "ChatClientError";
  constructor(
    readonly code: string,
    message: string,
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

function authHeaders(options: ChatClientOptions): Record<string, string> {
  return options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
}

/** The session as the service keeps it (its latest turn only), or null when it has no turns for this user (404). */
export async function readSession(
  options: ChatClientOptions,
  sessionId: string,
  userId: string,
): Promise<SessionSummary | null> {
  let res: Response;
  try {
    res = await fetch(
      `${options.url.replace(/\/+$/, "")}/api/v1/sessions/${encodeURIComponent(sessionId)}?user_id=${encodeURIComponent(userId)}&limit=1`,
      {
        headers: authHeaders(options),
        signal: AbortSignal.timeout(options.timeoutMs),
      },
    );
  } catch (err) {
    throw new ChatClientError("unreachable", `cannot reach ${options.url}: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => null)) as
    (SessionSummary & { error?: { code?: string; message?: string } }) | null;
  if (res.status === 404 && body?.error?.code === "session_not_found") return null;
  if (!res.ok || !body)
    throw new ChatClientError(body?.error?.code ?? `http_${res.status}`, body?.error?.message ?? `HTTP ${res.status}`);
  return body;
}

export async function streamTurn(
  options: ChatClientOptions,
  turn: { message: string; userId: string; sessionId?: string },
  onToken: (text: string) => void,
): Promise<TurnDone> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "text/event-stream",
    ...authHeaders(options),
  };
  let res: Response;
  try {
    res = await fetch(`${options.url.replace(/\/+$/, "")}/api/v1/chat/stream`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        message: turn.message,
        user_id: turn.userId,
        ...(turn.sessionId ? { session_id: turn.sessionId } : {}),
      }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    throw new ChatClientError("unreachable", `cannot reach ${options.url}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    throw new ChatClientError(body?.error?.code ?? `http_${res.status}`, body?.error?.message ?? `HTTP ${res.status}`);
  }
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes as Uint8Array, { stream: true });
    const { events, rest } = takeEvents(buffer);
    buffer = rest;
    for (const { event, data } of events) {
      const payload = JSON.parse(data) as Record<string, unknown>;
      if (event === "token") onToken(String(payload["text"] ?? ""));
      else if (event === "done") return payload as unknown as TurnDone;
      else if (event === "error") throw new ChatClientError(String(payload["code"]), String(payload["message"]));
    }
  }
  throw new ChatClientError("incomplete", "the service ended the stream without an answer");
}
