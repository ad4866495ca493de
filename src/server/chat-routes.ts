import { TurnTiming } from "../chat/turn-timing.js";
import type { FastifyInstance } from "fastify";
import { ApiError } from "../chat/chat-errors.js";
import { ClientGoneError, type ChatService, type TurnRoute } from "../chat/chat-service.js";
import { parseTranscriptPage } from "../chat/transcript-page.js";
import { userIdProblem } from "../chat/user-id.js";
import { traceIdOf } from "../chat/chat-errors.js";
import { errorHeaders, toApiError } from "./error-response.js";
import { parseChatRequest } from "./chat-request.js";

export interface ChatRoutesOptions {
  chat: ChatService;
  maxMessageChars: number;
}

export function registerChatRoutes(app: FastifyInstance, options: ChatRoutesOptions): void {
  const { chat, maxMessageChars } = options;

  app.post("/api/v1/chat", async (request, reply) => {
    const body = parseChatRequest(request.body, maxMessageChars);
    const timing = new TurnTiming();
    // A plain request whose client leaves mid-turn still finishes: the session gets the answer.
    const result = await chat.runTurn({
      userId: body.user_id,
      sessionId: body.session_id,
      message: body.message,
      endpoint: "chat",
      timing,
    });
    reply.header("server-timing", timing.serverTiming);
    // A developer on the local receiver gets the link to the turn's trace in the log.
    if (result.trace_url) request.log.info({ trace_url: result.trace_url }, "trace");
    return result;
  });

  app.post("/api/v1/chat/stream", async (request, reply) => {
    const body = parseChatRequest(request.body, maxMessageChars);
    reply.hijack();
    const res = reply.raw;
    const gone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    // The event stream opens with the first token (or the answer), so a turn refused or failed
    // before it (a foreign session, a reserved id, the model down) gets its real status and a
    // plain JSON error, like the other endpoints.
    const open = () => {
      if (res.headersSent) return;
      res.writeHead(200, {
        // The turn's Server-Timing is only known at the end: sent as a trailer.
        trailer: "Server-Timing",
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-accel-buffering": "no",
        "x-request-id": request.id,
      });
    };
    const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    const send = (event: string, data: unknown, before = "") => {
      open();
      if (!res.destroyed) res.write(before + frame(event, data));
    };
    const started = performance.now();
    let status = "done";
    let traceUrl: string | null = null;
    const timing = new TurnTiming();
    // Who answers is told in a `route` event just before the first token, so a client can show
    // it as the reply starts; sent with the first token (not when the router decides) because the
    // stream opens with the first token: a failure before it keeps its status and JSON error.
    let route: TurnRoute | undefined;
    try {
      const result = await chat.runTurn({
        userId: body.user_id,
        sessionId: body.session_id,
        message: body.message,
        endpoint: "stream",
        timing,
        clientSignal: gone.signal,
        onRoute: (decided) => (route = decided),
        onToken: (text) => {
          send("token", { text }, route ? frame("route", route) : "");
          route = undefined;
        },
      });
      traceUrl = result.trace_url;
      send("done", result);
      if (res.headersSent && !res.destroyed) res.addTrailers({ "Server-Timing": timing.serverTiming });
    } catch (err) {
      if (err instanceof ClientGoneError) {
        status = "client_gone";
      } else {
        const api = toApiError(err as Error);
        status = api?.code ?? "internal_error";
        if (!api) request.log.error({ err }, "unhandled error in streamed turn");
        const traceId = traceIdOf(api ?? err);
        const error = {
          ...(api
            ? { code: api.code, message: api.message, ...(api.field ? { field: api.field } : {}) }
            : { code: "internal_error", message: `an internal error occurred (request ${request.id})` }),
          ...(traceId !== undefined ? { trace_id: traceId } : {}),
        };
        if (res.headersSent) {
          send("error", error);
        } else if (!res.destroyed) {
          const text = JSON.stringify({ error: api ? error : { ...error, request_id: request.id } });
          res.writeHead(api?.status ?? 500, {
            ...errorHeaders(api),
            "content-type": "application/json; charset=utf-8",
            "content-length": Buffer.byteLength(text),
            "x-request-id": request.id,
          });
          res.write(text);
        }
      }
    } finally {
      res.end();
      request.log.info(
        {
          method: "POST",
          route: "/api/v1/chat/stream",
          outcome: status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          ...(traceUrl ? { trace_url: traceUrl } : {}),
        },
        "stream finished",
      );
    }
  });

  app.get<{ Params: { session_id: string }; Querystring: { user_id?: unknown; limit?: unknown; before?: unknown } }>(
    "/api/v1/sessions/:session_id",
    async (request) => {
      const userId = request.query.user_id;
      if (userId === undefined)
        throw new ApiError(400, "invalid_request", "user_id query parameter is required", "user_id");
      if (typeof userId !== "string")
        throw new ApiError(400, "invalid_request", "user_id query parameter must be given once", "user_id");
      const problem = userIdProblem(userId);
      if (problem) throw new ApiError(400, "invalid_request", `user_id ${problem}`, "user_id");
      return chat.getSession(request.params.session_id, userId, parseTranscriptPage(request.query));
    },
  );
}
