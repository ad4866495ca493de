/** Counts open streams per client in this process; a client at its cap gets no slot until one closes. */
export class LocalStreamSlots {
  readonly #open = new Map<string, number>();

  readonly #maxPerClient: number;

  constructor(maxPerClient: number) {
    this.#maxPerClient = maxPerClient;
  }

  /** A release function (idempotent), or null when the client is at its cap. */
  tryAcquire(key: string): (() => void) | null {
    const n = this.#open.get(key) ?? 0;
    if (n >= this.#maxPerClient) return null;
    this.#open.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left <= 0) this.#open.delete(key);
      else this.#open.set(key, left);
    };
  }

  open(key: string): number {
    return this.#open.get(key) ?? 0;
  }
}
