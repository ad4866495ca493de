/** Time as the exporter sees it: injected, so the model-based test can run thousands of histories in virtual time. */
export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Runs `fn` after the current task (off the caller's stack, e.g. off the request path). */
  defer(fn: () => void): void;
}

/** Real time. Timers are unref'd: pending exports never keep the process alive on their own. */
export const REAL_SCHEDULER: Scheduler = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
  defer(fn) {
    setImmediate(fn);
  },
};
