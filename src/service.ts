import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { loadCatalog, type AgentCatalog } from "./agents/catalog.js";
import { ChatMetrics } from "./chat/chat-metrics.js";
import { ChatService } from "./chat/chat-service.js";
import { ModelFailures, type ModelEndpoint } from "./chat/model-failures.js";
import type { ServiceConfig } from "./config.js";
import { buildRouterGraph } from "./graph/build-graph.js";
import { createModelProvider } from "./llm/create-model-provider.js";
import { buildApp } from "./server/build-app.js";
import { createResponseStore } from "./server/openai/create-response-store.js";
import { createSessionStore } from "./sessions/create-session-store.js";
import { RetentionSweeper } from "./sessions/retention-sweeper.js";
import type { SessionStore } from "./sessions/session-store.js";
import { createServicePrompts } from "./prompts/service-prompts.js";
import { ApiKeySet } from "./auth/api-key-set.js";
import { NOOP_TRACING, type Tracing } from "./tracing/index.js";
import type { LangfuseEndpoint } from "./tracing-setup.js";

export interface Service {
  app: FastifyInstance;
  chat: ChatService;
  store: SessionStore;
  /** Deletes expired sessions and responses in the background, from when the app is ready until it closes. */
  retention: RetentionSweeper;
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
  /** Link to a trace's page in a viewer (TracingSetup.traceUrl); put on chat replies as trace_url for the local viewer, for Langfuse only with LANGFUSE_TRACE_URL_IN_REPLIES. */
  traceUrl?: ((traceId: string) => string) | null;
  /** The Langfuse traces go to (TracingSetup.langfuse), for prompt management; none when absent or null. */
  langfuse?: LangfuseEndpoint | null;
}

/** The model endpoint the configuration points at, as logs and the ready line name it. */
export function modelEndpointOf(config: ServiceConfig): ModelEndpoint {
  return config.LLM_PROVIDER === "simulated"
    ? { provider: "simulated", baseUrl: null, model: "switchboard-sim" }
    : { provider: config.LLM_PROVIDER, baseUrl: config.LLM_BASE_URL, model: config.LLM_MODEL };
}

/**
 * Which trace links go into chat replies: the local viewer's (traces go to the local receiver,
 * no Langfuse keys), or Langfuse's only when LANGFUSE_TRACE_URL_IN_REPLIES asks for them.
 */
function replyTraceUrl(
  config: ServiceConfig,
  traceUrl: ((traceId: string) => string) | null | undefined,
): ((traceId: string) => string) | undefined {
  if (!traceUrl) return undefined;
  return !config.LANGFUSE_PUBLIC_KEY || config.LANGFUSE_TRACE_URL_IN_REPLIES ? traceUrl : undefined;
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
  const sessions = createSessionStore({
    kind: config.SESSION_STORE,
    path: config.SESSION_DB_PATH,
    databaseUrl: config.DATABASE_URL,
    lockConnections: config.DATABASE_LOCK_CONNECTIONS,
    lockTimeoutMs: config.TURN_TIMEOUT_MS,
    windowTurns: config.HISTORY_TURNS,
  });
  const store: SessionStore = {
    ...sessions,
    async init() {
      const migrated = await sessions.init();
      if (migrated.sessions > 0 || migrated.orphans > 0 || migrated.checkpoints > 0)
        deps.logger.info(
          { migrated },
          "session store migrated: each session keeps its latest checkpoint, its turns moved to the transcript",
        );
      return migrated;
    },
  };
  // Responses of the Responses API live where the sessions they continue live.
  const responses = createResponseStore({
    kind: config.SESSION_STORE,
    path: config.SESSION_DB_PATH,
    databaseUrl: config.DATABASE_URL,
    // A turn waits up to TURN_TIMEOUT_MS for its session, then runs up to as long again.
    claimLeaseMs: 2 * config.TURN_TIMEOUT_MS + 10_000,
  });
  const hours = (h: number) => Math.round(h * 3_600_000);
  const retention = new RetentionSweeper({
    targets: [
      {
        kind: "sessions",
        ttlMs: hours(config.SESSION_TTL_HOURS),
        sweep: async (cutoffMs, budget) => (await store.sweep(cutoffMs, budget)).sessions,
      },
      { kind: "responses", ttlMs: hours(config.RESPONSE_TTL_HOURS), sweep: (c, budget) => responses.sweep(c, budget) },
    ],
    intervalMs: config.RETENTION_SWEEP_INTERVAL_MS,
    budget: config.RETENTION_SWEEP_BATCH,
    logger: deps.logger,
    registry,
  });
  const prompts = createServicePrompts({
    catalog,
    langfuse: deps.langfuse ?? null,
    enabled: config.LANGFUSE_PROMPTS,
    label: config.LANGFUSE_PROMPT_LABEL,
    prefix: config.LANGFUSE_PROMPT_PREFIX,
    ttlMs: config.LANGFUSE_PROMPT_CACHE_TTL * 1000,
    registry,
    logger: deps.logger,
  });
  const graph = buildRouterGraph({
    catalog,
    provider,
    prompts: prompts.router,
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
    traceUrl: replyTraceUrl(config, deps.traceUrl),
    modelFailures: new ModelFailures(modelEndpointOf(config), deps.logger),
  });
  const app = buildApp({
    chat,
    logger: deps.logger,
    registry,
    maxBodyBytes: config.MAX_BODY_BYTES,
    maxMessageChars: config.MAX_MESSAGE_CHARS,
    maxJsonDepth: config.MAX_JSON_DEPTH,
    isReady: () => store.isReady(),
    timeouts: {
      requestMs: config.REQUEST_TIMEOUT_MS,
      headersMs: config.HEADERS_TIMEOUT_MS,
      keepAliveMs: config.KEEP_ALIVE_TIMEOUT_MS,
    },
    responses,
    security: {
      apiKeys: ApiKeySet.parse(config.API_KEYS),
      metricsKeys: ApiKeySet.parse(config.METRICS_API_KEY),
      metricsPublic: config.METRICS_PUBLIC,
      rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
      authFailuresPerMinute: config.AUTH_FAILURES_PER_MINUTE,
      maxStreamsPerKey: config.MAX_STREAMS_PER_KEY,
      redisUrl: config.REDIS_URL,
    },
  });
  // Sweeps from when the app is ready (after the store's init) until it begins to close, before
  // the stores it sweeps are closed.
  app.addHook("onReady", async () => {
    retention.start();
    await prompts.start();
  });
  app.addHook("preClose", async () => {
    retention.stop();
    prompts.stop();
  });
  return { app, chat, store, retention, tracing, registry, catalog };
}
