import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { LimitsHealth } from "./limits-health.js";
import { LocalStreamSlots } from "./local-stream-slots.js";
import { RedisStreamSlots } from "./redis-stream-slots.js";

export interface RequestLimitsOptions {
  /** RATE_LIMIT_PER_MINUTE; 0: off. */
  rateLimitPerMinute: number;
  /** AUTH_FAILURES_PER_MINUTE; 0: off. */
  authFailuresPerMinute: number;
  /** MAX_STREAMS_PER_KEY; 0: no cap. */
  maxStreamsPerKey: number;
  /** The shared store (REDIS_URL); null: every limit is per instance. */
  redis: Redis | null;
  health: LimitsHealth;
}

export type Verdict = { ok: true } | { ok: false; retryAfterSec: number };

const OK: Verdict = { ok: true };
const WINDOW_SEC = 60;
/** After a failed operation, Redis is left alone this long (each request is counted locally meanwhile). */
const BACKOFF_MS = 1_000;
const KEY_PREFIX = "switchboard:limits:";

/**
 * The service's limits on requests, failed authentications and open streams, counted per client
 * in fixed one-minute windows (rate-limiter-flexible). With a shared store (REDIS_URL) the count
 * is one for every instance, so N instances allow the limit, not N times it; without it, or while
 * it fails, each instance counts alone (see LimitsHealth).
 */
export class RequestLimits {
  readonly #requests: Pair | null;
  readonly #authFailures: Pair | null;
  readonly #localStreams: LocalStreamSlots | null;
  readonly #sharedStreams: RedisStreamSlots | null;
  #skipSharedUntil = 0;

  readonly #options: RequestLimitsOptions;

  constructor(options: RequestLimitsOptions) {
    this.#options = options;
    const { redis } = options;
    const pair = (points: number, name: string): Pair | null =>
      points > 0
        ? {
            local: new RateLimiterMemory({ points, duration: WINDOW_SEC, keyPrefix: name }),
            shared: redis
              ? new RateLimiterRedis({
                  storeClient: redis,
                  points,
                  duration: WINDOW_SEC,
                  keyPrefix: `${KEY_PREFIX}${name}`,
                  // Fails at once while disconnected instead of waiting on the connection.
                  rejectIfRedisNotReady: true,
                  // Past the limit, a client is refused from this instance's memory until its window
                  // ends: an abusive client costs no round trip to Redis.
                  inMemoryBlockOnConsumed: points + 1,
                })
              : null,
          }
        : null;
    this.#requests = pair(options.rateLimitPerMinute, "requests");
    this.#authFailures = pair(options.authFailuresPerMinute, "auth-failures");
    this.#localStreams = options.maxStreamsPerKey > 0 ? new LocalStreamSlots(options.maxStreamsPerKey) : null;
    this.#sharedStreams =
      options.maxStreamsPerKey > 0 && redis
        ? new RedisStreamSlots(redis, options.maxStreamsPerKey, `${KEY_PREFIX}streams:`, (op, err) =>
            this.#failed(op, err),
          )
        : null;
  }

  get limitsRequests(): boolean {
    return this.#requests !== null;
  }

  /** Counts one request of `client`; refused past RATE_LIMIT_PER_MINUTE in its window. */
  async takeRequest(client: string): Promise<Verdict> {
    if (!this.#requests) return OK;
    return this.#consume(this.#requests, client, "rate_limit");
  }

  /** Whether `address` may try to authenticate: refused once it failed AUTH_FAILURES_PER_MINUTE times in its window. */
  async authAllowed(address: string): Promise<Verdict> {
    const limiter = this.#authFailures;
    if (!limiter) return OK;
    const read = (l: RateLimiterAbstract) => l.get(address);
    const res = await this.#shared("auth_check", limiter, read);
    if (res && res.consumedPoints >= this.#options.authFailuresPerMinute) return refusal(res);
    return OK;
  }

  /** Records one failed authentication from `address`. */
  async authFailed(address: string): Promise<void> {
    if (!this.#authFailures) return;
    await this.#consume(this.#authFailures, address, "auth_failure");
  }

  /** A release function, or null when `client` has MAX_STREAMS_PER_KEY streams open already. */
  async acquireStream(client: string): Promise<(() => void) | null> {
    if (!this.#localStreams) return () => {};
    const shared = this.#sharedStreams;
    if (shared && this.#sharedUsable("acquire_stream")) {
      try {
        const release = await shared.tryAcquire(client);
        this.#options.health.recovered();
        return release;
      } catch (err) {
        this.#failed("acquire_stream", err);
      }
    }
    return this.#localStreams.tryAcquire(client);
  }

  close(): void {
    this.#sharedStreams?.close();
  }

  async #consume(pair: Pair, key: string, operation: string): Promise<Verdict> {
    try {
      await this.#shared(operation, pair, (l) => l.consume(key));
      return OK;
    } catch (err) {
      if (err instanceof RateLimiterRes) return refusal(err);
      throw err;
    }
  }

  /** Runs `op` on the shared limiter while it is usable, else (or when it fails) on the local one. */
  async #shared<T>(operation: string, pair: Pair, op: (limiter: RateLimiterAbstract) => Promise<T>): Promise<T> {
    if (pair.shared && this.#sharedUsable(operation)) {
      try {
        const result = await op(pair.shared);
        this.#options.health.recovered();
        return result;
      } catch (err) {
        // A refusal is the limiter's answer, not a failure of the store.
        if (err instanceof RateLimiterRes) {
          this.#options.health.recovered();
          throw err;
        }
        this.#failed(operation, err);
      }
    }
    return op(pair.local);
  }

  /** Whether to ask the shared store now; when not (disconnected, backing off), the operation is counted as failed. */
  #sharedUsable(operation: string): boolean {
    const redis = this.#options.redis;
    if (redis === null) return false;
    if (redis.status === "ready" && Date.now() >= this.#skipSharedUntil) return true;
    this.#options.health.failed(operation, new Error(`not asked: the connection is ${redis.status}`));
    return false;
  }

  #failed(operation: string, err: unknown): void {
    this.#skipSharedUntil = Date.now() + BACKOFF_MS;
    this.#options.health.failed(operation, err);
  }
}

interface Pair {
  local: RateLimiterMemory;
  shared: RateLimiterRedis | null;
}

function refusal(res: RateLimiterRes): Verdict {
  return { ok: false, retryAfterSec: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
}
