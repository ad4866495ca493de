import type { FastifyBaseLogger } from "fastify";
import type { Service } from "./service.js";

/** How long cancelled turns get to write their error to their clients. */
const CANCEL_GRACE_MS = 1_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export interface ShutdownOptions {
  /** How long in-flight turns may run before closing anyway. */
  timeoutMs: number;
  logger: FastifyBaseLogger;
}

/**
 * Stop accepting, let in-flight turns finish within the timeout, flush traces, close the store.
 * Never throws for a slow turn: past the timeout it closes anyway and says how many were cut.
 */
export async function gracefulShutdown(service: Service, options: ShutdownOptions): Promise<void> {
  const closing = service.app.close();
  const drained = service.chat.drain().then(() => true);
  const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), options.timeoutMs).unref());
  const finished = await Promise.race([drained, timedOut]);
  if (!finished) {
    options.logger.warn({ inFlight: service.chat.inFlight }, "shutdown timeout reached with turns still running");
    // Each remaining turn fails with 503 shutting_down, so its client gets an error (a stream an
    // `error` event) before the process ends, instead of a connection cut mid-answer.
    service.chat.cancelRunning();
    await Promise.race([drained, delay(CANCEL_GRACE_MS)]);
  }
  await Promise.race([closing, timedOut]);
  await service.tracing.shutdown();
  await service.store.close();
  options.logger.info("stopped");
}
