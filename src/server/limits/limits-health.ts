import { Counter, Gauge, type Registry } from "prom-client";

export interface LimitsLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * The state of the shared limits store (Redis, REDIS_URL). A store that fails is isolated: every
 * limit falls back to this instance's own count (fail to local: still enforced, but per
 * instance, so N instances allow up to N times the limit) until it answers again. Each outage is
 * logged once when it starts and once when it ends, and every failed operation is counted.
 */
export class LimitsHealth {
  readonly #errors: Counter<"operation">;
  readonly #up: Gauge;
  #down = false;

  readonly #logger: LimitsLogger;

  constructor(
    registry: Registry,
    logger: LimitsLogger,
    /** False without REDIS_URL: limits are per instance by configuration, and up stays 0. */
    readonly shared: boolean,
  ) {
    this.#logger = logger;
    this.#errors = new Counter({
      name: "switchboard_limits_store_errors_total",
      help: "Operations on the shared limits store (REDIS_URL) that failed; the limit was counted by this instance alone instead",
      labelNames: ["operation"],
      registers: [registry],
    });
    this.#up = new Gauge({
      name: "switchboard_limits_store_up",
      help: "1 while the shared limits store (REDIS_URL) answers and limits hold across instances; 0 while every limit is per instance (no REDIS_URL, or the store is failing)",
      registers: [registry],
    });
    this.#up.set(shared ? 1 : 0);
  }

  get down(): boolean {
    return this.#down;
  }

  /** An operation failed: counted; the first failure of an outage is logged. */
  failed(operation: string, err: unknown): void {
    this.#errors.inc({ operation });
    if (this.#down) return;
    this.#down = true;
    this.#up.set(0);
    this.#logger.warn(
      { operation, error: err instanceof Error ? err.message : String(err) },
      "the shared limits store (REDIS_URL) is failing: rate limits and stream caps are counted per instance until it answers again",
    );
  }

  /** The store answers again. */
  recovered(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#up.set(1);
    this.#logger.info({}, "the shared limits store (REDIS_URL) answers again: limits hold across instances");
  }
}
