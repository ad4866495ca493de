import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ApiKeySet } from "../auth/api-key-set.js";
import { principalContext } from "../auth/request-principal.js";
import { ApiError } from "../chat/chat-errors.js";
import { StreamSlots } from "./stream-slots.js";
import { TokenBuckets } from "./token-bucket.js";

export interface SecurityOptions {
  /** API_KEYS; null: the API is open. */
  apiKeys: ApiKeySet | null;
  /** METRICS_API_KEY; null: /metrics is open. */
  metricsKeys: ApiKeySet | null;
  /** RATE_LIMIT_PER_MINUTE; 0: off. */
  rateLimitPerMinute: number;
  /** MAX_STREAMS_PER_KEY; 0: no cap. */
  maxStreamsPerKey: number;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Id of the API key the request carried (first 12 hex of its sha256); null when keys are off. */
    apiKeyId: string | null;
  }
}

/** Probes for load balancers and orchestrators: never behind a key or a limit. */
const OPEN = new Set(["/healthz", "/readyz"]);
const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * Authentication, rate limiting, the stream cap, and the request principal, as hooks on every
 * route. Checks run in onRequest, before the body is read, so an unauthenticated or throttled
 * client costs no body parsing. Errors are thrown as ApiError so each route family answers in
 * its own error shape (native or OpenAI) with the same status and code.
 */
export function registerSecurity(app: FastifyInstance, options: SecurityOptions): void {
  const buckets = options.rateLimitPerMinute > 0 ? new TokenBuckets(options.rateLimitPerMinute) : null;
  const streams = options.maxStreamsPerKey > 0 ? new StreamSlots(options.maxStreamsPerKey) : null;
  app.decorateRequest("apiKeyId", null);

  app.addHook("onRequest", async (request, reply) => {
    // The matched route pattern, not the raw URL: percent-encoding or a query string cannot
    // make a protected route look like an open one.
    const path = request.routeOptions.url ?? request.url.split("?")[0]!;
    if (OPEN.has(path)) return;
    if (path === "/metrics") {
      if (options.metricsKeys) authenticate(request, reply, options.metricsKeys, "/metrics");
      return;
    }
    if (options.apiKeys) request.apiKeyId = authenticate(request, reply, options.apiKeys, "this API");
    if (buckets) {
      const taken = buckets.take(clientKey(request));
      if (!taken.ok) {
        reply.header("retry-after", String(taken.retryAfterSec));
        throw new ApiError(429, "rate_limited", `too many requests; retry in ${taken.retryAfterSec} s`);
      }
    }
  });

  app.addHook("preHandler", (request, reply, done) => {
    if (streams && isStreamRequest(request)) {
      const release = streams.tryAcquire(clientKey(request));
      if (!release) {
        done(
          new ApiError(
            429,
            "too_many_streams",
            `at most ${options.maxStreamsPerKey} streams may be open at once; close one first`,
          ),
        );
        return;
      }
      // 'close' fires for hijacked (SSE) responses too, however the stream ends.
      reply.raw.once("close", release);
    }
    // The handler runs synchronously inside done(), so everything it starts sees the principal.
    // Without a key there is nothing to bind (currentKeyId() is null either way), and a keyless
    // service never enables this AsyncLocalStorage: every promise of every turn would otherwise
    // pay for carrying it.
    if (request.apiKeyId === null) done();
    else principalContext.run({ keyId: request.apiKeyId }, done);
  });
}

/** Rate limits and stream caps count per key when keys are on, else per client address. */
function clientKey(request: FastifyRequest): string {
  return request.apiKeyId ? `key:${request.apiKeyId}` : `ip:${request.ip}`;
}

function isStreamRequest(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route === "/api/v1/chat/stream") return true;
  const body = request.body as { stream?: unknown } | null | undefined;
  return (
    (route === "/v1/chat/completions" || route === "/v1/responses") &&
    typeof body === "object" &&
    body !== null &&
    body.stream === true
  );
}

/** Returns the key's id; throws 401 without saying anything about the presented value. */
function authenticate(request: FastifyRequest, reply: FastifyReply, keys: ApiKeySet, what: string): string {
  const fail = (message: string) => {
    reply.header("www-authenticate", 'Bearer realm="switchboard"');
    return new ApiError(401, "unauthorized", message);
  };
  const header = request.headers.authorization;
  if (typeof header !== "string" || header.length === 0)
    throw fail(`${what} needs an API key: send the header Authorization: Bearer <key>`);
  const m = BEARER.exec(header);
  if (!m || m[1]!.length > 1024) throw fail("the Authorization header must be Bearer <key>");
  const id = keys.verify(m[1]!);
  if (!id) throw fail("the API key is not valid");
  return id;
}
