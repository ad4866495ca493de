import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import { currentKeyId } from "../auth/request-principal.js";
import { traceNotFound } from "../chat/chat-errors.js";
import type { ChatService } from "../chat/chat-service.js";
import { parseFeedbackRequest } from "./feedback-request.js";
import { userHeaderOf } from "./openai/caller.js";
import { GuardedResponseStore } from "./openai/guarded-response-store.js";
import type { ResponseStore } from "./openai/response-store.js";
import { ROUTE } from "./route-kinds.js";

export interface FeedbackRoutesOptions {
  chat: ChatService;
  /** The Responses API's store: feedback may name a response instead of a trace. */
  responses: ResponseStore;
  /** Where the store's failures are counted (`switchboard_openai_response_store_errors_total`). */
  registry: Registry;
}

/**
 * POST /api/v1/feedback: a user's feedback on one of their turns, as a Langfuse score on the
 * turn's trace (thumbs up/down, a rating, a category). The score is written to the scores journal
 * before the answer (202), so feedback given while Langfuse is down arrives after; giving
 * feedback again on the same turn and name replaces it.
 */
export function registerFeedbackRoutes(app: FastifyInstance, options: FeedbackRoutesOptions): void {
  const { chat } = options;
  // A store that fails is a 503 saying so, logged once and counted, as on the Responses routes.
  const responses = new GuardedResponseStore(options.responses, options.registry);
  app.post("/api/v1/feedback", ROUTE.api, async (request, reply) => {
    const body = parseFeedbackRequest(request.body);
    let traceId: string;
    let userId = body.userId;
    if ("traceId" in body.target) traceId = body.target.traceId;
    else {
      // The caller as the OpenAI endpoints know them: the X-User-Id header wins over the body.
      userId = userHeaderOf(request.headers) ?? userId;
      // A response of another API key, or of another user than the one named, is not found.
      const id = body.target.responseId;
      const stored = await responses.read("feedback_get", (store) => store.get(id, currentKeyId() ?? ""), request.log);
      const traced = (stored?.body as { switchboard?: { trace_id?: unknown } } | undefined)?.switchboard?.trace_id;
      if (!stored || typeof traced !== "string" || (userId !== undefined && userId !== stored.userId))
        throw traceNotFound("response_id");
      traceId = traced;
      userId = stored.userId;
    }
    const field = "traceId" in body.target ? "trace_id" : "response_id";
    const scoreId = await chat.scoreTrace(
      traceId,
      userId!,
      { name: body.name, value: body.value, ...(body.comment !== undefined ? { comment: body.comment } : {}) },
      field,
    );
    return reply.status(202).send({ score_id: scoreId, trace_id: traceId, name: body.name });
  });
}
