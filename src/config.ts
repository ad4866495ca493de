import { ConfigError, kinds, option, parseOptions, type ParsedOptions } from "./config-schema.js";
import { apiKeyListKind, maskNamesKind, maskPatternsKind } from "./config-option-kinds.js";
import { TRACING_DEFAULTS } from "./tracing/index.js";

const S = "Service";
const M = "Model";
const SESS = "Sessions";
const SEC = "Security and limits";
const LF = "Tracing (Langfuse)";

/**
 * Every environment variable of the service, parsed once at start-up. This object is the single
 * source of truth: `docs/configuration.md` is generated from it (`npm run docs:config`).
 */
export const serviceOptions = {
  PORT: option(kinds.int(0, 65535), {
    section: S,
    default: 3000,
    doc: "TCP port of the HTTP API (0 picks a free port).",
  }),
  HOST: option(kinds.string(255), {
    section: S,
    default: "127.0.0.1",
    doc: "Interface to listen on. Use 0.0.0.0 only behind a proxy you trust.",
  }),
  LOG_LEVEL: option(kinds.oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]), {
    section: S,
    default: "info",
    doc: "pino log level. Message bodies are only logged at debug and below.",
  }),
  MAX_MESSAGE_CHARS: option(kinds.int(1, 1_000_000), {
    section: S,
    default: 8000,
    doc: "Longest accepted chat message, in characters after trimming.",
  }),
  MAX_BODY_BYTES: option(kinds.int(1024, 64 * 1024 * 1024), {
    section: S,
    default: 262_144,
    doc: "Largest accepted request body, in bytes; larger bodies get 413. A compressed body (`Content-Encoding: gzip`, `br` or `deflate`) must fit both as sent and once decompressed.",
  }),
  REQUEST_TIMEOUT_MS: option(kinds.int(100, 3_600_000), {
    section: S,
    default: 30_000,
    doc: "Longest a client may take to send one whole request (headers and body) once it starts; past it the request gets 408 and its connection is closed, so a client that stalls or trickles its body cannot hold a connection. Only the request: a long streamed answer is not cut.",
  }),
  HEADERS_TIMEOUT_MS: option(kinds.int(100, 3_600_000), {
    section: S,
    default: 10_000,
    doc: "Longest a client may take to send a request's headers (from its first byte, or from the connection's opening); past it: 408 and closed. At most REQUEST_TIMEOUT_MS: the default shrinks to a shorter request timeout, a larger value set on purpose stops start-up.",
  }),
  KEEP_ALIVE_TIMEOUT_MS: option(kinds.int(100, 3_600_000), {
    section: S,
    default: 72_000,
    doc: "How long an idle keep-alive connection stays open waiting for its next request. Keep it above the idle timeout of the load balancer in front (60 s on most), so the balancer never reuses a connection the service is closing.",
  }),
  TURN_TIMEOUT_MS: option(kinds.int(100, 3_600_000), {
    section: S,
    default: 120_000,
    doc: "Upper bound for one chat turn, all model calls included; past it the turn fails with 503 and the session is left as it was. A turn queued behind others on its session waits at most this long for its turn (503 `session_busy`).",
  }),
  SHUTDOWN_TIMEOUT_MS: option(kinds.int(0, 600_000), {
    section: S,
    default: 10_000,
    doc: "On SIGTERM/SIGINT, how long in-flight turns may run before the process closes anyway.",
  }),
  AGENTS_FILE: option(kinds.string(), {
    section: S,
    default: "agents/shop-support.json",
    doc: "The agent catalog (JSON): intents, descriptions, keywords and system prompts. Validated at start.",
  }),
  CLARIFY_THRESHOLD: option(kinds.number(0, 1), {
    section: S,
    default: 0.6,
    doc: "Classifier confidence below which the router asks a clarifying question instead of routing.",
  }),
  HISTORY_TURNS: option(kinds.int(0, 200), {
    section: S,
    default: 10,
    doc: "How many earlier turns of the session the classifier and agents see: the window a session's checkpoint keeps, so a turn costs the same however long its session is. Older turns stay in the session's transcript (`GET /api/v1/sessions/:id`) but no longer reach the model. A larger value applies as new turns fill the window.",
  }),

  API_KEYS: option(apiKeyListKind(), {
    section: SEC,
    secret: true,
    doc: "When set, every /api and /v1 route needs `Authorization: Bearer <key>` (401 otherwise). Comma-separated; give each key as it is or as `sha256:<hex>` of it, so the raw key need not be in the environment. Sessions belong to the key that created them. /healthz stays open.",
  }),
  METRICS_API_KEY: option(apiKeyListKind(), {
    section: SEC,
    secret: true,
    doc: "When set, /metrics needs `Authorization: Bearer <key>` (raw or `sha256:<hex>`, comma-separated for several).",
  }),
  RATE_LIMIT_PER_MINUTE: option(kinds.int(0, 1_000_000), {
    section: SEC,
    default: 0,
    doc: "Requests per minute per API key (per client IP without keys) on /api and /v1, as a token bucket that allows bursts up to this size. Past it: 429 with Retry-After. 0: off.",
  }),
  MAX_STREAMS_PER_KEY: option(kinds.int(0, 100_000), {
    section: SEC,
    default: 0,
    doc: "Streamed turns open at once per API key (per client IP without keys). One more gets 429. 0: no cap.",
  }),

  LLM_PROVIDER: option(kinds.oneOf(["simulated", "openai"]), {
    section: M,
    default: "simulated",
    doc: "`simulated`: a deterministic offline chat model (a simulator, not an LLM). `openai`: any OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, vLLM, Ollama).",
  }),
  SIM_TTFT_MS: option(kinds.int(0, 60_000), {
    section: M,
    default: 250,
    doc: "Simulated model: time to first token. 0 with SIM_TOKEN_MS=0 runs as fast as the CPU allows.",
  }),
  SIM_TOKEN_MS: option(kinds.int(0, 10_000), {
    section: M,
    default: 15,
    doc: "Simulated model: delay per streamed token.",
  }),
  SIM_REPLY_TOKENS: option(kinds.int(1, 100_000), {
    section: M,
    default: 60,
    doc: "Simulated model: approximate length of a reply, in tokens.",
  }),
  LLM_BASE_URL: option(kinds.url(), {
    section: M,
    default: "https://api.openai.com/v1",
    doc: "Base URL of the OpenAI-compatible API (with its /v1).",
  }),
  LLM_API_KEY: option(kinds.string(), { section: M, secret: true, doc: "API key for the endpoint. Never logged." }),
  LLM_MODEL: option(kinds.string(200), { section: M, default: "gpt-4o-mini", doc: "Model name sent to the endpoint." }),
  LLM_TIMEOUT_MS: option(kinds.int(100, 600_000), {
    section: M,
    default: 30_000,
    doc: "Timeout of one model request.",
  }),
  LLM_MAX_RETRIES: option(kinds.int(0, 10), {
    section: M,
    default: 2,
    doc: "Retries of a failed model request (the client's own backoff).",
  }),
  LLM_STRUCTURED_OUTPUT: option(kinds.oneOf(["json_schema", "function_calling", "json_mode"]), {
    section: M,
    default: "json_schema",
    doc: "How the classifier asks for structured output; servers differ in what they support.",
  }),

  SESSION_STORE: option(kinds.oneOf(["sqlite", "memory", "postgres"]), {
    section: SESS,
    default: "sqlite",
    doc: "Where session state (LangGraph checkpoints) lives. `memory` loses sessions on restart. `postgres` (with DATABASE_URL) lets several instances share sessions; turns on one session are serialized across instances by an advisory lock.",
  }),
  DATABASE_URL: option(kinds.string(), {
    section: SESS,
    secret: true,
    doc: "PostgreSQL connection string for SESSION_STORE=postgres, e.g. postgres://user:password@host:5432/db. Tables are created at start. Never logged.",
  }),
  DATABASE_LOCK_CONNECTIONS: option(kinds.int(1, 1000), {
    section: SESS,
    default: 32,
    doc: "SESSION_STORE=postgres: connections reserved for per-session turn locks. Each running turn holds one, so this caps the turns one instance runs at once (the rest wait).",
  }),
  SESSION_DB_PATH: option(kinds.string(), {
    section: SESS,
    default: "./data/sessions.db",
    doc: "SQLite file for SESSION_STORE=sqlite (the stored responses of `/v1/responses` live there too). The file and its -wal/-shm are made 0600, a missing folder 0700.",
  }),
  SESSION_TTL_HOURS: option(kinds.number(0, 876_000), {
    section: SESS,
    default: 720,
    doc: "A session is deleted this long after its last turn (its checkpoint and its whole transcript), by the background retention sweep. 0 keeps sessions for ever. A session in use is never deleted: each turn starts its time again.",
  }),
  RESPONSE_TTL_HOURS: option(kinds.number(0, 876_000), {
    section: SESS,
    default: 720,
    doc: "A stored response of `/v1/responses` is deleted this long after it was made (30 days, as OpenAI keeps them by default); it can no longer be retrieved or continued. 0 keeps them for ever.",
  }),
  RETENTION_SWEEP_INTERVAL_MS: option(kinds.int(100, 86_400_000), {
    section: SESS,
    default: 60_000,
    doc: "How often the retention sweep looks for expired sessions and responses. It runs on a timer, never inside a request; a sweep that deleted something is followed by another a second later until nothing expired is left.",
  }),
  RETENTION_SWEEP_BATCH: option(kinds.int(1, 1_000_000), {
    section: SESS,
    default: 1000,
    doc: "Bound on one sweep: about this many transcript turns (whole sessions, oldest first; at least one session) and this many responses, so a sweep never holds the store for long.",
  }),

  LANGFUSE_ENABLED: option(kinds.bool(), {
    section: LF,
    default: true,
    doc: "Master switch. false: nothing is created or exported, at about zero cost.",
  }),
  LANGFUSE_PUBLIC_KEY: option(kinds.string(200), {
    section: LF,
    doc: "Langfuse project public key. Without keys, traces go to the embedded local receiver.",
  }),
  LANGFUSE_SECRET_KEY: option(kinds.string(200), {
    section: LF,
    secret: true,
    doc: "Langfuse project secret key. Never logged.",
  }),
  LANGFUSE_PROJECT_ID: option(kinds.string(200), {
    section: LF,
    doc: "Langfuse project id (from the project's URL). With keys set, chat replies carry a trace_url into the Langfuse UI; without it they carry none. Unused with the local receiver, whose own viewer is linked instead.",
  }),
  LANGFUSE_BASE_URL: option(kinds.url(), {
    section: LF,
    default: TRACING_DEFAULTS.baseUrl,
    doc: "Langfuse base URL (cloud region or self-hosted). Used only when keys are set.",
  }),
  LANGFUSE_FLUSH_AT: option(kinds.int(1, 100_000), {
    section: LF,
    default: TRACING_DEFAULTS.flushAt,
    doc: "Most spans per export batch; a batch is sealed and sent as soon as it is this full (or LANGFUSE_MAX_BATCH_BYTES large).",
  }),
  LANGFUSE_MAX_BATCH_BYTES: option(kinds.int(16_384, 64 * 1024 * 1024), {
    section: LF,
    default: TRACING_DEFAULTS.maxBatchBytes,
    doc: "Most bytes per export request body, well under what hosted Langfuse accepts. A batch is sealed before it would pass this; a 413 answer splits it; one span larger than this is cut (longest fields first, with the truncation marker) rather than rejected.",
  }),
  LANGFUSE_EXPORT_FORMAT: option(kinds.oneOf(["protobuf", "json"]), {
    section: LF,
    default: TRACING_DEFAULTS.format,
    doc: "OTLP wire format of exports: `protobuf` (application/x-protobuf; each span encoded once, inputs and outputs copied as bytes) or `json` (application/json; readable, but every JSON-valued attribute is escaped a second time). Langfuse accepts both; batches journaled in the other format are still sent as what they are.",
  }),
  LANGFUSE_EXPORT_THREAD: option(kinds.oneOf(["worker", "main"]), {
    section: LF,
    default: TRACING_DEFAULTS.exportThread,
    doc: "Where the export runs: encoding (quoting, masking, capping, OTLP), batching, the journal, retries and HTTP. `worker`: a thread of its own at a lower scheduling priority; the request path only records each observation's facts and hands them over. `main`: all of it in the service's own thread (fewer CPU cycles in total, more of them on the event loop; measured in the tracing-cost benchmark).",
  }),
  LANGFUSE_FLUSH_INTERVAL: option(kinds.number(0, 3600), {
    section: LF,
    default: TRACING_DEFAULTS.flushIntervalMs / 1000,
    doc: "Seconds a span may wait before its batch is sealed into the journal and sent. This is also what `kill -9` can lose: spans not yet sealed (see LANGFUSE_SPOOL). 0 seals on the next tick.",
  }),
  LANGFUSE_TIMEOUT: option(kinds.number(0.05, 600), {
    section: LF,
    default: TRACING_DEFAULTS.timeoutMs / 1000,
    doc: "Seconds one export attempt may wait for Langfuse's answer. Long on purpose: nothing on the request path waits for it, and an attempt cut after its body was sent has an unknown outcome (Langfuse may have stored it; sending it again may store it twice). Attempts cut before the body was sent are simply retried.",
  }),
  LANGFUSE_MAX_RETRIES: option(kinds.int(0, 100), {
    section: LF,
    default: TRACING_DEFAULTS.maxRetries,
    doc: "Quick retries of a batch in memory after a failure that did not store it (connection refused or reset, timeout, 429, 502, 503, 504). Past them the batch waits in the journal and is replayed as backlog. 0: no quick retries.",
  }),
  LANGFUSE_RETRY_DELAY: option(kinds.number(0, 600), {
    section: LF,
    default: TRACING_DEFAULTS.retryDelayMs / 1000,
    doc: "Seconds before the first retry; doubles per retry, with jitter. A Retry-After header takes precedence.",
  }),
  LANGFUSE_EXPORT_CONCURRENCY: option(kinds.int(1, 64), {
    section: LF,
    default: TRACING_DEFAULTS.concurrency,
    doc: "Export requests in flight at once, so one hung attempt does not stall delivery.",
  }),
  LANGFUSE_MAX_QUEUE_BYTES: option(kinds.int(65_536, 8 * 1024 * 1024 * 1024), {
    section: LF,
    default: TRACING_DEFAULTS.maxQueueBytes,
    doc: 'Memory bound for trace data held in memory (observations waiting for the export worker, unsealed spans, batches being sent; counted in characters). Past it new observations are dropped and counted (`reason="queue_full"`). With the spool, sealed batches wait on disk; memory-only, the oldest batches past it are dropped and counted.',
  }),
  LANGFUSE_ENABLE_SPANS: option(kinds.bool(), {
    section: LF,
    default: TRACING_DEFAULTS.enableSpans,
    doc: "false keeps traces and generations but drops the graph-node spans.",
  }),
  LANGFUSE_SAMPLE_RATE: option(kinds.number(0, 1), {
    section: LF,
    default: TRACING_DEFAULTS.sampleRate,
    doc: "Share of chat turns traced, decided once per trace. A sampled-out turn creates nothing.",
  }),
  LANGFUSE_MAX_FIELD_CHARS: option(kinds.int(64, 10_000_000), {
    section: LF,
    default: TRACING_DEFAULTS.maxFieldChars,
    doc: "Input, output and metadata values longer than this are cut, with a marker saying how long they were.",
  }),
  LANGFUSE_CAPTURE_IO: option(kinds.bool(), {
    section: LF,
    default: TRACING_DEFAULTS.captureIo,
    doc: "false sends the sizes of inputs and outputs instead of their content.",
  }),
  LANGFUSE_MASK: option(maskNamesKind(), {
    section: LF,
    default: TRACING_DEFAULTS.mask,
    doc: "Built-in maskers applied to trace input, output and metadata before anything leaves the process: `email`, `phone` (international with +, North American, mainland China mobile), `cn_id` (Chinese resident ID, checksum-checked), `bank_card` (13-19 digits, Luhn-checked); `all` or `none`. Matches become `[email]`, `[phone]`, `[cn_id]`, `[bank_card]`.",
  }),
  LANGFUSE_MASK_PATTERNS: option(maskPatternsKind(), {
    section: LF,
    doc: "Extra regexes to mask (JavaScript syntax, flags gu), separated by `;;`, e.g. `ORD-\\d{6};;secret-[a-z]+`. Matches become `[masked]`. Keep them simple: they run on every traced value.",
  }),
  LANGFUSE_SHUTDOWN_TIMEOUT: option(kinds.number(0, 600), {
    section: LF,
    default: TRACING_DEFAULTS.shutdownTimeoutMs / 1000,
    doc: "Seconds graceful shutdown spends sending what it holds: fresh batches first, then the journal's backlog while Langfuse answers. What is left stays in the journal for the next start (memory-only: counted as dropped).",
  }),
  LANGFUSE_SPOOL: option(kinds.bool(), {
    section: LF,
    default: true,
    doc: "Journal every batch on disk from when it is sealed until Langfuse has it: a crash loses at most LANGFUSE_FLUSH_INTERVAL of traces, and what Langfuse cannot take (down, wrong keys, shutdown) is replayed later, also after a restart. false: memory only.",
  }),
  LANGFUSE_SPOOL_DIR: option(kinds.string(), {
    section: LF,
    default: "./data/spool",
    doc: "Folder of the journal (a SQLite database, spool.db), made 0700 with its files 0600; delivered batches do not stay readable in it. Each batch is kept for the destination it was made for (LANGFUSE_BASE_URL and LANGFUSE_PUBLIC_KEY): a start with another destination leaves them there, says so once, and never sends them elsewhere; a start with theirs delivers them. Unwritable: tracing runs memory-only, with one warning. Delete the folder while the service is stopped to wipe undelivered traces.",
  }),
  LANGFUSE_SPOOL_MAX_BYTES: option(kinds.int(1_048_576, 1024 * 1024 * 1024 * 1024), {
    section: LF,
    default: TRACING_DEFAULTS.maxSpoolBytes,
    doc: 'Bound on the journal; past it the oldest batches are dropped and counted (`switchboard_tracing_spans_dropped_total{reason="spool_evicted"}`).',
  }),
  LANGFUSE_REPLAY_RATE: option(kinds.int(1, 1_000_000), {
    section: LF,
    default: TRACING_DEFAULTS.replayRatePerSec,
    doc: "Spans per second replayed from the journal's backlog (after an outage or a restart), one request at a time and respecting Retry-After, so a Langfuse that just came back is not hammered while live traces keep flowing.",
  }),
  LANGFUSE_LEGACY_TRACE_IO: option(kinds.bool(), {
    section: LF,
    default: TRACING_DEFAULTS.legacyTraceIo,
    doc: "Also write each turn's input and output as trace-level `langfuse.trace.input/output`. Only a self-hosted Langfuse v3 reads them; Langfuse v4 (Cloud, current server) shows the turn's input and output on the root observation, where they always are.",
  }),
  LANGFUSE_ENVIRONMENT: option(kinds.string(40), {
    section: LF,
    doc: "Langfuse environment tag of every trace (e.g. production).",
  }),
  LANGFUSE_RELEASE: option(kinds.string(200), { section: LF, doc: "Release / version tag of every trace." }),
  LANGFUSE_PIPELINE: option(kinds.oneOf(["switchboard", "sdk", "naive"]), {
    section: LF,
    default: TRACING_DEFAULTS.pipeline,
    doc: "Benchmark-only. `switchboard`: our pipeline. `sdk`: the official Langfuse SDK with its documented defaults. `naive`: the seed's 'before': the SDK exporting each span as it ends, user and session repeated in every span.",
  }),
  LANGFUSE_LOCAL_RECEIVER_PORT: option(kinds.int(0, 65535), {
    section: LF,
    default: 3100,
    doc: "Without Langfuse keys, `npm start` runs the local receiver on this port and exports to it.",
  }),
  LANGFUSE_LOCAL_RECEIVER_DB: option(kinds.string(), {
    section: LF,
    default: "./data/traces.db",
    doc: "SQLite file of the embedded local receiver.",
  }),
} as const;

export type ServiceConfig = ParsedOptions<typeof serviceOptions>;

/** Parses the service's environment once. Throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): ServiceConfig {
  const config = parseOptions(serviceOptions, env);
  const hasPk = Boolean(config.LANGFUSE_PUBLIC_KEY);
  const hasSk = Boolean(config.LANGFUSE_SECRET_KEY);
  if (hasPk !== hasSk) {
    throw new ConfigError("invalid configuration:\n  LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY must be set together");
  }
  if (config.HEADERS_TIMEOUT_MS > config.REQUEST_TIMEOUT_MS && env["HEADERS_TIMEOUT_MS"]?.trim()) {
    throw new ConfigError(
      `invalid configuration:\n  HEADERS_TIMEOUT_MS=${config.HEADERS_TIMEOUT_MS} must not exceed REQUEST_TIMEOUT_MS=${config.REQUEST_TIMEOUT_MS} (the headers are part of the request)`,
    );
  }
  if (config.SESSION_STORE === "postgres" && !config.DATABASE_URL) {
    throw new ConfigError("invalid configuration:\n  SESSION_STORE=postgres needs DATABASE_URL");
  }
  // The default header timeout gives way to a shorter request timeout.
  return { ...config, HEADERS_TIMEOUT_MS: Math.min(config.HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS) };
}
