// What the receiver's request handlers share: the store, auth, faults, counters, logger, and
// the bookkeeping close() needs to end requests that are waiting or hung.
import type { ServerResponse } from "node:http";
import type { BasicAuthChecker } from "./basic-auth.js";
import type { FaultController } from "./faults.js";
import type { UsageBackfill } from "./pricing/usage-backfill.js";
import type { PromptStore } from "./prompts/prompt-store.js";
import type { ScoreStore } from "./scores/score-store.js";
import type { ReceiverAccess } from "./receiver-access.js";
import type { StatsCounter } from "./receiver-stats.js";
import type { SpanStore } from "./span-store.js";

/** The subset of a pino logger the receiver uses (pino's own logger fits). */
export interface ReceiverLogger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

export const silentLogger: ReceiverLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

export interface ReceiverContext {
  readonly store: SpanStore;
  /** Prompt versions (the prompts API), in the same SQLite file. */
  readonly prompts: PromptStore;
  /** Scores (the scores API), in the same SQLite file. */
  readonly scores: ScoreStore;
  /** Prices rows sent without usage once their tokens are counted (off the event loop). */
  readonly usageBackfill: UsageBackfill;
  readonly auth: BasicAuthChecker;
  /** Host check, viewer sessions, the login link. */
  readonly access: ReceiverAccess;
  /** PUT /_receiver/faults and DELETE /_receiver/data answer only when true (tests, benchmarks). */
  readonly controlRoutes: boolean;
  readonly faults: FaultController;
  readonly stats: StatsCounter;
  readonly logger: ReceiverLogger;
  readonly bodyLimitBytes: number;
  /** True once close() began: handlers must not touch the store any more. */
  isClosing(): boolean;
  /** Resolves after `ms`, or at once when the receiver closes. */
  sleep(ms: number): Promise<void>;
  /** Keeps a response that will never be answered, so close() can cut it off. */
  holdForever(res: ServerResponse): void;
}
