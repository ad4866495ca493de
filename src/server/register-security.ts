import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Registry } from "prom-client";
import type { ApiKeySet } from "../auth/api-key-set.js";
import { principalContext } from "../auth/request-principal.js";
import { apiError } from "../chat/chat-errors.js";
import { LimitsHealth } from "./limits/limits-health.js";
import { connectLimitsRedis, openLimitsRedis } from "./limits/open-limits-redis.js";
import { RequestLimits, type Verdict } from "./limits/request-limits.js";
import { opensStream, routeKindOf } from "./route-kinds.js";

export interface SecurityOptions {
  /** API_KEYS; null: the API is open. */
  apiKeys: ApiKeySet | null;
  /** METRICS_API_KEY; null: see metricsPublic. */
  metricsKeys: ApiKeySet | null;
  /** METRICS_PUBLIC: with API keys on and no METRICS_API_KEY, /metrics is open only when true. */
  metricsPublic?: boolean;
  /** RATE_LIMIT_PER_MINUTE; 0: off. */
  rateLimitPerMinute: number;
  /** AUTH_FAILURES_PER_MINUTE (per client address, with API keys on); 0: off. */
  authFailuresPerMinute?: number;
  /** MAX_STREAMS_PER_KEY; 0: no cap. */
  maxStreamsPerKey: number;
  /** REDIS_URL: limits shared by every instance; absent: per instance. */
  redisUrl?: string;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Id of the API key the request carried (first 12 hex of its sha256); null when keys are off. */
    apiKeyId: string | null;
  }
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * Authentication, rate limiting, the stream cap, and the request principal, as hooks on every
 * route, each applied as the route declares (route-kinds.ts; a route that declares nothing is
 * behind the API's keys and limited). Checks run in onRequest, before the body is read, so an unauthenticated or throttled
 * client costs no body parsing. Errors are thrown as ApiError so each route family answers in
 * its own error shape (native or OpenAI) with the same status and code. The limits are counted
 * in Redis when REDIS_URL is set (connected when the app starts, closed with it), else per
 * instance.
 */
export function registerSecurity(
  app: FastifyInstance,
  options: SecurityOptions,
  registry: Registry,
  logger: FastifyBaseLogger,
): void {
  const health = new LimitsHealth(registry, logger, Boolean(options.redisUrl));
  const redis = options.redisUrl ? openLimitsRedis(options.redisUrl, health) : null;
  const limits = new RequestLimits({
    rateLimitPerMinute: options.rateLimitPerMinute,
    // Failed authentications only exist with keys on.
    authFailuresPerMinute: options.apiKeys || options.metricsKeys ? (options.authFailuresPerMinute ?? 0) : 0,
    maxStreamsPerKey: options.maxStreamsPerKey,
    redis,
    health,
  });
  if (redis) {
    app.addHook("onReady", () => connectLimitsRedis(redis, health));
    app.addHook("onClose", async () => {
      limits.close();
      redis.disconnect();
    });
  }
  const metricsClosed = options.apiKeys !== null && options.metricsKeys === null && !options.metricsPublic;
  app.decorateRequest("apiKeyId", null);

  const authenticated = async (request: FastifyRequest, reply: FastifyReply, keys: ApiKeySet, what: string) => {
    // An address that keeps presenting wrong keys is refused before its next guess is checked.
    refuseWhenLimited(reply, await limits.authAllowed(request.ip), "too_many_auth_failures");
    try {
      return authenticate(request, reply, keys, what);
    } catch (err) {
      // A key that was presented and is wrong is a guess; a request without one is not.
      if (request.headers.authorization) await limits.authFailed(request.ip);
      throw err;
    }
  };

  app.addHook("onRequest", async (request, reply) => {
    // The matched route's own declaration, not its URL: percent-encoding or a query string
    // cannot make a protected route look like an open one, and an unmatched URL (404) has none.
    const kind = routeKindOf(request);
    if (kind.access === "metrics") {
      if (options.metricsKeys) await authenticated(request, reply, options.metricsKeys, "/metrics");
      else if (metricsClosed) throw apiError("metrics_closed");
    } else if (kind.access === "api" && options.apiKeys) {
      request.apiKeyId = await authenticated(request, reply, options.apiKeys, "this API");
    }
    if (kind.limited && limits.limitsRequests) {
      refuseWhenLimited(reply, await limits.takeRequest(clientKey(request)), "rate_limited");
    }
  });

  app.addHook("preHandler", (request, reply, done) => {
    // The handler runs synchronously inside done(), so everything it starts sees the principal.
    // Without a key there is nothing to bind (currentKeyId() is null either way), and a keyless
    // service never enables this AsyncLocalStorage: every promise of every turn would otherwise
    // pay for carrying it.
    const run = () => (request.apiKeyId === null ? done() : principalContext.run({ keyId: request.apiKeyId }, done));
    if (options.maxStreamsPerKey <= 0 || !opensStream(request, routeKindOf(request))) return run();
    limits.acquireStream(clientKey(request)).then(
      (release) => {
        if (!release) {
          done(apiError("too_many_streams", options.maxStreamsPerKey));
          return;
        }
        // 'close' fires for hijacked (SSE) responses too, however the stream ends.
        reply.raw.once("close", release);
        run();
      },
      (err: unknown) => done(err as Error),
    );
  });
}

function refuseWhenLimited(
  reply: FastifyReply,
  verdict: Verdict,
  code: "rate_limited" | "too_many_auth_failures",
): void {
  if (verdict.ok) return;
  reply.header("retry-after", String(verdict.retryAfterSec));
  throw apiError(code, verdict.retryAfterSec);
}

/** Rate limits and stream caps count per key when keys are on, else per client address. */
function clientKey(request: FastifyRequest): string {
  return request.apiKeyId ? `key:${request.apiKeyId}` : `ip:${request.ip}`;
}

/** Returns the key's id; throws 401 without saying anything about the presented value. */
function authenticate(request: FastifyRequest, reply: FastifyReply, keys: ApiKeySet, what: string): string {
  const fail = (problem: "missing" | "malformed" | "wrong") => {
    reply.header("www-authenticate", 'Bearer realm="switchboard"');
    return apiError("unauthorized", problem, what);
  };
  const header = request.headers.authorization;
  if (typeof header !== "string" || header.length === 0) throw fail("missing");
  const m = BEARER.exec(header);
  if (!m || m[1]!.length > 1024) throw fail("malformed");
  const id = keys.verify(m[1]!);
  if (!id) throw fail("wrong");
  return id;
}
