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

/**
 * The wait for a simulated model's response: `ms` as `abortableDelay`, and at `ms <= 0` still one
 * turn of the event loop (once per call, never per token). A network endpoint's answer never
 * arrives in the turn its request left in; without this a zero-latency chat turn ran from request
 * to reply inside one socket read, so a saturated service ran every in-flight turn whole between
 * two polls, and libuv accepts one new connection per poll: the 48th of 48 connections opened at
 * once waited 48 such loop turns for its first answer.
 */
export function responseDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  const timed = abortableDelay(ms, signal);
  if (timed) return timed;
  return new Promise<void>((resolve, reject) =>
    setImmediate(() => (signal?.aborted ? reject(abortErrorFor(signal)) : resolve())),
  );
}
