// The metrics the delivery writes, as an interface: the service's TracingMetrics (prom-client)
// satisfies it when the delivery runs in the main thread; in the export worker a recorder
// collects the same calls as deltas, which the main thread applies to its registry. /metrics is
// served from one registry either way.

type Labels = Record<string, string | number>;

export interface CounterLike {
  inc(labels?: Labels | number, value?: number): void;
}
export interface GaugeLike {
  set(value: number): void;
}
export interface HistogramLike {
  observe(labels: Labels, value: number): void;
}

/** What the export side (SpanEncoder, SpanBatcher, BatchDelivery and their FaultReporter) writes. */
export interface DeliveryMetrics {
  readonly spansExported: CounterLike;
  readonly spansCut: CounterLike;
  readonly spansDropped: CounterLike;
  readonly spansResent: CounterLike;
  readonly spansRejected: CounterLike;
  readonly exportAttempts: CounterLike;
  readonly exportFailures: CounterLike;
  readonly exportDuration: HistogramLike;
  readonly backendState: GaugeLike;
  readonly authFailures: CounterLike;
  readonly errors: CounterLike;
  readonly journalBatchesReplayed: CounterLike;
  readonly journalBatchesEvicted: CounterLike;
  readonly journalBatchesWritten: CounterLike;
  readonly journalEntriesCorrupt: CounterLike;
  readonly journalAvailable: GaugeLike;
}

export const COUNTERS = [
  "spansExported",
  "spansCut",
  "spansDropped",
  "spansResent",
  "spansRejected",
  "exportAttempts",
  "exportFailures",
  "authFailures",
  "errors",
  "journalBatchesReplayed",
  "journalBatchesEvicted",
  "journalBatchesWritten",
  "journalEntriesCorrupt",
] as const;
export const GAUGES = ["backendState", "journalAvailable"] as const;

/** Metric changes since the last drain; plain data, posted between threads. */
export interface MetricDeltas {
  /** [metric, labels as JSON ("" for none), increment]. */
  counters: [string, string, number][];
  /** Latest values. */
  gauges: [string, number][];
  /** [labels as JSON, seconds] per observation. */
  durations: [string, number][];
}

/** The worker's side: records every call, hands the deltas over on drain. */
export class RecordingDeliveryMetrics implements DeliveryMetrics {
  readonly #counters = new Map<string, number>();
  readonly #gauges = new Map<string, number>();
  #durations: [string, number][] = [];
  #dirty = false;

  readonly spansExported = this.#counter("spansExported");
  readonly spansCut = this.#counter("spansCut");
  readonly spansDropped = this.#counter("spansDropped");
  readonly spansResent = this.#counter("spansResent");
  readonly spansRejected = this.#counter("spansRejected");
  readonly exportAttempts = this.#counter("exportAttempts");
  readonly exportFailures = this.#counter("exportFailures");
  readonly authFailures = this.#counter("authFailures");
  readonly errors = this.#counter("errors");
  readonly journalBatchesReplayed = this.#counter("journalBatchesReplayed");
  readonly journalBatchesEvicted = this.#counter("journalBatchesEvicted");
  readonly journalBatchesWritten = this.#counter("journalBatchesWritten");
  readonly journalEntriesCorrupt = this.#counter("journalEntriesCorrupt");
  readonly backendState = this.#gauge("backendState");
  readonly journalAvailable = this.#gauge("journalAvailable");
  readonly exportDuration: HistogramLike = {
    observe: (labels, value) => {
      this.#durations.push([JSON.stringify(labels), value]);
      this.#dirty = true;
    },
  };

  /** True when something was recorded since the last drain. */
  get dirty(): boolean {
    return this.#dirty;
  }

  drain(): MetricDeltas {
    const counters: [string, string, number][] = [];
    for (const [key, n] of this.#counters) {
      const cut = key.indexOf("|");
      counters.push([key.slice(0, cut), key.slice(cut + 1), n]);
    }
    const deltas: MetricDeltas = { counters, gauges: [...this.#gauges], durations: this.#durations };
    this.#counters.clear();
    this.#gauges.clear();
    this.#durations = [];
    this.#dirty = false;
    return deltas;
  }

  #counter(name: string): CounterLike {
    return {
      inc: (labels, value) => {
        const hasLabels = typeof labels === "object";
        const key = `${name}|${hasLabels ? JSON.stringify(labels) : ""}`;
        const by = hasLabels ? (value ?? 1) : ((labels as number | undefined) ?? 1);
        this.#counters.set(key, (this.#counters.get(key) ?? 0) + by);
        this.#dirty = true;
      },
    };
  }

  #gauge(name: string): GaugeLike {
    return {
      set: (value) => {
        this.#gauges.set(name, value);
        this.#dirty = true;
      },
    };
  }
}

/** The main thread's side: applies a worker's deltas to the service's metrics. */
export function applyDeltas(metrics: DeliveryMetrics, deltas: MetricDeltas): void {
  const table = metrics as unknown as Record<string, CounterLike & GaugeLike>;
  for (const [name, labels, n] of deltas.counters) {
    const counter = table[name];
    if (!counter) continue;
    if (labels) counter.inc(JSON.parse(labels) as Labels, n);
    else counter.inc(n);
  }
  for (const [name, value] of deltas.gauges) table[name]?.set(value);
  for (const [labels, seconds] of deltas.durations)
    metrics.exportDuration.observe(JSON.parse(labels) as Labels, seconds);
}
