// The load generator: autocannon's programmatic API, with every response's latency recorded into
// an HDR histogram (autocannon itself reports no p95).
//
// One load = warm-up + measured window, without a pause between them. The connections are split
// into groups (one autocannon instance each) whose starts are spread over the warm-up: with a
// model of constant latency, connections started together stay in lock-step for the whole run,
// and the number of turns completed in a window would jump in waves of `connections`. Only
// responses (and errors) that complete inside the window are counted.
import autocannon, { type AutocannonClient, type AutocannonInstance } from "autocannon";
import * as hdr from "hdr-histogram-js";
import { ConversationSource, type SessionPlan } from "./messages.js";

export interface LoadOptions {
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  connections: number;
  /** Seconds of unmeasured load before the window. */
  warmup: number;
  /** Seconds of the measured window. */
  duration: number;
  /** Seconds before a request counts as timed out (and failed). */
  timeoutSeconds: number;
  /** Makes session ids unique to this load. */
  runTag: string;
  sessionPlan?: SessionPlan;
  /** Most autocannon instances the connections are split into (default 32). */
  maxGroups?: number;
  /** Called when the measured window opens (take baselines here). */
  onWindowStart?: () => void;
  /**
   * Called once when the measured window closes (or when the load ends, if that is earlier and
   * the window had opened). Autocannon keeps its connections busy until its next sample tick, a
   * little past the window: figures taken "after the load" would include that work, figures
   * taken here do not.
   */
  onWindowEnd?: () => void;
  /** Called about once a second with the responses counted so far in the window. */
  onTick?: (answeredInWindow: number, phase: "warm-up" | "measure") => void;
}

export interface LatencySummaryMs {
  count: number;
  avg: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
}

export interface LoadResult {
  /** Seconds of the measured window. */
  seconds: number;
  /** 2xx responses in the window. */
  answered: number;
  non2xx: number;
  /** Connection errors in the window, timeouts included. */
  errors: number;
  timeouts: number;
  /** non2xx + errors. */
  failed: number;
  statusCodes: Record<string, number>;
  /** Answered per second of window. */
  throughputRps: number;
  /** Latency of the window's 2xx responses. */
  latencyMs: LatencySummaryMs;
  /** Responses during the warm-up (not measured). */
  warmupResponses: number;
}

const PATH = "/api/v1/chat";

/** Splits `connections` into at most `maxGroups` near-equal positive parts. */
export function splitConnections(connections: number, maxGroups: number): number[] {
  const groups = Math.max(1, Math.min(connections, maxGroups));
  const base = Math.floor(connections / groups);
  return Array.from({ length: groups }, (_, i) => base + (i < connections % groups ? 1 : 0));
}

export function summarizeHistogram(histogram: hdr.Histogram, unitsPerMs: number): LatencySummaryMs {
  const count = histogram.totalCount;
  const at = (p: number) => (count > 0 ? histogram.getValueAtPercentile(p) / unitsPerMs : Number.NaN);
  return {
    count,
    avg: count > 0 ? histogram.mean / unitsPerMs : Number.NaN,
    min: count > 0 ? histogram.minNonZeroValue / unitsPerMs : Number.NaN,
    max: count > 0 ? histogram.maxValue / unitsPerMs : Number.NaN,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
  };
}

/** Runs one bounded load; `stop()` ends it early. */
export function runLoad(options: LoadOptions): { done: Promise<LoadResult>; stop: () => void } {
  // Microseconds, 3 significant digits: 0.1 % resolution from 1 us to an hour.
  const histogram = hdr.build({
    bitBucketSize: 64,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const statusCodes: Record<string, number> = {};
  let answered = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let warmupResponses = 0;
  let nextIndex = 0;

  const t0 = performance.now();
  const windowStart = t0 + options.warmup * 1000;
  const windowEnd = windowStart + options.duration * 1000;
  const inWindow = () => {
    const now = performance.now();
    return now >= windowStart && now <= windowEnd;
  };

  const groups = splitConnections(options.connections, options.maxGroups ?? 32);
  // Spread the group starts over the warm-up (or start all at once without one).
  const spacingMs = options.warmup > 0 ? (options.warmup * 1000) / groups.length : 0;
  const instances: AutocannonInstance[] = [];
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;

  const startGroup = (connections: number) =>
    new Promise<void>((resolve, reject) => {
      if (stopped) return resolve();
      const seconds = (windowEnd - performance.now()) / 1000;
      if (seconds <= 0) return resolve();
      const instance = autocannon(
        {
          url: options.baseUrl,
          connections,
          duration: seconds,
          timeout: options.timeoutSeconds,
          // Autocannon stops at the first sample tick after its duration: a short tick keeps
          // the load from running on up to a second past the window.
          sampleInt: 100,
          setupClient(client: AutocannonClient) {
            const source = new ConversationSource(nextIndex++, options.runTag, options.sessionPlan);
            client.setRequests([
              {
                method: "POST",
                path: PATH,
                headers: { "content-type": "application/json" },
                setupRequest: (request) => ({ ...request, body: source.next() }),
              },
            ]);
          },
        },
        (err) => (err ? reject(err) : resolve()),
      );
      instances.push(instance);
      instance.on("response", (_client, statusCode, _bytes, responseTime) => {
        if (!inWindow()) {
          warmupResponses++;
          return;
        }
        statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
        if (statusCode >= 200 && statusCode < 300) {
          answered++;
          histogram.recordValue(Math.max(1, Math.round(responseTime * 1000)));
        } else {
          non2xx++;
        }
      });
      instance.on("reqError", (err: Error) => {
        if (!inWindow()) return;
        errors++;
        if (err?.message === "request timed out") timeouts++;
      });
    });

  const groupsDone = groups.map(
    (connections, i) =>
      new Promise<void>((resolve, reject) => {
        const offsetMs = i * spacingMs;
        const go = () => startGroup(connections).then(resolve, reject);
        if (offsetMs === 0) go();
        else timers.push(setTimeout(go, offsetMs));
      }),
  );

  let windowOpened = false;
  let windowClosed = false;
  const closeWindow = () => {
    if (!windowOpened || windowClosed) return;
    windowClosed = true;
    options.onWindowEnd?.();
  };
  const windowTimer = setTimeout(
    () => {
      windowOpened = true;
      options.onWindowStart?.();
    },
    Math.max(0, windowStart - performance.now()),
  );
  timers.push(windowTimer);
  timers.push(setTimeout(closeWindow, Math.max(0, windowEnd - performance.now())));
  const ticker = setInterval(
    () => options.onTick?.(answered, performance.now() < windowStart ? "warm-up" : "measure"),
    1000,
  );
  ticker.unref();

  const done = Promise.all(groupsDone).then((): LoadResult => {
    clearInterval(ticker);
    closeWindow();
    const seconds = (Math.min(performance.now(), windowEnd) - windowStart) / 1000;
    return {
      seconds,
      answered,
      non2xx,
      errors,
      timeouts,
      failed: non2xx + errors,
      statusCodes,
      throughputRps: seconds > 0 ? answered / seconds : Number.NaN,
      latencyMs: summarizeHistogram(histogram, 1000),
      warmupResponses,
    };
  });
  done
    .catch(() => {})
    .finally(() => {
      clearInterval(ticker);
      for (const t of timers) clearTimeout(t);
    });
  return {
    done,
    stop: () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      for (const i of instances) i.stop();
    },
  };
}
