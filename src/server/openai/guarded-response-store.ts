import type { FastifyBaseLogger } from "fastify";
import { Counter, type Registry } from "prom-client";
import { apiError } from "../../chat/chat-errors.js";
import type { ResponseStore, StoredResponse } from "./response-store.js";

const ERRORS_METRIC = "switchboard_openai_response_store_errors_total";

/** The response store behind a wall: its failures are logged once per kind, counted, and turned into a 503. */
export class GuardedResponseStore {
  readonly #errors: Counter<"operation">;
  readonly #logged = new Set<string>();

  readonly #store: ResponseStore;

  constructor(store: ResponseStore, registry: Registry) {
    this.#store = store;
    // One series for every guard of the registry's app (the Responses routes', the feedback route's).
    this.#errors =
      (registry.getSingleMetric(ERRORS_METRIC) as Counter<"operation"> | undefined) ??
      new Counter({
        name: ERRORS_METRIC,
        help: "Failed reads and writes of stored Responses API responses, by operation",
        labelNames: ["operation"],
        registers: [registry],
      });
  }

  #failed(operation: string, err: unknown, log: FastifyBaseLogger): void {
    this.#errors.inc({ operation });
    if (!this.#logged.has(operation)) {
      this.#logged.add(operation);
      log.error(
        { err, operation },
        "response store failed (logged once per operation; see switchboard_openai_response_store_errors_total)",
      );
    }
  }

  async read<T>(operation: string, fn: (store: ResponseStore) => Promise<T>, log: FastifyBaseLogger): Promise<T> {
    try {
      return await fn(this.#store);
    } catch (err) {
      this.#failed(operation, err, log);
      throw apiError("response_store_unavailable");
    }
  }

  /**
   * Ends a claimed continuation (finished: kept; released: the response may be continued again).
   * A failure is logged and counted, never thrown: the answer still goes out. A claim that could
   * not be released is freed when its lease runs out.
   */
  async settle(
    operation: "finish_continuation" | "release_continuation",
    fn: (store: ResponseStore) => Promise<void>,
    log: FastifyBaseLogger,
  ): Promise<void> {
    try {
      await fn(this.#store);
    } catch (err) {
      this.#failed(operation, err, log);
    }
  }

  /** A failed save loses only the ability to retrieve or continue this response; the answer still goes out. */
  async save(response: StoredResponse, log: FastifyBaseLogger): Promise<void> {
    try {
      await this.#store.save(response);
    } catch (err) {
      this.#failed("save", err, log);
    }
  }
}
