import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { loadCatalog, type AgentCatalog } from "./agents/catalog.js";
import { ChatMetrics } from "./chat/chat-metrics.js";
import { ChatService } from "./chat/chat-service.js";
import type { ServiceConfig } from "./config.js";
import { buildRouterGraph } from "./graph/build-graph.js";
import { createModelProvider } from "./llm/create-model-provider.js";
import { buildApp } from "./server/build-app.js";
import { createResponseStore } from "./server/openai/create-response-store.js";
import { createSessionStore } from "./sessions/create-session-store.js";
import type { SessionStore } from "./sessions/session-store.js";
import { ApiKeySet } from "./auth/api-key-set.js";
import { NOOP_TRACING, type Tracing } from "./tracing/index.js";

export interface Service {
  app: FastifyInstance;
  chat: ChatService;
  store: SessionStore;
  tracing: Tracing;
  registry: Registry;
  catalog: AgentCatalog;
}

export interface ServiceDeps {
  logger: FastifyBaseLogger;
  /** Tracing built by the caller; NOOP when absent. */
  tracing?: Tracing;
  /** Registry to expose on /metrics; a fresh one when absent. */
  registry?: Registry;
  /** Link to a trace's page in a viewer, put on chat replies as trace_url (TracingSetup.traceUrl). */
  traceUrl?: ((traceId: string) => string) | null;
}

/** Wires the service from its configuration: catalog, models, sessions, graph, HTTP app. */
export async function createService(config: ServiceConfig, deps: ServiceDeps): Promise<Service> {
  const catalog = loadCatalog(config.AGENTS_FILE);
  const registry = deps.registry ?? new Registry();
  const tracing = deps.tracing ?? NOOP_TRACING;
  const provider = await createModelProvider(
    {
      provider: config.LLM_PROVIDER,
      simTtftMs: config.SIM_TTFT_MS,
      simTokenMs: config.SIM_TOKEN_MS,
      simReplyTokens: config.SIM_REPLY_TOKENS,
      baseUrl: config.LLM_BASE_URL,
      apiKey: config.LLM_API_KEY,
      // The simulator reports its own name, so traces never claim a real model answered.
      model: config.LLM_PROVIDER === "simulated" ? "switchboard-sim" : config.LLM_MODEL,
      timeoutMs: config.LLM_TIMEOUT_MS,
      maxRetries: config.LLM_MAX_RETRIES,
      structuredOutput: config.LLM_STRUCTURED_OUTPUT,
    },
    catalog,
  );
  const store = createSessionStore({
    kind: config.SESSION_STORE,
    path: config.SESSION_DB_PATH,
    databaseUrl: config.DATABASE_URL,
    lockConnections: config.DATABASE_LOCK_CONNECTIONS,
    lockTimeoutMs: config.TURN_TIMEOUT_MS,
  });
  const graph = buildRouterGraph({
    catalog,
    provider,
    checkpointer: store.checkpointer,
    clarifyThreshold: config.CLARIFY_THRESHOLD,
    historyTurns: config.HISTORY_TURNS,
  });
  const chat = new ChatService({
    graph,
    tracing,
    metrics: new ChatMetrics(registry),
    turnTimeoutMs: config.TURN_TIMEOUT_MS,
    sessionLock: store.withSessionLock,
    traceUrl: deps.traceUrl ?? undefined,
  });
  const app = buildApp({
    chat,
    logger: deps.logger,
    registry,
    maxBodyBytes: config.MAX_BODY_BYTES,
    maxMessageChars: config.MAX_MESSAGE_CHARS,
    isReady: () => store.isReady(),
    timeouts: {
      requestMs: config.REQUEST_TIMEOUT_MS,
      headersMs: config.HEADERS_TIMEOUT_MS,
      keepAliveMs: config.KEEP_ALIVE_TIMEOUT_MS,
    },
    // Responses of the Responses API live where the sessions they continue live.
    responses: createResponseStore({
      kind: config.SESSION_STORE,
      path: config.SESSION_DB_PATH,
      databaseUrl: config.DATABASE_URL,
    }),
    security: {
      apiKeys: ApiKeySet.parse(config.API_KEYS),
      metricsKeys: ApiKeySet.parse(config.METRICS_API_KEY),
      rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
      maxStreamsPerKey: config.MAX_STREAMS_PER_KEY,
    },
  });
  return { app, chat, store, tracing, registry, catalog };
}
