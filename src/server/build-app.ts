import { randomUUID } from "node:crypto";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { Registry } from "prom-client";
import type { ChatService } from "../chat/chat-service.js";
import { apiError } from "../chat/chat-errors.js";
import { sendError } from "./error-response.js";
import { registerChatRoutes } from "./chat-routes.js";
import { HttpMetrics } from "./http-metrics.js";
import { registerSecurity, type SecurityOptions } from "./register-security.js";
import { createClientErrorHandler } from "./client-error-handler.js";
import { registerOpenAiRoutes } from "./openai/routes.js";
import { MemoryResponseStore, type ResponseStore } from "./openai/response-store.js";
import { registerFeedbackRoutes } from "./feedback-routes.js";
import { parseJsonBody } from "./json-body-parser.js";
import { ROUTE } from "./route-kinds.js";
import { assertUtf8Charset } from "./request-charset.js";
import { assertSupportedEncoding, contentEncodingOf } from "./request-content-encoding.js";

export interface HttpTimeouts {
  /** REQUEST_TIMEOUT_MS: longest a client may take to send a whole request (headers and body). */
  requestMs: number;
  /** HEADERS_TIMEOUT_MS: longest it may take to send the headers; at most requestMs. */
  headersMs: number;
  /** KEEP_ALIVE_TIMEOUT_MS: how long an idle keep-alive connection waits for its next request. */
  keepAliveMs: number;
}

export interface AppOptions {
  chat: ChatService;
  logger: FastifyBaseLogger;
  registry: Registry;
  /** Largest accepted body (bytes), as sent and once decompressed; larger gets 413. */
  maxBodyBytes: number;
  /** Longest accepted message (characters after trimming). */
  maxMessageChars: number;
  /** Deepest nesting of arrays and objects in a JSON body (MAX_JSON_DEPTH); 64 when absent. */
  maxJsonDepth?: number;
  /** True while the session store can serve reads (for /readyz). */
  isReady: () => boolean | Promise<boolean>;
  /** API keys, rate limit, stream cap; absent: all off. */
  security?: SecurityOptions;
  /** Connection timeouts; absent: the configuration's defaults. */
  timeouts?: HttpTimeouts;
  /** Where the Responses API keeps its responses (beside the sessions); closed with the app. In memory when absent. */
  responses?: ResponseStore;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const DEFAULT_MAX_JSON_DEPTH = 64;
const DEFAULT_TIMEOUTS: HttpTimeouts = { requestMs: 30_000, headersMs: 10_000, keepAliveMs: 72_000 };

/** The HTTP API. Built without listening, so tests drive it with inject() or a real socket. */
export function buildApp(options: AppOptions): FastifyInstance {
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const metrics = new HttpMetrics(options.registry);
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.maxBodyBytes,
    // Node checks these two on a timer: every quarter of the shorter one (at most every 5 s),
    // so a stalled request is cut within 25 % of its timeout.
    requestTimeout: timeouts.requestMs,
    http: {
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.headersMs,
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(5000, Math.floor(Math.min(timeouts.requestMs, timeouts.headersMs) / 4)),
      ),
    },
    keepAliveTimeout: timeouts.keepAliveMs,
    // Fastify's own two lines per request are replaced by one line of ours (onResponse below).
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Route params like session ids are bounded by the API; keep the default URL parser limits.
    routerOptions: { maxParamLength: 256 },
    // Requests the HTTP parser rejects (headers too large or too slow, garbage) get our error shape too.
    clientErrorHandler: createClientErrorHandler((socket, status) => metrics.connectionRefused(socket, status)),
    // So do URLs the router rejects before any hook runs (bad percent-encoding, overlong params).
    frameworkErrors: (err, request, reply) => {
      void sendError(
        request as FastifyRequest,
        reply as FastifyReply,
        apiError("invalid_url", err.code === "FST_ERR_MAX_PARAM_LENGTH"),
      );
    },
  });

  // Only JSON bodies are accepted; Fastify answers 415 for any other content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "application/json",
    { parseAs: "buffer", bodyLimit: options.maxBodyBytes },
    async (request: FastifyRequest, body: Buffer) =>
      parseJsonBody(body, request.headers, {
        maxBodyBytes: options.maxBodyBytes,
        maxJsonDepth: options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
      }),
  );

  metrics.register(app);
  app.addHook("onSend", async (request, reply) => {
    reply.header("x-request-id", request.id);
    // A response sent before its request's body was read (401, 429, 415, ...) closes the
    // connection: the rest of the body is never read, and a client that stalls or trickles it
    // holds nothing open.
    if (!request.raw.complete) reply.header("connection", "close");
  });
  // A compressed body or a charset Switchboard cannot read is refused before it is read.
  app.addHook("preParsing", async (request, _reply, payload) => {
    assertSupportedEncoding(contentEncodingOf(request.headers));
    assertUtf8Charset(request.headers["content-type"]);
    return payload;
  });
  // One log line per request, with its id and timing; never the body.
  app.addHook("onResponse", async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? request.url.split("?")[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      "request",
    );
  });

  app.setErrorHandler((err, request, reply) => sendError(request, reply, err as FastifyError));
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, apiError("not_found", request.method, request.url.split("?")[0]!)),
  );

  registerSecurity(
    app,
    options.security ?? { apiKeys: null, metricsKeys: null, rateLimitPerMinute: 0, maxStreamsPerKey: 0 },
    options.registry,
    options.logger,
  );
  const responses = options.responses ?? new MemoryResponseStore();
  registerChatRoutes(app, { chat: options.chat, maxMessageChars: options.maxMessageChars });
  registerFeedbackRoutes(app, { chat: options.chat, responses, registry: options.registry });
  registerOpenAiRoutes(app, {
    chat: options.chat,
    maxMessageChars: options.maxMessageChars,
    responses,
    registry: options.registry,
  });

  app.get("/healthz", ROUTE.probe, async () => ({ status: "ok" }));
  app.get("/readyz", ROUTE.probe, async (request, reply) => {
    if (await options.isReady()) return { status: "ready" };
    return sendError(request, reply, apiError("not_ready"));
  });
  app.get("/metrics", ROUTE.metrics, async (_request, reply) => {
    reply.header("content-type", options.registry.contentType);
    return options.registry.metrics();
  });
  return app;
}
