import { abortErrorFor } from "./model-errors.js";

/**
 * Waits `ms`, rejecting promptly with an AbortError when `signal` aborts. `ms <= 0` creates no
 * timer at all (benchmarks run the simulated model at zero latency and must not pay a macrotask
 * per token); it only checks the signal.
 */
export function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> | undefined {
  if (signal?.aborted) return Promise.reject(abortErrorFor(signal));
  if (ms <= 0) return undefined;
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorFor(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
