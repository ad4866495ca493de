// Messages between the main thread's WorkerExporter and the export worker.
import type { Encoded } from "../encoding/span-format.js";
import type { BackendState } from "./batch-delivery.js";
import type { MetricDeltas } from "./delivery-metrics.js";

export type ToWorker =
  /** Sealed batches; byte payloads arrive transferred, not copied. */
  | { type: "batches"; seq: number; batches: { payload: Encoded; count: number }[]; send: boolean }
  | { type: "flush"; id: number; timeoutMs: number }
  | { type: "shutdown"; id: number; timeoutMs: number }
  /** Asks for the current state and metric deltas now (a /metrics scrape). */
  | { type: "sync"; id: number };

/** What the main thread shows of the worker's delivery (gauges, accounting). */
export interface DeliveryState {
  heldSpans: number;
  memoryBytes: number;
  journalBytes: number;
  journalEntries: number;
  durable: boolean;
  backendState: BackendState;
  /** The last batches message taken into this state. */
  seq: number;
}

export type FromWorker =
  | { type: "ready"; state: DeliveryState }
  /** State and metric deltas: after changes (coalesced), and in answer to sync. */
  | { type: "state"; state: DeliveryState; deltas: MetricDeltas; id?: number }
  | { type: "done"; id: number; state: DeliveryState; deltas: MetricDeltas }
  | { type: "log"; level: "info" | "warn" | "error"; obj: object; msg: string };
