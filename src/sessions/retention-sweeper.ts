import { Counter, type Registry } from "prom-client";

/** One kind of data kept for a limited time. */
export interface RetentionTarget {
  /** What it deletes, as logs and metrics name it: "sessions", "responses". */
  kind: string;
  /** How long an item is kept (ms); 0 keeps it for ever (never swept). */
  ttlMs: number;
  /** Deletes items that expired before `cutoffMs`, doing at most about `budget` units of work; returns how many items it deleted. */
  sweep(cutoffMs: number, budget: number): Promise<number>;
}

export interface RetentionLogger {
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RetentionSweeperOptions {
  targets: RetentionTarget[];
  /** Time between sweeps when the last one found nothing to delete. */
  intervalMs: number;
  /** Bound on one sweep of one target (transcript rows for sessions, responses for responses). */
  budget: number;
  logger: RetentionLogger;
  registry: Registry;
  now?: () => number;
}

/** After a sweep that deleted something, the next one comes this soon, until the backlog is gone. */
const CATCH_UP_MS = 1000;

/**
 * Deletes expired data in the background: a timer (never a request) runs one bounded sweep per
 * target, one sweep at a time; a sweep that deleted something is followed by another a second
 * later, so a backlog (the first start after an upgrade) drains in bounded steps instead of one
 * long pause. A target that fails is logged once and counted, and tried again next time.
 */
export class RetentionSweeper {
  readonly #deleted: Counter<"kind">;
  readonly #errors: Counter<"kind">;
  readonly #logged = new Set<string>();
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;

  readonly #options: RetentionSweeperOptions;

  constructor(options: RetentionSweeperOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#deleted = new Counter({
      name: "switchboard_retention_deleted_total",
      help: "Items deleted by the retention sweep because their time-to-live passed, by kind (sessions, responses)",
      labelNames: ["kind"],
      registers: [options.registry],
    });
    this.#errors = new Counter({
      name: "switchboard_retention_errors_total",
      help: "Retention sweeps of a kind that failed (the store was unavailable); retried at the next sweep",
      labelNames: ["kind"],
      registers: [options.registry],
    });
  }

  /** Starts sweeping (the first sweep one interval from now). Does nothing when no target has a time-to-live. */
  start(): void {
    if (!this.#stopped || !this.#options.targets.some((t) => t.ttlMs > 0)) return;
    this.#stopped = false;
    this.#schedule(this.#options.intervalMs);
  }

  /** Stops sweeping; resolves once a sweep in progress has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.sweepOnce().then((deleted) => {
        this.#running = undefined;
        const any = Object.values(deleted).some((n) => n > 0);
        this.#schedule(any ? CATCH_UP_MS : this.#options.intervalMs);
      });
    }, delayMs);
    // The sweep never keeps the process alive on its own.
    this.#timer.unref();
  }

  /** One sweep of every target with a time-to-live; returns what each deleted. Never throws. */
  async sweepOnce(): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const target of this.#options.targets) {
      if (target.ttlMs <= 0) continue;
      try {
        const n = await target.sweep(this.#now() - target.ttlMs, this.#options.budget);
        deleted[target.kind] = n;
        if (n > 0) {
          this.#deleted.inc({ kind: target.kind }, n);
          this.#options.logger.debug({ kind: target.kind, deleted: n }, "retention sweep deleted expired data");
        }
      } catch (err) {
        this.#errors.inc({ kind: target.kind });
        if (!this.#logged.has(target.kind)) {
          this.#logged.add(target.kind);
          this.#options.logger.error(
            { err, kind: target.kind },
            "retention sweep failed (logged once per kind; see switchboard_retention_errors_total)",
          );
        }
      }
    }
    return deleted;
  }
}
