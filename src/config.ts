import {
  ConfigError,
  formerNamesIn,
  kinds,
  option,
  parseOptions,
  type OptionSpec,
  type OptionsSpec,
  type ParsedOptions,
} from "./config-schema.js";
import { apiKeyListKind, maskNamesKind, maskPatternsKind } from "./config-option-kinds.js";
import {
  BUSY_UTILIZATION,
  BUSY_WINDOW_MS,
  CALM_UTILIZATION,
  CALM_WINDOW_MS,
  TRACING_DEFAULTS,
  type TracingOptions,
} from "./tracing/index.js";

const S = "Service";
const M = "Model";
const SESS = "Sessions";
const SEC = "Security and limits";
const LF = "Tracing (Langfuse)";

type Kind<T> = Pick<OptionSpec<T>, "schema" | "allowed">;

/**
 * A variable that sets the tracing package's option `feeds` (its value times `scale`: 1000 for
 * seconds to milliseconds). Its default is the package's own (`TRACING_DEFAULTS`), in the
 * variable's unit, so the two cannot disagree.
 */
function tracingOption<T>(
  kind: Kind<T>,
  spec: Omit<OptionSpec<NoInfer<T>>, "schema" | "allowed" | "default" | "feeds"> & { feeds: keyof TracingOptions },
): OptionSpec<T> {
  const fallback = (TRACING_DEFAULTS as Partial<Record<keyof TracingOptions, unknown>>)[spec.feeds];
  const scaled = typeof fallback === "number" && spec.scale ? fallback / spec.scale : fallback;
  return { ...kind, ...spec, default: scaled as T | undefined };
}

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
  MAX_JSON_DEPTH: option(kinds.int(2, 1000), {
    section: S,
    default: 64,
    doc: "Deepest nesting of arrays and objects accepted in a JSON body (the body itself is level 1). Deeper bodies get 400 `nesting_too_deep` naming the top-level field that holds the nesting. Checked in one pass over the text before it is parsed, so a small compressed body nested thousands of levels deep costs no more than any other body of its size.",
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
  METRICS_PUBLIC: option(kinds.bool(), {
    section: SEC,
    default: false,
    doc: "With API_KEYS set and no METRICS_API_KEY, /metrics answers 403 (its counters describe every tenant's traffic) unless this is true: for a scraper on a private network that cannot send a key. Without API_KEYS, /metrics is open.",
  }),
  RATE_LIMIT_PER_MINUTE: option(kinds.int(0, 1_000_000), {
    section: SEC,
    default: 600,
    doc: "Requests per minute per API key (per client address without keys) on /api and /v1, counted in fixed one-minute windows. Past it: 429 `rate_limited` with Retry-After (the rest of the window). With REDIS_URL the count is shared by every instance; without it, each instance counts alone (N instances allow N times the limit). 0: off.",
  }),
  AUTH_FAILURES_PER_MINUTE: option(kinds.int(0, 1_000_000), {
    section: SEC,
    default: 20,
    doc: "With API_KEYS (or METRICS_API_KEY) set: wrong keys accepted per minute from one client address before the address is refused with 429 `too_many_auth_failures` (and Retry-After) until its window ends; its next guesses are not even checked. Requests without a key do not count. Shared through REDIS_URL like the rate limit. 0: off.",
  }),
  MAX_STREAMS_PER_KEY: option(kinds.int(0, 100_000), {
    section: SEC,
    default: 0,
    doc: "Streamed turns open at once per API key (per client address without keys). One more gets 429 `too_many_streams`. With REDIS_URL the cap holds across instances (each open stream is a lease renewed every 10 s, so the streams of an instance that dies free their slots within 30 s); without it, per instance. 0: no cap.",
  }),
  REDIS_URL: option(kinds.string(), {
    section: SEC,
    secret: true,
    doc: "Redis for limits shared by every instance (RATE_LIMIT_PER_MINUTE, AUTH_FAILURES_PER_MINUTE, MAX_STREAMS_PER_KEY), e.g. `redis://:<password>@redis.internal:6379/0` (`rediss://` for TLS). A Redis that is down or slow never fails or holds a request: each instance counts alone until it answers again (logged once, counted in `switchboard_limits_store_errors_total`, `switchboard_limits_store_up` 0). Never logged.",
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
  LLM_API_KEY: option(kinds.string(), {
    section: M,
    secret: true,
    doc: "API key for the endpoint; required with LLM_PROVIDER=openai (a local server that needs none, such as Ollama or vLLM, takes any value, e.g. `none`). Never logged.",
  }),
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
    doc: "Langfuse project id (from the project's URL), for links to a trace in the Langfuse UI: with LANGFUSE_TRACE_URL_IN_REPLIES=true, chat replies carry one as trace_url. Unused with the local receiver, whose own viewer is linked instead.",
  }),
  LANGFUSE_TRACE_URL_IN_REPLIES: option(kinds.bool(), {
    section: LF,
    default: false,
    doc: "With Langfuse keys and LANGFUSE_PROJECT_ID set: put the trace's Langfuse link in chat replies (`trace_url`). Off by default: the link shows every client (every tenant, with API_KEYS) the Langfuse host and project id; replies always carry the `trace_id`. With the local receiver (no keys), replies link its viewer.",
  }),
  LANGFUSE_BASE_URL: tracingOption(kinds.url(), {
    section: LF,
    feeds: "baseUrl",
    doc: "Langfuse base URL (cloud region or self-hosted). Used only when keys are set.",
  }),
  LANGFUSE_FLUSH_AT: tracingOption(kinds.int(1, 100_000), {
    section: LF,
    feeds: "flushAt",
    doc: "Most spans per export batch; a batch is sealed and sent as soon as it is this full (or LANGFUSE_MAX_BATCH_BYTES large).",
  }),
  LANGFUSE_MAX_BATCH_BYTES: tracingOption(kinds.int(16_384, 64 * 1024 * 1024), {
    section: LF,
    feeds: "maxBatchBytes",
    doc: "Most bytes per export request body, well under what hosted Langfuse accepts. A batch is sealed before it would pass this; a 413 answer splits it; one span larger than this is cut (longest fields first, with the truncation marker) rather than rejected.",
  }),
  LANGFUSE_FLUSH_INTERVAL: tracingOption(kinds.number(0, 3600), {
    section: LF,
    feeds: "flushIntervalMs",
    scale: 1000,
    doc: "Seconds a span may wait before its batch is sealed and sent. With LANGFUSE_JOURNAL_DELAY, this is what `kill -9` can lose: spans not yet sealed, and batches not yet acknowledged nor written (see LANGFUSE_JOURNAL). 0 seals on the next tick.",
  }),
  LANGFUSE_TIMEOUT: tracingOption(kinds.number(0.05, 600), {
    section: LF,
    feeds: "timeoutMs",
    scale: 1000,
    doc: "Seconds one export attempt may wait for Langfuse's answer. Long on purpose: nothing on the request path waits for it, and an attempt cut after its body was sent has an unknown outcome (Langfuse may have stored it; sending it again may store it twice). Attempts cut before the body was sent are simply retried.",
  }),
  LANGFUSE_MAX_RETRIES: tracingOption(kinds.int(0, 100), {
    section: LF,
    feeds: "maxRetries",
    doc: "Quick retries of a batch in memory after a failure that did not store it (connection refused or reset, timeout, 429, 502, 503, 504). Past them the batch waits in the journal and is replayed as backlog. 0: no quick retries.",
  }),
  LANGFUSE_RETRY_DELAY: tracingOption(kinds.number(0, 600), {
    section: LF,
    feeds: "retryDelayMs",
    scale: 1000,
    doc: "Seconds before the first retry; doubles per retry, with jitter. A Retry-After header takes precedence.",
  }),
  LANGFUSE_EXPORT_CONCURRENCY: tracingOption(kinds.int(1, 64), {
    section: LF,
    feeds: "concurrency",
    doc: "Export requests in flight at once, so one hung attempt does not stall delivery.",
  }),
  LANGFUSE_MAX_QUEUE_BYTES: tracingOption(kinds.int(65_536, 8 * 1024 * 1024 * 1024), {
    section: LF,
    feeds: "maxQueueBytes",
    doc: 'Memory bound for trace data held in memory, in bytes: spans not yet sealed into a batch, and batches being sent or waiting for a quick retry. With the journal, every batch not acknowledged within LANGFUSE_JOURNAL_DELAY is also on disk and batches past the bound wait there, so the bound only decides how much is sent from memory while Langfuse is slow or down (the copies held for LANGFUSE_JOURNAL_DELAY are bounded by it too); memory-only, it bounds everything held, and the oldest batches past it are dropped and counted (`reason="queue_full"`). Spans that would pass it before their batch is sealed are dropped and counted too.',
  }),
  LANGFUSE_ENABLE_SPANS: tracingOption(kinds.bool(), {
    section: LF,
    feeds: "enableSpans",
    doc: "false keeps traces and generations but drops the graph-node spans.",
  }),
  LANGFUSE_SAMPLE_RATE: tracingOption(kinds.number(0, 1), {
    section: LF,
    feeds: "sampleRate",
    doc: "Share of ordinary chat turns traced, decided by trace id when the turn ends. Turns that failed, whose client went away, that asked a clarifying question or that took longer than LANGFUSE_SAMPLE_KEEP_SLOWER_THAN are always traced (counted in `switchboard_tracing_turns_kept_by_rule_total{rule}`). A turn sampled out is never encoded and has no trace id in its answer.",
  }),
  LANGFUSE_SAMPLE_KEEP_SLOWER_THAN: tracingOption(kinds.number(0, 3600), {
    section: LF,
    feeds: "keepSlowerThanMs",
    scale: 1000,
    doc: "Seconds: a turn that takes longer than this is traced whatever LANGFUSE_SAMPLE_RATE, and while the event loop is busy (LANGFUSE_BUSY_TRACES_PER_SEC).",
  }),
  LANGFUSE_BUSY_TRACES_PER_SEC: tracingOption(kinds.int(0, 1_000_000), {
    section: LF,
    feeds: "busyTracesPerSec",
    doc: `Ordinary chat turns traced per second while the event loop is busy (at least ${BUSY_UTILIZATION * 100} % busy over ${BUSY_WINDOW_MS} ms, until it falls below ${CALM_UTILIZATION * 100} % over ${CALM_WINDOW_MS} ms); the other turns are not traced, decided when they start, and are counted in \`switchboard_tracing_turns_shed_total\`. Under saturation every traced turn's CPU is taken from requests; this bounds it to about 1 % of a core at the default. A turn that fails, loses its client, asks a clarifying question or takes longer than LANGFUSE_SAMPLE_KEEP_SLOWER_THAN is still traced, as its root observation alone (metadata \`tracing\`). 0: every turn is traced at any load.`,
  }),
  LANGFUSE_PROMPTS: option(kinds.bool(), {
    section: LF,
    default: true,
    doc: "Read the classifier's, the clarifier's and each agent's prompt from Langfuse prompt management (names `<LANGFUSE_PROMPT_PREFIX>-classifier`, `-clarify`, `-agent-<key>`; text prompts), cached in memory and read again in the background every LANGFUSE_PROMPT_CACHE_TTL; every generation is linked to the prompt version it used. The catalog's prompts are used until Langfuse answers, and whenever it has no such prompt or cannot be reached; a turn never waits on a prompt. With the local receiver, the catalog's prompts are created there at start. `npm run prompts:push` creates them in a Langfuse project.",
  }),
  LANGFUSE_PROMPT_LABEL: option(kinds.string(100), {
    section: LF,
    default: "production",
    doc: "The prompt label read from Langfuse prompt management (and given to the versions `npm run prompts:push` creates).",
  }),
  LANGFUSE_PROMPT_PREFIX: option(kinds.string(100), {
    section: LF,
    default: "switchboard",
    doc: "Prefix of the service's prompt names in Langfuse (so several services share one project).",
  }),
  LANGFUSE_PROMPT_CACHE_TTL: option(kinds.number(1, 86_400), {
    section: LF,
    default: 60,
    doc: "Seconds between background reads of the prompts from Langfuse: an edited prompt reaches turns within this long.",
  }),
  LANGFUSE_MAX_FIELD_CHARS: tracingOption(kinds.int(64, 10_000_000), {
    section: LF,
    feeds: "maxFieldChars",
    doc: "Input, output and metadata values whose text is longer than this many characters are cut to fit it, each cut text ending with a marker that states its true length. A JSON value keeps its structure: a generation's message array stays a message array (Langfuse still shows it as a chat) and its longest contents are cut instead; only a cap smaller than the structure itself needs turns it into plain text.",
  }),
  LANGFUSE_CAPTURE_IO: tracingOption(kinds.bool(), {
    section: LF,
    feeds: "captureIo",
    doc: "false sends the sizes of inputs and outputs instead of their content.",
  }),
  LANGFUSE_MASK: tracingOption(maskNamesKind(), {
    section: LF,
    feeds: "mask",
    doc: "Built-in maskers applied to trace input, output and metadata before anything leaves the process: `email`, `phone` (international with +, North American, mainland China mobile), `cn_id` (Chinese resident ID, checksum-checked), `bank_card` (13-19 digits, Luhn-checked); `all` or `none`. Matches become `[email]`, `[phone]`, `[cn_id]`, `[bank_card]`.",
  }),
  LANGFUSE_MASK_PATTERNS: tracingOption(maskPatternsKind(), {
    section: LF,
    feeds: "maskPatterns",
    doc: "Extra regexes to mask (JavaScript syntax, flags gu), separated by `;;`, e.g. `ORD-\\d{6};;secret-[a-z]+`. Matches become `[masked]`. Keep them simple: they run on every traced value.",
  }),
  LANGFUSE_SHUTDOWN_TIMEOUT: tracingOption(kinds.number(0, 600), {
    section: LF,
    feeds: "shutdownTimeoutMs",
    scale: 1000,
    doc: "Seconds graceful shutdown spends sending what it holds: fresh batches first, then the journal's backlog while Langfuse answers. What is left stays in the journal for the next start (memory-only: counted as dropped).",
  }),
  LANGFUSE_JOURNAL: option(kinds.bool(), {
    section: LF,
    default: true,
    formerNames: ["LANGFUSE_SPOOL"],
    doc: "Journal every batch on disk that Langfuse has not acknowledged within LANGFUSE_JOURNAL_DELAY of being sealed, until Langfuse has it: a crash loses at most LANGFUSE_FLUSH_INTERVAL plus LANGFUSE_JOURNAL_DELAY of traces, and what Langfuse cannot take (down, wrong keys, shutdown) is replayed later, also after a restart. false: memory only.",
  }),
  LANGFUSE_JOURNAL_DIR: option(kinds.string(), {
    section: LF,
    // The folder and file keep their first names, so an upgrade finds what the last run left.
    default: "./data/spool",
    formerNames: ["LANGFUSE_SPOOL_DIR"],
    doc: "Folder of the journal (a SQLite database, spool.db: the file keeps its first name), made 0700 with its files 0600; delivered batches do not stay readable in it. Each batch is kept for the destination it was made for (LANGFUSE_BASE_URL and LANGFUSE_PUBLIC_KEY): a start with another destination leaves them there, says so once, and never sends them elsewhere; a start with theirs delivers them. Unwritable: tracing runs memory-only, with one warning. Delete the folder while the service is stopped to wipe undelivered traces.",
  }),
  LANGFUSE_JOURNAL_MAX_BYTES: tracingOption(kinds.int(1_048_576, 1024 * 1024 * 1024 * 1024), {
    section: LF,
    feeds: "maxJournalBytes",
    formerNames: ["LANGFUSE_SPOOL_MAX_BYTES"],
    doc: 'Bound on the journal; past it the oldest batches are dropped and counted (`switchboard_tracing_spans_dropped_total{reason="journal_evicted"}`). On disk, `spool.db` stays within about 1.2 times this (pages are not filled to the byte: 1.11 to 1.17 times measured with 1 MiB), and its write-ahead log `spool.db-wal` within about 4 MiB. Spans sealed at once are written before the oldest batches are evicted to make room for them, so for the few milliseconds in between the files also hold them (up to LANGFUSE_MAX_QUEUE_BYTES; `spool.db` itself only when more than about 1 MiB is sealed at once).',
  }),
  LANGFUSE_JOURNAL_DELAY: tracingOption(kinds.number(0, 3600), {
    section: LF,
    feeds: "journalDelayMs",
    scale: 1000,
    doc: "Seconds a sealed batch is held in memory before it is written to the journal. A batch Langfuse acknowledges sooner (nearly all, while it answers) never reaches the disk, which saves the journal's writes, marks and deletes (about half of tracing's CPU per request, measured); what waits longer, and everything held at a graceful shutdown, is written. The price: `kill -9` can also lose batches sealed within this time that Langfuse had not yet acknowledged. 0: every batch is written when it is sealed.",
  }),
  LANGFUSE_REPLAY_RATE: tracingOption(kinds.int(1, 1_000_000), {
    section: LF,
    feeds: "replayRatePerSec",
    doc: "Spans per second replayed from the journal's backlog (after an outage or a restart), one request at a time and respecting Retry-After, so a Langfuse that just came back is not hammered while live traces keep flowing.",
  }),
  LANGFUSE_LEGACY_TRACE_IO: tracingOption(kinds.bool(), {
    section: LF,
    feeds: "legacyTraceIo",
    doc: "Also write each turn's input and output as trace-level `langfuse.trace.input/output`. Only a self-hosted Langfuse v3 reads them; Langfuse v4 (Cloud, current server) shows the turn's input and output on the root observation, where they always are.",
  }),
  LANGFUSE_ENVIRONMENT: tracingOption(kinds.string(40), {
    section: LF,
    feeds: "environment",
    doc: "Langfuse environment tag of every trace (e.g. production).",
  }),
  LANGFUSE_RELEASE: tracingOption(kinds.string(200), {
    section: LF,
    doc: "Release / version tag of every trace.",
    feeds: "release",
  }),
  LANGFUSE_PIPELINE: tracingOption(kinds.oneOf(["switchboard", "sdk", "naive"]), {
    section: LF,
    feeds: "pipeline",
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
    doc: "SQLite file of the embedded local receiver. Its folder also keeps the receiver's key pair (receiver-keys.json, 0600): a receiver already on the port is used only when it accepts that pair (it is ours); another one (another Switchboard's data folder) is refused.",
  }),
  LANGFUSE_LOCAL_RECEIVER_TTL_HOURS: option(kinds.int(0, 87_600), {
    section: LF,
    default: 168,
    doc: "The embedded receiver deletes traces older than this many hours (a background sweep). 0 keeps every trace.",
  }),
  LANGFUSE_LOCAL_RECEIVER_DEV_KEYS: option(kinds.bool(), {
    section: LF,
    default: false,
    doc: "The embedded receiver accepts the fixed, public dev key pair pk-lf-local / sk-lf-local instead of its own random pair. For old scripts only: anyone on the machine knows it.",
  }),
} as const;

export type ServiceConfig = ParsedOptions<typeof serviceOptions>;

/** Where loadConfig says that a deprecated former name of a variable is set (pino's warn fits). */
export type ConfigWarn = (fields: { variable: string; replacedBy: string }, message: string) => void;

/**
 * Parses the service's environment once. Throws ConfigError naming every bad variable. A
 * variable set under a deprecated former name works, and `warn` hears of it once.
 */
export function loadConfig(env: Record<string, string | undefined>, warn?: ConfigWarn): ServiceConfig {
  const config = parseOptions(serviceOptions, env);
  for (const { formerName, name } of formerNamesIn(serviceOptions, env))
    warn?.(
      { variable: formerName, replacedBy: name },
      `${formerName} is deprecated: it still works, but set ${name} instead (same value)`,
    );
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
  if (config.LLM_PROVIDER === "openai" && !config.LLM_API_KEY) {
    throw new ConfigError(
      "invalid configuration:\n  LLM_PROVIDER=openai needs LLM_API_KEY (the endpoint's API key; for a local server that needs none, such as Ollama or vLLM, set any value, e.g. LLM_API_KEY=none)",
    );
  }
  if (config.SESSION_STORE === "postgres" && !config.DATABASE_URL) {
    throw new ConfigError("invalid configuration:\n  SESSION_STORE=postgres needs DATABASE_URL");
  }
  // The default header timeout gives way to a shorter request timeout.
  return { ...config, HEADERS_TIMEOUT_MS: Math.min(config.HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS) };
}

/**
 * The tracing package's options from the variables that declare which field they feed, in the
 * package's units. The keys, the destination and the service's name are the caller's.
 */
export function tracingOptionsOf(config: ServiceConfig): Partial<TracingOptions> {
  const options: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(serviceOptions as OptionsSpec)) {
    if (spec.feeds === undefined) continue;
    const value = config[name as keyof ServiceConfig];
    options[spec.feeds] = typeof value === "number" && spec.scale ? value * spec.scale : value;
  }
  // Two variables make this one: the switch and the folder.
  options["journalDir"] = config.LANGFUSE_JOURNAL ? config.LANGFUSE_JOURNAL_DIR : null;
  return options as Partial<TracingOptions>;
}
