/**
 * Serializes work per key within this process: two turns on the same session run one after
 * the other, in arrival order; different sessions run concurrently.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Runs `fn` once every earlier job on `key` has finished. When `signal` aborts first, the
   * wait is given up: the promise rejects with the signal's reason, `fn` never runs, and the
   * jobs queued behind keep their order.
   */
  async run<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.#tails.set(key, tail);
    const done = () => {
      release();
      // Drop the entry once nobody queued behind us, so the map does not grow with sessions.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    try {
      await (signal ? untilAborted(previous, signal) : previous);
    } catch (err) {
      // Our place in line passes to the next job as soon as it is reached.
      void previous.then(done);
      throw err;
    }
    try {
      return await fn();
    } finally {
      done();
    }
  }

  /** Keys with work running or queued. */
  get size(): number {
    return this.#tails.size;
  }
}

function untilAborted(wait: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    void wait.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}
