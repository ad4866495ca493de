// POST /v1/chat/completions: one Switchboard turn per request, plain or streamed.
import { randomUUID } from "node:crypto";
import { TurnTiming } from "../../chat/turn-timing.js";
import type { FastifyInstance } from "fastify";
import { ClientGoneError, type ChatService } from "../../chat/chat-service.js";
import { TurnUsage } from "../../chat/turn-usage.js";
import { RecordedModelOptions } from "../../llm/model-options.js";
import { ANONYMOUS_USER } from "./caller.js";
import { chatCompletion, ChunkWriter } from "./chat-completion-bodies.js";
import { parseChatCompletionsRequest } from "./chat-completions-request.js";
import { internalErrorBody, toOpenAiError } from "./errors.js";
import { EventStream } from "../event-stream.js";
import { ROUTE } from "../route-kinds.js";
import { unixSeconds } from "./router-model.js";

export interface ChatCompletionsRouteOptions {
  chat: ChatService;
  /** Longest accepted user message (characters after trimming). */
  maxMessageChars: number;
}

export function registerChatCompletionsRoute(
  v1: FastifyInstance,
  { chat, maxMessageChars }: ChatCompletionsRouteOptions,
): void {
  v1.post("/chat/completions", ROUTE.streamWhenAsked, async (request, reply) => {
    const turn = parseChatCompletionsRequest(request.body, request.headers, maxMessageChars);
    // The session: the X-Session-Id header, else the user's running session, else a new one.
    // Chosen here, not in runTurn, so a streamed answer can name it in its headers.
    const sessionId = turn.caller.headerSession ?? turn.caller.userSession ?? randomUUID();
    const userId = turn.caller.userId ?? ANONYMOUS_USER;
    const usage = new TurnUsage();
    const modelOptions = new RecordedModelOptions(turn.params);
    const timing = new TurnTiming();
    const id = `chatcmpl-${randomUUID().replaceAll("-", "")}`;
    const created = unixSeconds();

    if (!turn.stream) {
      const result = await chat.runTurn({
        userId,
        sessionId,
        message: turn.message,
        endpoint: "openai",
        usage,
        modelOptions,
        timing,
      });
      if (result.trace_url) request.log.info({ trace_url: result.trace_url }, "trace");
      reply.header("x-session-id", sessionId);
      reply.header("server-timing", timing.serverTiming);
      return chatCompletion(id, created, result, usage, modelOptions.finishReason);
    }

    const stream = new EventStream(request, reply, { "x-session-id": sessionId });
    const chunks = new ChunkWriter(id, created, turn.includeUsage);
    const open = () => {
      if (stream.open()) stream.send(chunks.delta({ role: "assistant", content: "" }));
    };
    let streamed = false;
    try {
      const result = await chat.runTurn({
        userId,
        sessionId,
        message: turn.message,
        endpoint: "openai",
        usage,
        modelOptions,
        timing,
        clientSignal: stream.clientSignal,
        onToken: (text) => {
          open();
          streamed = true;
          stream.send(chunks.delta({ content: text }));
        },
      });
      open();
      if (!streamed && result.reply) stream.send(chunks.delta({ content: result.reply }));
      stream.send(chunks.finish(result, modelOptions.finishReason));
      if (turn.includeUsage) stream.send(chunks.usage(usage));
      stream.sendRaw("data: [DONE]\n\n");
      if (result.trace_url) request.log.info({ trace_url: result.trace_url }, "trace");
    } catch (err) {
      if (err instanceof ClientGoneError) return;
      const mapped = toOpenAiError(err as Error);
      if (!mapped) request.log.error({ err }, "unhandled error in streamed completion");
      const body = mapped?.body ?? internalErrorBody(request.id, err);
      // Mid-stream, OpenAI clients raise an error for a data event carrying `error`.
      if (stream.opened) stream.send(body);
      else stream.failBeforeOpen(mapped?.status ?? 500, body, mapped?.headers);
    } finally {
      stream.end(timing.serverTiming);
    }
  });
}
