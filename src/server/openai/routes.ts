// The OpenAI-compatible API under /v1: chat completions, the Responses API and the model list,
// so any OpenAI client or chat UI can talk to Switchboard. Every turn goes through
// ChatService.runTurn like the native endpoints. Registered as an encapsulated plugin so that its
// errors, including Fastify's own (body too large, not JSON, unknown /v1 route), come in OpenAI's
// shape.
import type { FastifyError, FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { ChatService } from "../../chat/chat-service.js";
import { registerChatCompletionsRoute } from "./chat-completions-route.js";
import { apiError } from "../../chat/chat-errors.js";
import { internalErrorBody, toOpenAiError } from "./errors.js";
import { MemoryResponseStore, type ResponseStore } from "./response-store.js";
import { ROUTE } from "../route-kinds.js";
import { registerResponsesRoutes } from "./responses-routes.js";
import { ROUTER_MODEL_ID, routerModelEntry } from "./router-model.js";

export interface OpenAiRoutesOptions {
  chat: ChatService;
  /** Longest accepted user message (characters after trimming). */
  maxMessageChars: number;
  /** Where Responses API responses are kept (closed with the app); in memory when absent. */
  responses?: ResponseStore;
  registry: Registry;
}

export function registerOpenAiRoutes(app: FastifyInstance, options: OpenAiRoutesOptions): void {
  const { chat, maxMessageChars } = options;

  app.register(
    async (v1) => {
      v1.setErrorHandler((err, request, reply) => {
        const mapped = toOpenAiError(err as FastifyError);
        if (mapped) return reply.status(mapped.status).headers(mapped.headers).send(mapped.body);
        request.log.error({ err }, "unhandled error");
        return reply.status(500).send(internalErrorBody(request.id, err));
      });
      v1.setNotFoundHandler(async (request) => {
        throw apiError("not_found", request.method, request.url.split("?")[0]!);
      });

      v1.get("/models", ROUTE.api, async () => ({ object: "list", data: [routerModelEntry()] }));
      v1.get<{ Params: { model: string } }>("/models/:model", ROUTE.api, async (request) => {
        if (request.params.model === ROUTER_MODEL_ID) return routerModelEntry();
        throw apiError("model_not_found", request.params.model);
      });

      registerChatCompletionsRoute(v1, { chat, maxMessageChars });
      registerResponsesRoutes(v1, {
        chat,
        maxMessageChars,
        responses: options.responses ?? new MemoryResponseStore(),
        registry: options.registry,
      });
    },
    { prefix: "/v1" },
  );
}
