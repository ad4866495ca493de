import { Histogram, Counter, type Registry } from "prom-client";

/** Counters of chat turns, registered in the app's registry. */
export class ChatMetrics {
  readonly #turns: Counter<"outcome" | "answered_by">;
  readonly #duration: Histogram<"outcome">;

  constructor(registry: Registry) {
    this.#turns = new Counter({
      name: "switchboard_chat_turns_total",
      help: "Chat turns by outcome (ok, client_gone, or an error code such as session_not_found, session_busy, model_unavailable) and the node that answered",
      labelNames: ["outcome", "answered_by"],
      registers: [registry],
    });
    this.#duration = new Histogram({
      name: "switchboard_chat_turn_duration_seconds",
      help: "Time of one chat turn from its arrival, the wait for its session, graph and model calls included",
      labelNames: ["outcome"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
  }

  turnFinished(outcome: string, answeredBy: string, ms: number): void {
    this.#turns.inc({ outcome, answered_by: answeredBy });
    this.#duration.observe({ outcome }, ms / 1000);
  }
}
