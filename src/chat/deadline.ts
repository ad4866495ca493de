/**
 * An AbortSignal that aborts after `ms` exactly as AbortSignal.timeout(ms) does (reason: a
 * DOMException named TimeoutError; the timer does not keep the process alive), and whose timer
 * `clear()` removes once the work it bounds is over.
 *
 * AbortSignal.timeout's timer stays armed until it fires or the signal is garbage collected
 * (through a FinalizationRegistry), so each turn left two 30-second timers behind it, and creating
 * one costs several times a controller and a plain timer.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  clear(): void;
}

export function deadline(ms: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")),
    ms,
  );
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
