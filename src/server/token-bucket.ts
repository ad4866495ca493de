export type TakeResult = { ok: true } | { ok: false; retryAfterSec: number };

/**
 * Per-client token buckets: `perMinute` tokens, refilled continuously, so a client can burst up
 * to `perMinute` requests and then sustain perMinute/60 per second. Full buckets are forgotten
 * (they hold no information), so memory follows the clients active in the last minute.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #ratePerMs: number;

  constructor(private readonly perMinute: number) {
    this.#ratePerMs = perMinute / 60_000;
  }

  take(key: string, now = Date.now()): TakeResult {
    if (this.#buckets.size > 10_000) this.#sweep(now);
    const b = this.#buckets.get(key) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * this.#ratePerMs);
    b.at = now;
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - b.tokens) / this.#ratePerMs / 1000)) };
  }

  get size(): number {
    return this.#buckets.size;
  }

  #sweep(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * this.#ratePerMs >= this.perMinute) this.#buckets.delete(key);
    }
  }
}
