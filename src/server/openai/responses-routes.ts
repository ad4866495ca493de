// POST /v1/responses and GET /v1/responses/:id: the OpenAI Responses API, which the Vercel AI
// SDK's default OpenAI model and LangChain's `useResponsesApi` speak. One Switchboard turn per
// request, plain or streamed as `response.*` events; finished responses are kept (unless
// `store: false`) so they can be retrieved and continued with `previous_response_id`.
import { randomUUID } from "node:crypto";
import { TurnTiming } from "../../chat/turn-timing.js";
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from "fastify";
import type { Registry } from "prom-client";
import { apiError } from "../../chat/chat-errors.js";
import { ClientGoneError, type ChatService, type TurnReply } from "../../chat/chat-service.js";
import { TurnUsage } from "../../chat/turn-usage.js";
import { RecordedModelOptions } from "../../llm/model-options.js";
import { ANONYMOUS_USER } from "./caller.js";
import { internalErrorBody, toOpenAiError } from "./errors.js";
import { EventStream } from "../event-stream.js";
import { ROUTE } from "../route-kinds.js";
import { newResponseId, ResponseBuilder, ResponseEventSequence } from "./response-bodies.js";
import { GuardedResponseStore } from "./guarded-response-store.js";
import type { ResponseStore } from "./response-store.js";
import { parseResponsesRequest, type ResponsesTurn } from "./responses-request.js";
import { unixSeconds } from "./router-model.js";

export interface ResponsesRoutesOptions {
  chat: ChatService;
  /** Longest accepted user message (characters after trimming). */
  maxMessageChars: number;
  responses: ResponseStore;
  registry: Registry;
}

/** Where a turn runs, and the continuation it claimed (ended by the route once the turn has run or failed). */
interface PlacedTurn {
  sessionId: string;
  userId: string;
  /** The response this turn continues, claimed for it; null for a new conversation. */
  claimed: string | null;
}

export function registerResponsesRoutes(v1: FastifyInstance, options: ResponsesRoutesOptions): void {
  const { chat, maxMessageChars } = options;
  const store = new GuardedResponseStore(options.responses, options.registry);
  v1.addHook("onClose", async () => options.responses.close());

  /**
   * Which session and user a turn runs as; a continued response brings its own, and is claimed
   * for this response (`responseId`) in one atomic step of the store: of requests continuing the
   * same response at once, one runs and the others are refused.
   */
  async function placeTurn(
    turn: ResponsesTurn,
    tenant: string,
    responseId: string,
    log: FastifyBaseLogger,
  ): Promise<PlacedTurn> {
    const { caller } = turn;
    const previousId = turn.previousResponseId;
    if (!previousId)
      return {
        sessionId: caller.headerSession ?? caller.userSession ?? randomUUID(),
        userId: caller.userId ?? ANONYMOUS_USER,
        claimed: null,
      };
    const previous = await store.read("get", (s) => s.get(previousId, tenant), log);
    if (!previous) throw apiError("response_not_found", previousId, "previous_response_id");
    if (caller.headerSession && caller.headerSession !== previous.sessionId) {
      throw apiError(
        "invalid_value",
        `Response '${previousId}' belongs to another session than the X-Session-Id header names; send one or the other.`,
        "previous_response_id",
      );
    }
    // Switchboard's sessions are linear: continuing an older response would answer after turns
    // the client did not mean to keep (a retried request would count twice).
    const claim = await store.read("claim", (s) => s.claimContinuation(previousId, responseId), log);
    // OpenAI's answer to a request on a conversation another request is working on.
    if (!claim.ok && !claim.finished) throw apiError("conversation_locked", previousId);
    if (!claim.ok) throw apiError("previous_response_continued", previousId, claim.by);
    // The session's owner check (ChatService) refuses a user other than the one it belongs to.
    return { sessionId: previous.sessionId, userId: caller.userId ?? previous.userId, claimed: previousId };
  }

  /** Ends the turn's claim: kept when the turn ran, released when it did not (the response may be continued again). */
  function settle(placed: PlacedTurn, responseId: string, ran: boolean, log: FastifyBaseLogger): Promise<void> {
    const previousId = placed.claimed;
    if (!previousId) return Promise.resolve();
    return ran
      ? store.settle("finish_continuation", (s) => s.finishContinuation(previousId, responseId), log)
      : store.settle("release_continuation", (s) => s.releaseContinuation(previousId, responseId), log);
  }

  function remember(
    request: FastifyRequest,
    turn: ResponsesTurn,
    tenant: string,
    placed: PlacedTurn,
    body: { id: string },
  ): Promise<void> {
    if (!turn.store) return Promise.resolve();
    return store.save(
      {
        id: body.id,
        tenant,
        sessionId: placed.sessionId,
        userId: placed.userId,
        previousResponseId: turn.previousResponseId,
        body,
      },
      request.log,
    );
  }

  v1.post("/responses", ROUTE.streamWhenAsked, async (request, reply) => {
    const turn = parseResponsesRequest(request.body, request.headers, maxMessageChars);
    const tenant = request.apiKeyId ?? "";
    const responseId = newResponseId();
    const placed = await placeTurn(turn, tenant, responseId, request.log);
    const usage = new TurnUsage();
    const modelOptions = new RecordedModelOptions(turn.params);
    const timing = new TurnTiming();
    const response = new ResponseBuilder(responseId, unixSeconds(), turn.settings);
    const run = async (
      extra: { clientSignal?: AbortSignal; onToken?: (text: string) => void } = {},
    ): Promise<TurnReply> => {
      let result: TurnReply;
      try {
        result = await chat.runTurn({
          userId: placed.userId,
          sessionId: placed.sessionId,
          message: turn.message,
          endpoint: "responses",
          usage,
          modelOptions,
          timing,
          ...extra,
        });
      } catch (err) {
        // The turn wrote nothing: the response it continued may be continued again.
        await settle(placed, responseId, false, request.log);
        throw err;
      }
      await settle(placed, responseId, true, request.log);
      return result;
    };

    if (!turn.stream) {
      const result = await run();
      const body = response.finished(result, usage, modelOptions.finishReason);
      await remember(request, turn, tenant, placed, body);
      if (result.trace_url) request.log.info({ trace_url: result.trace_url }, "trace");
      reply.header("x-session-id", placed.sessionId);
      reply.header("server-timing", timing.serverTiming);
      return body;
    }

    const stream = new EventStream(request, reply, { "x-session-id": placed.sessionId });
    const events = new ResponseEventSequence();
    const send = (type: string, fields: Record<string, unknown>) => stream.send(events.event(type, fields), type);
    const at = { item_id: response.itemId, output_index: 0, content_index: 0 };
    const open = () => {
      if (!stream.open()) return;
      const snapshot = response.inProgress();
      send("response.created", { response: snapshot });
      send("response.in_progress", { response: snapshot });
      send("response.output_item.added", { output_index: 0, item: response.message("", "in_progress") });
      send("response.content_part.added", { ...at, part: response.part("") });
    };
    let streamed = "";
    const delta = (text: string) => {
      open();
      streamed += text;
      send("response.output_text.delta", { ...at, delta: text, logprobs: [] });
    };
    try {
      const result = await run({ clientSignal: stream.clientSignal, onToken: delta });
      if (!streamed && result.reply) delta(result.reply);
      open();
      const body = response.finished(result, usage, modelOptions.finishReason);
      send("response.output_text.done", { ...at, text: result.reply, logprobs: [] });
      send("response.content_part.done", { ...at, part: response.part(result.reply) });
      send("response.output_item.done", { output_index: 0, item: body.output[0] });
      // Kept before the last event, so a client that continues at once finds it.
      await remember(request, turn, tenant, placed, body);
      send(body.status === "completed" ? "response.completed" : "response.incomplete", { response: body });
      if (result.trace_url) request.log.info({ trace_url: result.trace_url }, "trace");
    } catch (err) {
      if (err instanceof ClientGoneError) return;
      const mapped = toOpenAiError(err as Error);
      if (!mapped) request.log.error({ err }, "unhandled error in streamed response");
      const body = mapped?.body ?? internalErrorBody(request.id, err);
      if (!stream.opened) {
        stream.failBeforeOpen(mapped?.status ?? 500, body, mapped?.headers);
        return;
      }
      // Mid-stream. `error` first: the official client raises on an event carrying an `error`
      // object (as OpenAI's own mid-stream errors do), the AI SDK reads either form and then
      // ignores the response.failed that follows for clients that wait for the final response.
      const { code, message, param } = body.error;
      send("error", { code, message, param, error: body.error });
      send("response.failed", { response: response.failed(streamed, { code: "server_error", message }, usage) });
    } finally {
      stream.end(timing.serverTiming);
    }
  });

  v1.get<{ Params: { response_id: string } }>("/responses/:response_id", ROUTE.api, async (request) => {
    const id = request.params.response_id;
    const found = await store.read("get", (s) => s.get(id, request.apiKeyId ?? ""), request.log);
    if (!found) throw apiError("response_not_found", id, "response_id");
    return found.body;
  });
}
