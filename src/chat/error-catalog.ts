// Every error code the HTTP API answers, with its status and the message it says, in one place:
// routes, hooks and the chat layer raise errors only by code (`apiError` in chat-errors.ts), so a
// code cannot be misspelt or given another status in one file. Both APIs use it: the native one
// answers `{"error": {"code", "message", "field"?}}`, the OpenAI-compatible one puts the same code
// and message in OpenAI's shape. The table of codes in docs/api.md is generated from it
// (`npm run docs:errors`; a test fails when it is stale). Data only: it imports nothing.

/**
 * What a message builder returns: the message, and the request field at fault when it names one
 * (and, for `bad_request` only, the 4xx Fastify chose when it is not 400).
 */
export type Problem = string | { message: string; field?: string | undefined; status?: number };

/** One code: its status, the message it says, and when a client gets it (for the docs). */
export interface ErrorEntry {
  status: number;
  /** The message, from what the code's raiser knows. */
  message: (...args: never[]) => Problem;
  /** False: the same request fails again; answered with `x-should-retry: false`, which OpenAI's clients obey. */
  retryable?: false;
  /** Which API answers it: the native one (/api/v1), the OpenAI-compatible one (/v1), or both. */
  api: "native" | "openai" | "both";
  /** When a client gets it (docs/api.md). */
  when: string;
}

/** For codes whose wording is the raiser's (one per field or rule): the message as given. */
const detail = (message: string, field?: string): Problem => ({ message, field });

/** Message of a refusal that holds for a while: the client may retry after `retryAfterSec`. */
const retryIn = (what: string) => (retryAfterSec: number) => `${what}; retry in ${retryAfterSec} s`;

export const ERROR_CATALOG = {
  // 400: the request is wrong, and says where.
  invalid_request: {
    status: 400,
    message: detail,
    api: "both",
    when: "a field (or query parameter, or header) breaks its rule; the message says which and why",
  },
  invalid_json: {
    status: 400,
    message: (at?: number | "empty") => ({
      message:
        at === "empty"
          ? "the body is empty; send a JSON object"
          : `the body is not valid JSON${at !== undefined ? ` (at character ${at})` : ""}`,
      field: "body",
    }),
    api: "both",
    when: "the body is empty or not JSON",
  },
  invalid_body: {
    status: 400,
    message: detail,
    api: "both",
    when: "the body is not a JSON object, not UTF-8, not valid compressed data, or not as long as its Content-Length says",
  },
  invalid_unicode: {
    status: 400,
    message: detail,
    api: "both",
    when: 'a string holds an unpaired surrogate (`"\\ud800"`) or a key is not valid Unicode',
  },
  forbidden_key: {
    status: 400,
    message: (key: string, at: string, field: string) => ({
      message: `the key ${JSON.stringify(key)} is not allowed (at ${at})`,
      field,
    }),
    api: "both",
    when: "the key `__proto__` (or `constructor` holding a `prototype`) anywhere in the body",
  },
  nesting_too_deep: {
    status: 400,
    message: (what: string, maxDepth: number, field: string) => ({
      message: `${what} is nested too deeply: more than ${maxDepth} levels of arrays and objects (MAX_JSON_DEPTH)`,
      field,
    }),
    api: "both",
    when: "arrays and objects nested deeper than `MAX_JSON_DEPTH`",
  },
  number_out_of_range: {
    status: 400,
    message: (what: string, value: number, field: string) => ({
      message: `${what} is a number too large to represent: ${value > 0 ? "above" : "below"} ${value > 0 ? "" : "-"}1.8e308 (out of range of a 64-bit float)`,
      field,
    }),
    api: "both",
    when: "a number past a double's range",
  },
  invalid_url: {
    status: 400,
    message: (segmentTooLong: boolean) => (segmentTooLong ? "a path segment is too long" : "the URL is not valid"),
    api: "both",
    when: "a URL the router cannot read (bad percent-encoding, a path parameter over 256 characters)",
  },
  bad_request: {
    status: 400,
    message: (message: string, status?: number): Problem => ({ message, status }),
    api: "both",
    when: "a request that is not valid HTTP, or that Fastify refuses for another reason (with its 4xx status)",
  },
  conversation_locked: {
    status: 400,
    message: (responseId: string) => ({
      message: `Another request is currently continuing response '${responseId}'. Retry in a few seconds: if that request fails, this response can be continued; once it succeeds, continue from its response instead.`,
      field: "previous_response_id",
    }),
    api: "openai",
    when: "`previous_response_id` names a response another request is continuing right now",
  },
  previous_response_continued: {
    status: 400,
    message: (responseId: string, continuedBy: string) => ({
      message: `Response '${responseId}' was already continued by '${continuedBy}'. A Switchboard conversation is linear: continue from its latest response.`,
      field: "previous_response_id",
    }),
    api: "openai",
    when: "`previous_response_id` names a response that was already continued (a conversation is linear)",
  },
  // 400 in OpenAI's own codes, so OpenAI's clients and their users read them as OpenAI's.
  invalid_value: { status: 400, message: detail, api: "openai", when: "a parameter has a value OpenAI would refuse" },
  invalid_type: { status: 400, message: detail, api: "openai", when: "a parameter has the wrong JSON type" },
  missing_required_parameter: {
    status: 400,
    message: (param: string) => ({ message: `Missing required parameter: '${param}'.`, field: param }),
    api: "openai",
    when: "a required parameter is absent",
  },
  unsupported_parameter: {
    status: 400,
    message: detail,
    api: "openai",
    when: "a parameter the router cannot honour (tools, `logit_bias`, audio, ...)",
  },
  unsupported_value: {
    status: 400,
    message: detail,
    api: "openai",
    when: "a value the router cannot honour (`n` above 1, structured output, logprobs, ...)",
  },
  empty_array: { status: 400, message: detail, api: "openai", when: "an array that must not be empty is" },
  string_below_min_length: { status: 400, message: detail, api: "openai", when: "a string shorter than allowed" },
  string_above_max_length: { status: 400, message: detail, api: "openai", when: "a string longer than allowed" },
  array_below_min_length: { status: 400, message: detail, api: "openai", when: "an array shorter than allowed" },
  array_above_max_length: { status: 400, message: detail, api: "openai", when: "an array longer than allowed" },
  integer_below_min_value: { status: 400, message: detail, api: "openai", when: "an integer below its minimum" },
  integer_above_max_value: { status: 400, message: detail, api: "openai", when: "an integer above its maximum" },
  decimal_below_min_value: { status: 400, message: detail, api: "openai", when: "a number below its minimum" },
  decimal_above_max_value: { status: 400, message: detail, api: "openai", when: "a number above its maximum" },

  // 401, 403: who may call.
  unauthorized: {
    status: 401,
    message: (problem: "missing" | "malformed" | "wrong", what: string) =>
      problem === "missing"
        ? `${what} needs an API key: send the header Authorization: Bearer <key>`
        : problem === "malformed"
          ? "the Authorization header must be Bearer <key>"
          : "the API key is not valid",
    api: "both",
    when: "`API_KEYS` is set and the request has no valid key (the connection is closed without reading the body)",
  },
  metrics_closed: {
    status: 403,
    message: () =>
      "/metrics is closed while API keys are on: the operator sets METRICS_API_KEY for its scraper (or METRICS_PUBLIC=true on a private network)",
    api: "native",
    when: "`/metrics` with `API_KEYS` on, and neither `METRICS_API_KEY` nor `METRICS_PUBLIC=true`",
  },

  // 404: not there (or not yours: the same answer).
  not_found: {
    status: 404,
    message: (method: string, path: string) => `no route for ${method} ${path}`,
    api: "both",
    when: "an unknown route",
  },
  session_not_found: {
    status: 404,
    message: () => "no such session for this user",
    api: "both",
    when: "a session that does not exist or belongs to another user (the same answer for both)",
  },
  trace_not_found: {
    status: 404,
    message: (field: string) => ({
      message: "no such trace for this user (only a turn's own user can give it feedback)",
      field,
    }),
    api: "native",
    when: "feedback on a trace (or response) that does not exist or is another user's",
  },
  response_not_found: {
    status: 404,
    message: (responseId: string, param: string) => ({
      message: `No response with id '${responseId}' found.`,
      field: param,
    }),
    api: "openai",
    when: "a stored response that does not exist, expired, or belongs to another API key",
  },
  model_not_found: {
    status: 404,
    message: (model: string, offered?: string) => ({
      message: `The model '${model}' does not exist.${offered ? ` Switchboard offers one model: '${offered}'.` : ""}`,
      field: "model",
    }),
    api: "openai",
    when: "a `model` other than `switchboard-router`",
  },

  // 408, 413, 415, 431: how the request arrived.
  request_timeout: {
    status: 408,
    message: () => "the request took too long to arrive",
    api: "both",
    when: "the request arrived too slowly (`REQUEST_TIMEOUT_MS`, `HEADERS_TIMEOUT_MS`)",
  },
  body_too_large: {
    status: 413,
    message: (decompressedLimit?: number) =>
      decompressedLimit === undefined
        ? "the request body is too large"
        : `the request body is larger than ${decompressedLimit} bytes once decompressed`,
    api: "both",
    when: "a body over `MAX_BODY_BYTES`, as sent or once decompressed",
  },
  unsupported_media_type: {
    status: 415,
    message: () => "send the body as application/json",
    api: "both",
    when: "a body that is not JSON",
  },
  unsupported_charset: {
    status: 415,
    message: (charset: string) => ({
      // Escaped and cut: the header's value is the client's, repeated in a JSON string.
      message: `the body must be UTF-8 JSON: charset=${JSON.stringify(charset).slice(1, -1).slice(0, 40)} is not supported; send charset=utf-8 or no charset`,
      field: "Content-Type",
    }),
    api: "both",
    when: "a body in another charset than UTF-8",
  },
  unsupported_content_encoding: {
    status: 415,
    message: (encoding: string, supported: string) => ({
      message: `Content-Encoding ${JSON.stringify(encoding)} is not supported; send ${supported}, or an uncompressed body`,
      field: "Content-Encoding",
    }),
    api: "both",
    when: "a `Content-Encoding` other than `gzip`, `deflate` or `br`",
  },
  headers_too_large: {
    status: 431,
    message: () => "the request headers are too large",
    api: "both",
    when: "request headers past Node's limit (16 KiB by default)",
  },

  // 429: too much, for a while (with Retry-After, except the stream cap).
  rate_limited: {
    status: 429,
    message: retryIn("too many requests"),
    api: "both",
    when: "past `RATE_LIMIT_PER_MINUTE`, with `Retry-After`",
  },
  too_many_auth_failures: {
    status: 429,
    message: retryIn("too many failed authentications from this address"),
    api: "both",
    when: "too many wrong keys from one address (`AUTH_FAILURES_PER_MINUTE`), with `Retry-After`",
  },
  too_many_streams: {
    status: 429,
    message: (maxStreams: number) => `at most ${maxStreams} streams may be open at once; close one first`,
    api: "both",
    when: "past `MAX_STREAMS_PER_KEY` streams open at once",
  },

  // 5xx: the service or what it depends on.
  internal_error: {
    status: 500,
    message: (requestId?: string, inline?: "inline") =>
      inline
        ? `an internal error occurred (request ${requestId})`
        : `an internal error occurred; quote the request id${requestId ? ` ${requestId}` : ""} when reporting it`,
    api: "both",
    when: "bugs only, with a `request_id`",
  },
  model_misconfigured: {
    status: 502,
    message: (endpointStatus: number | undefined) =>
      `the model endpoint refused the service's requests (HTTP ${endpointStatus}): the service's model settings need fixing by its operator; retrying will not help`,
    retryable: false,
    api: "both",
    when: "the model endpoint refused the service (401, 403, 404: a configuration to fix, not to retry), with `x-should-retry: false`",
  },
  model_refused_request: {
    status: 502,
    message: (endpointStatus: number | undefined) =>
      `the model endpoint refused this request (HTTP ${endpointStatus}); retrying it unchanged will not help`,
    retryable: false,
    api: "both",
    when: "the model endpoint refused this request (another 4xx), with `x-should-retry: false`",
  },
  model_unavailable: {
    status: 503,
    message: () => "the model endpoint is unavailable; please retry",
    api: "both",
    when: "the model endpoint failed (down, busy, errors)",
  },
  model_timeout: {
    status: 503,
    message: () => "the model did not answer in time; please retry",
    api: "both",
    when: "the model did not answer within the turn's time (`TURN_TIMEOUT_MS`)",
  },
  session_busy: {
    status: 503,
    message: () => "the session is still busy with earlier turns; retry later",
    api: "both",
    when: "the session is still busy with earlier turns past `TURN_TIMEOUT_MS` (the session left as it was)",
  },
  shutting_down: {
    status: 503,
    message: () =>
      "the service is shutting down and could not finish this turn in time; retry it (another instance, or this one once restarted, will answer)",
    api: "both",
    when: "the service is shutting down: a turn still running past `SHUTDOWN_TIMEOUT_MS`, or one arriving after",
  },
  not_ready: {
    status: 503,
    message: () => "the session store is not available",
    api: "native",
    when: "`/readyz` while the session store is not usable",
  },
  feedback_unavailable: {
    status: 503,
    message: () =>
      "feedback needs tracing: this service sends no traces (LANGFUSE_ENABLED=false, or a comparison pipeline)",
    api: "native",
    when: "feedback while the service sends no traces",
  },
  response_store_unavailable: {
    status: 503,
    message: () => "Stored responses cannot be read right now; please retry.",
    api: "openai",
    when: "stored responses cannot be read (their database is down)",
  },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** The arguments of a code's message builder. */
export type MessageArgs<C extends ErrorCode> = Parameters<(typeof ERROR_CATALOG)[C]["message"]>;
