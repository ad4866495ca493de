import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * Open streams per client, counted across instances in Redis. Each open stream is a lease: a
 * member of the client's sorted set, scored with its expiry time. Acquiring drops expired leases
 * and adds one only below the cap, in one Lua script (atomic across instances). This instance
 * renews its open leases every RENEW_MS; a stream that closes removes its lease. An instance that
 * dies stops renewing, so its leases lapse within LEASE_MS and the slots come back by themselves.
 */
export const LEASE_MS = 30_000;
const RENEW_MS = 10_000;

const ACQUIRE = `
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('zadd', KEYS[1], ARGV[2], ARGV[4])
redis.call('pexpire', KEYS[1], ARGV[5])
return 1`;

type Scripted = Redis & {
  switchboardAcquireStream(
    key: string,
    now: number,
    expiry: number,
    max: number,
    member: string,
    ttl: number,
  ): Promise<number>;
};

export class RedisStreamSlots {
  readonly #redis: Scripted;
  /** This instance's open leases: member -> key. */
  readonly #open = new Map<string, string>();
  readonly #renewal: NodeJS.Timeout;

  readonly #maxPerClient: number;
  readonly #prefix: string;
  readonly #onError: (operation: string, err: unknown) => void;

  constructor(redis: Redis, maxPerClient: number, prefix: string, onError: (operation: string, err: unknown) => void) {
    this.#maxPerClient = maxPerClient;
    this.#prefix = prefix;
    this.#onError = onError;
    this.#redis = redis as Scripted;
    if (typeof this.#redis.switchboardAcquireStream !== "function")
      redis.defineCommand("switchboardAcquireStream", { numberOfKeys: 1, lua: ACQUIRE });
    this.#renewal = setInterval(() => void this.#renew(), RENEW_MS).unref();
  }

  /** A release function (idempotent), or null at the cap. Throws when Redis cannot answer. */
  async tryAcquire(client: string): Promise<(() => void) | null> {
    const key = `${this.#prefix}${client}`;
    const member = randomUUID();
    const now = Date.now();
    const ok = await this.#redis.switchboardAcquireStream(
      key,
      now,
      now + LEASE_MS,
      this.#maxPerClient,
      member,
      LEASE_MS,
    );
    if (ok !== 1) return null;
    this.#open.set(member, key);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open.delete(member);
      // A release that fails leaves a lease that lapses by itself within LEASE_MS.
      this.#redis.zrem(key, member).catch((err: unknown) => this.#onError("release_stream", err));
    };
  }

  async #renew(): Promise<void> {
    if (this.#open.size === 0) return;
    const expiry = Date.now() + LEASE_MS;
    const batch = this.#redis.pipeline();
    for (const [member, key] of this.#open) {
      // XX: renews a lease still there, never brings back one that lapsed.
      batch.zadd(key, "XX", expiry, member);
      batch.pexpire(key, LEASE_MS);
    }
    try {
      await batch.exec();
    } catch (err) {
      this.#onError("renew_streams", err);
    }
  }

  close(): void {
    clearInterval(this.#renewal);
  }
}
