// The OpenAI-compatible API (/v1/chat/completions, /v1/models), so any OpenAI client or chat UI
// can talk to Switchboard. Every turn goes through ChatService.runTurn like the native endpoints
// (endpoint "openai" on the trace). Registered as an encapsulated plugin so that its errors,
// including Fastify's own (body too large, not JSON, unknown /v1 route), come in OpenAI's shape.
import { randomUUID } from "node:crypto";
import type { FastifyError, FastifyInstance } from "fastify";
import { ClientGoneError, type ChatService } from "../chat/chat-service.js";
import { TurnUsage } from "../graph/turn-usage.js";
import { chatCompletion, ChunkWriter, modelEntry, unixSeconds } from "./openai-completions.js";
import { openAiErrorBody, toOpenAiError } from "./openai-errors.js";
import { parseOpenAiRequest, ROUTER_MODEL_ID } from "./openai-request.js";

export interface OpenAiRoutesOptions {
  chat: ChatService;
  /** Longest accepted user message (characters after trimming). */
  maxMessageChars: number;
}

const internalError = (requestId: string) =>
  openAiErrorBody(500, "internal_error", `an internal error occurred; quote the request id ${requestId} when reporting it`);

export function registerOpenAiRoutes(app: FastifyInstance, options: OpenAiRoutesOptions): void {
  const { chat, maxMessageChars } = options;

  app.register(
    async (v1) => {
      v1.setErrorHandler((err, request, reply) => {
        const mapped = toOpenAiError(err as FastifyError);
        if (mapped) return reply.status(mapped.status).send(mapped.body);
        request.log.error({ err }, "unhandled error");
        return reply.status(500).send(internalError(request.id));
      });
      v1.setNotFoundHandler((request, reply) =>
        reply.status(404).send(openAiErrorBody(404, "not_found", `no route for ${request.method} ${request.url.split("?")[0]}`)),
      );

      v1.get("/models", async () => ({ object: "list", data: [modelEntry()] }));
      v1.get<{ Params: { model: string } }>("/models/:model", async (request, reply) => {
        if (request.params.model === ROUTER_MODEL_ID) return modelEntry();
        return reply.status(404).send(openAiErrorBody(404, "model_not_found", `the model ${JSON.stringify(request.params.model)} does not exist`, "model"));
      });

      v1.post("/chat/completions", async (request, reply) => {
        const turn = parseOpenAiRequest(request.body, request.headers, maxMessageChars);
        // Chosen here, not in runTurn, so a streamed answer can name it in its headers.
        const sessionId = turn.sessionId ?? randomUUID();
        const usage = new TurnUsage();
        const id = `chatcmpl-${randomUUID().replaceAll("-", "")}`;
        const created = unixSeconds();

        if (!turn.stream) {
          const result = await chat.runTurn({ userId: turn.userId, sessionId, message: turn.message, endpoint: "openai", usage });
          if (result.trace_url) request.log.info({ trace_url: result.trace_url }, "trace");
          reply.header("x-session-id", sessionId);
          return chatCompletion(id, created, result, usage);
        }

        reply.hijack();
        const res = reply.raw;
        const gone = new AbortController();
        res.on("close", () => {
          if (!res.writableFinished) gone.abort();
        });
        const chunks = new ChunkWriter(id, created, turn.includeUsage);
        const write = (data: unknown) => {
          if (!res.destroyed) res.write(`data: ${JSON.stringify(data)}\n\n`);
        };
        // Headers go out with the first token, so that a turn failing before it (unknown session,
        // model down) still gets a real status code and a plain JSON error.
        const open = () => {
          if (res.headersSent) return;
          res.writeHead(200, {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            connection: "keep-alive",
            "x-accel-buffering": "no",
            "x-request-id": request.id,
            "x-session-id": sessionId,
          });
          write(chunks.delta({ role: "assistant", content: "" }));
        };
        let streamed = false;
        try {
          const result = await chat.runTurn({
            userId: turn.userId,
            sessionId,
            message: turn.message,
            endpoint: "openai",
            usage,
            clientSignal: gone.signal,
            onToken: (text) => {
              open();
              streamed = true;
              write(chunks.delta({ content: text }));
            },
          });
          open();
          if (!streamed && result.reply) write(chunks.delta({ content: result.reply }));
          write(chunks.finish(result));
          if (turn.includeUsage) write(chunks.usage(usage));
          res.write("data: [DONE]\n\n");
          if (result.trace_url) request.log.info({ trace_url: result.trace_url }, "trace");
        } catch (err) {
          if (err instanceof ClientGoneError) return;
          const mapped = toOpenAiError(err as Error);
          if (!mapped) request.log.error({ err }, "unhandled error in streamed completion");
          const status = mapped?.status ?? 500;
          const body = mapped?.body ?? internalError(request.id);
          if (res.headersSent) {
            // Mid-stream: OpenAI clients raise an error for a data event carrying `error`.
            write(body);
          } else if (!res.destroyed) {
            const text = JSON.stringify(body);
            res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "x-request-id": request.id });
            res.write(text);
          }
        } finally {
          res.end();
        }
      });
    },
    { prefix: "/v1" },
  );
}
