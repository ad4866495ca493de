// The receiver's retention: every interval, the traces whose first observation started longer ago
// than the TTL are deleted, whole (all their rows and their scores), a few hundred traces per
// transaction with the event loop free in between, so ingestion and the viewer never wait long on
// a sweep; then the scores past the TTL that belong to no stored trace (session scores, scores of
// traces that never arrived). Prompts are kept. The timer is unref'd: a receiver with nothing
// else to do does not stay alive for it.
import type { ReceiverLogger } from "./receiver-context.js";
import type { ScoreStore } from "./scores/score-store.js";
import type { SpanStore } from "./span-store.js";

/** Traces deleted per transaction. */
const BATCH_TRACES = 500;
const MAX_INTERVAL_MS = 10 * 60_000;
const MIN_INTERVAL_MS = 1000;

export class TraceSweeper {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #stopped = false;

  readonly #store: SpanStore;
  readonly #scores: ScoreStore;
  readonly #logger: ReceiverLogger;
  /** 0: keep every trace. */
  readonly #ttlMs: number;

  constructor(store: SpanStore, scores: ScoreStore, logger: ReceiverLogger, ttlMs: number, intervalMs?: number) {
    this.#store = store;
    this.#scores = scores;
    this.#logger = logger;
    this.#ttlMs = ttlMs;
    if (ttlMs <= 0) return;
    const every = intervalMs ?? Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, Math.floor(ttlMs / 10)));
    this.#timer = setInterval(() => void this.sweep(), every);
    this.#timer.unref();
  }

  /** Deletes the expired traces now (joins a sweep already running); resolves to how many. */
  sweep(): Promise<number> {
    if (this.#ttlMs <= 0 || this.#stopped) return Promise.resolve(0);
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #run(): Promise<number> {
    const cutoff = new Date(Date.now() - this.#ttlMs).toISOString();
    let deleted = 0;
    let scores = 0;
    try {
      for (;;) {
        if (this.#stopped || !this.#store.isOpen) break;
        const n = this.#store.deleteTracesStartedBefore(cutoff, BATCH_TRACES, (ids) => {
          scores += this.#scores.deleteOfTraces(ids);
        });
        deleted += n;
        if (n < BATCH_TRACES) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (!this.#stopped && this.#store.isOpen) scores += this.#scores.deleteOlderThan(cutoff);
      if (deleted > 0) this.#store.recount();
      if (deleted > 0 || scores > 0) {
        this.#logger.info(
          { traces: deleted, scores, before: cutoff },
          "deleted traces and scores past their time-to-live",
        );
      }
    } catch (err) {
      this.#logger.error({ err }, "trace retention sweep failed; it runs again at the next interval");
    }
    return deleted;
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }
}
