import type { FastifyInstance } from "fastify";
import { ClientGoneError, type ChatService } from "../chat/chat-service.js";
import { toApiError } from "./error-response.js";
import { parseChatRequest } from "./chat-request.js";

export interface ChatRoutesOptions {
  chat: ChatService;
  maxMessageChars: number;
}

export function registerChatRoutes(app: FastifyInstance, options: ChatRoutesOptions): void {
  const { chat, maxMessageChars } = options;

  app.post("/api/v1/chat", async (request) => {
    const body = parseChatRequest(request.body, maxMessageChars);
    // A plain request whose client leaves mid-turn still finishes: the session gets the answer.
    const result = await chat.runTurn({ userId: body.user_id, sessionId: body.session_id, message: body.message, endpoint: "chat" });
    // A developer on the local receiver gets the link to the turn's trace in the log.
    if (result.trace_url) request.log.info({ trace_url: result.trace_url }, "trace");
    return result;
  });

  app.post("/api/v1/chat/stream", async (request, reply) => {
    const body = parseChatRequest(request.body, maxMessageChars);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      "x-request-id": request.id,
    });
    const gone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    const send = (event: string, data: unknown) => {
      if (!res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const started = performance.now();
    let status = "done";
    let traceUrl: string | null = null;
    try {
      const result = await chat.runTurn({
        userId: body.user_id,
        sessionId: body.session_id,
        message: body.message,
        endpoint: "stream",
        clientSignal: gone.signal,
        onToken: (text) => send("token", { text }),
      });
      traceUrl = result.trace_url;
      send("done", result);
    } catch (err) {
      if (err instanceof ClientGoneError) {
        status = "client_gone";
      } else {
        const api = toApiError(err as Error);
        status = api?.code ?? "internal_error";
        if (!api) request.log.error({ err }, "unhandled error in streamed turn");
        send("error", api ? { code: api.code, message: api.message } : { code: "internal_error", message: `an internal error occurred (request ${request.id})` });
      }
    } finally {
      res.end();
      request.log.info({ method: "POST", route: "/api/v1/chat/stream", outcome: status, ms: Math.round((performance.now() - started) * 10) / 10, ...(traceUrl ? { trace_url: traceUrl } : {}) }, "stream finished");
    }
  });

  app.get<{ Params: { session_id: string }; Querystring: { user_id?: string } }>("/api/v1/sessions/:session_id", async (request) => {
    const userId = request.query.user_id;
    const { ApiError } = await import("../chat/chat-errors.js");
    if (typeof userId !== "string" || !/^[A-Za-z0-9._:@-]{1,128}$/.test(userId)) {
      throw new ApiError(400, "invalid_request", "user_id query parameter is required (1-128 characters of A-Z a-z 0-9 . _ : @ -)", "user_id");
    }
    return chat.getSession(request.params.session_id, userId);
  });
}
