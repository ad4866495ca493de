import { TurnTiming } from "../chat/turn-timing.js";
import type { FastifyInstance } from "fastify";
import { apiError } from "../chat/chat-errors.js";
import { ClientGoneError, type ChatService, type TurnRoute } from "../chat/chat-service.js";
import { parseTranscriptPage } from "../chat/transcript-page.js";
import { userIdProblem } from "../chat/user-id.js";
import { traceIdOf } from "../chat/chat-errors.js";
import { errorHeaders, toApiError } from "./error-response.js";
import { parseChatRequest } from "./chat-request.js";
import { EventStream } from "./event-stream.js";
import { ROUTE } from "./route-kinds.js";

export interface ChatRoutesOptions {
  chat: ChatService;
  maxMessageChars: number;
}

export function registerChatRoutes(app: FastifyInstance, options: ChatRoutesOptions): void {
  const { chat, maxMessageChars } = options;

  app.post("/api/v1/chat", ROUTE.api, async (request, reply) => {
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

  app.post("/api/v1/chat/stream", ROUTE.eventStream, async (request, reply) => {
    const body = parseChatRequest(request.body, maxMessageChars);
    // The event stream opens with the first token (or the answer), so a turn refused or failed
    // before it (a foreign session, a reserved id, the model down) gets its real status and a
    // plain JSON error, like the other endpoints.
    const stream = new EventStream(request, reply, {});
    const send = (event: string, data: unknown) => {
      stream.open();
      stream.send(data, event);
    };
    const started = performance.now();
    let status = "done";
    let traceUrl: string | null = null;
    let serverTiming: string | undefined;
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
        clientSignal: stream.clientSignal,
        onRoute: (decided) => (route = decided),
        onToken: (text) => {
          stream.open();
          const token = { event: "token", data: { text } };
          stream.sendAll(route ? [{ event: "route", data: route }, token] : [token]);
          route = undefined;
        },
      });
      traceUrl = result.trace_url;
      send("done", result);
      serverTiming = timing.serverTiming;
    } catch (err) {
      if (err instanceof ClientGoneError) {
        status = "client_gone";
      } else {
        const api = toApiError(err as Error);
        if (!api) request.log.error({ err }, "unhandled error in streamed turn");
        const shown = api ?? apiError("internal_error", request.id, "inline");
        status = shown.code;
        const traceId = traceIdOf(api ?? err);
        const error = {
          code: shown.code,
          message: shown.message,
          ...(shown.field ? { field: shown.field } : {}),
          ...(traceId !== undefined ? { trace_id: traceId } : {}),
        };
        if (stream.opened) send("error", error);
        else
          stream.failBeforeOpen(
            shown.status,
            { error: api ? error : { ...error, request_id: request.id } },
            errorHeaders(shown),
          );
      }
    } finally {
      // The Server-Timing trailer only after a whole answer.
      stream.end(serverTiming);
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
    ROUTE.api,
    async (request) => {
      const userId = request.query.user_id;
      if (userId === undefined) throw apiError("invalid_request", "user_id query parameter is required", "user_id");
      if (typeof userId !== "string")
        throw apiError("invalid_request", "user_id query parameter must be given once", "user_id");
      const problem = userIdProblem(userId);
      if (problem) throw apiError("invalid_request", `user_id ${problem}`, "user_id");
      return chat.getSession(request.params.session_id, userId, parseTranscriptPage(request.query));
    },
  );
}
