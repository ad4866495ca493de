// Prices the rows that arrived without usage or cost once their tokens are counted, as Langfuse
// counts a generation's tokens before it writes the row: the row is stored at once (unpriced),
// counted in the token counter's worker thread, then priced. One row at a time, in arrival
// order; a failure is logged once and leaves the row unpriced.
import type { ReceiverLogger } from "../receiver-context.js";
import type { SpanStore } from "../span-store.js";
import { TokenCounter } from "./token-counter.js";

export class UsageBackfill {
  readonly #counter = new TokenCounter();
  readonly #queue: number[] = [];
  #running: Promise<void> | undefined;
  #closed = false;
  #warned = false;

  readonly #store: SpanStore;
  readonly #logger: ReceiverLogger;

  constructor(store: SpanStore, logger: ReceiverLogger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** Rows (by row id) whose usage is to be counted from their input and output. */
  enqueue(rowIds: readonly number[]): void {
    if (this.#closed || rowIds.length === 0) return;
    this.#queue.push(...rowIds);
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
  }

  /** Resolves when every row queued so far is priced (tests). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    for (let rowId = this.#queue.shift(); rowId !== undefined; rowId = this.#queue.shift()) {
      if (this.#closed || !this.#store.isOpen) return;
      const row = this.#store.tokenizationOf(rowId);
      if (!row) continue;
      try {
        const counts = await this.#counter.count(row.tokenizer, row.input, row.output);
        if (this.#closed || !this.#store.isOpen) return;
        this.#store.priceWithTokens(rowId, counts);
      } catch (err) {
        if (this.#closed) return;
        if (!this.#warned) {
          this.#warned = true;
          this.#logger.warn({ err }, "counting a generation's tokens failed; such rows stay unpriced");
        }
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#queue.length = 0;
    await this.#counter.close();
  }
}
