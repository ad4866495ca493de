import type { CounterLike } from "./export/delivery-metrics.js";

/** The part of a pino logger tracing uses. */
export interface TracingLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Where tracing's own failures go: counted every time, logged once per kind, never thrown.
 * A broken Langfuse setup must not fill the log with one line per request.
 */
export class FaultReporter {
  readonly #logged = new Set<string>();

  readonly #metrics: { readonly errors: CounterLike };
  readonly #logger: TracingLogger;

  constructor(metrics: { readonly errors: CounterLike }, logger: TracingLogger) {
    this.#metrics = metrics;
    this.#logger = logger;
  }

  report(kind: string, err: unknown, context?: Record<string, unknown>): void {
    try {
      this.#metrics.errors.inc({ kind });
      if (this.#logged.has(kind)) return;
      this.#logged.add(kind);
      const message = err instanceof Error ? err.message : String(err);
      this.#logger.warn(
        { kind, error: message, ...context },
        "tracing error (isolated from requests; further errors of this kind are only counted)",
      );
    } catch {
      // Reporting must never become a failure of its own.
    }
  }
}
