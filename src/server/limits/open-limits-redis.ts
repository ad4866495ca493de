import { Redis } from "ioredis";
import type { LimitsHealth } from "./limits-health.js";

/** Longest a limits operation waits for Redis before the request is counted locally instead. */
const COMMAND_TIMEOUT_MS = 250;

/**
 * The Redis connection of the shared limits. Tuned so that a Redis that is down or slow never
 * holds a request: no offline queue (a command while disconnected fails at once), one attempt
 * per command, a short command timeout; reconnection runs in the background, up to once a
 * second. Connection events feed `health` (the outage is logged there once).
 */
export function openLimitsRedis(url: string, health: LimitsHealth): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(1_000, 50 * attempt),
    // A short name in CLIENT LIST, so an operator can tell Switchboard's connections apart.
    connectionName: "switchboard-limits",
  });
  redis.on("ready", () => health.recovered());
  // ioredis also emits each failed connection attempt here; an unhandled 'error' would crash.
  redis.on("error", (err: Error) => health.failed("connect", err));
  return redis;
}

/** Connects, waiting at most `timeoutMs`; a failure is recorded in `health` and the service starts anyway (limits per instance until Redis answers). */
export async function connectLimitsRedis(redis: Redis, health: LimitsHealth, timeoutMs = 3_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    health.failed("connect", err);
  } finally {
    clearTimeout(timer);
  }
}
