// The environment a child process starts with: the harness's own, minus anything that would
// configure the service, the receiver, tracing or LangChain behind the benchmark's back.
const OWNED =
  /^(LANGFUSE_|LANGCHAIN_|LANGSMITH_|OTEL_|SIM_|LLM_|SESSION_|RECEIVER_|AGENTS_FILE$|PORT$|HOST$|LOG_LEVEL$|MAX_MESSAGE_CHARS$|MAX_BODY_BYTES$|TURN_TIMEOUT_MS$|SHUTDOWN_TIMEOUT_MS$|CLARIFY_THRESHOLD$|HISTORY_TURNS$|NODE_OPTIONS$|RATE_LIMIT_PER_MINUTE$|AUTH_FAILURES_PER_MINUTE$|MAX_STREAMS_PER_KEY$|REDIS_URL$|API_KEYS$)/;

export function childEnv(extra: Record<string, string>, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !OWNED.test(key)) env[key] = value;
  }
  // The load comes from one address: the default rate limit would measure the limiter.
  return { ...env, NODE_ENV: "production", RATE_LIMIT_PER_MINUTE: "0", ...extra };
}
