import type { FastifyInstance } from "fastify";
import { currentKeyId } from "../auth/request-principal.js";
import { traceNotFound } from "../chat/chat-errors.js";
import type { ChatService } from "../chat/chat-service.js";
import { parseFeedbackRequest } from "./feedback-request.js";
import type { ResponseStore } from "./openai/response-store.js";

export interface FeedbackRoutesOptions {
  chat: ChatService;
  /** The Responses API's store: feedback may name a response instead of a trace. */
  responses: ResponseStore;
}

/**
 * POST /api/v1/feedback: a user's feedback on one of their turns, as a Langfuse score on the
 * turn's trace (thumbs up/down, a rating, a category). The score is written to the scores journal
 * before the answer (202), so feedback given while Langfuse is down arrives after; giving
 * feedback again on the same turn and name replaces it.
 */
export function registerFeedbackRoutes(app: FastifyInstance, options: FeedbackRoutesOptions): void {
  const { chat, responses } = options;
  app.post("/api/v1/feedback", async (request, reply) => {
    const body = parseFeedbackRequest(request.body);
    let traceId: string;
    let userId = body.userId;
    if ("traceId" in body.target) traceId = body.target.traceId;
    else {
      // A response of another API key, or of another user than the one named, is not found.
      const stored = await responses.get(body.target.responseId, currentKeyId() ?? "");
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
