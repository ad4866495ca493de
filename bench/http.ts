// Small HTTP helpers for the control traffic (readiness, /metrics, receiver stats), each bounded in time.

export async function httpText(
  url: string,
  init: { method?: string; body?: string; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const timeoutMs = init.timeoutMs ?? 5000;
  try {
    const res = await fetch(url, {
      method: init.method ?? "GET",
      body: init.body,
      headers: { ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    const reason =
      err instanceof Error && err.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : err instanceof Error
          ? err.message
          : String(err);
    throw new Error(`${init.method ?? "GET"} ${url}: ${reason}`, { cause: err });
  }
}

/** Retries `fn` once after a short pause (control calls on a loaded machine can be slow). */
export async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch {
    await sleep(500);
    return fn();
  }
}

export async function httpJson<T>(
  url: string,
  init: { method?: string; body?: unknown; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<T> {
  const { status, text } = await httpText(url, {
    ...init,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (status < 200 || status >= 300)
    throw new Error(`${init.method ?? "GET"} ${url}: HTTP ${status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` every `intervalMs` until it returns true; throws after `timeoutMs`, or as soon
 * as `abort()` returns an error message (e.g. the process exited).
 */
export async function waitUntil(
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; what: string; abort?: () => string | null },
): Promise<number> {
  const started = performance.now();
  for (;;) {
    const reason = options.abort?.();
    if (reason) throw new Error(`${options.what}: ${reason}`);
    try {
      if (await probe()) return performance.now() - started;
    } catch {}
    if (performance.now() - started > options.timeoutMs)
      throw new Error(`${options.what}: not ready after ${options.timeoutMs} ms`);
    await sleep(options.intervalMs ?? 100);
  }
}
