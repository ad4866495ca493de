// Messages between the main thread's WorkerExporter and the export worker.
import type { SpanFacts } from "../span-facts.js";
import type { BackendState } from "./batch-delivery.js";
import type { MetricDeltas } from "./delivery-metrics.js";

export type ToWorker =
  /** Finished observations, as recorded on the request path; the worker encodes, batches and sends them. */
  | { type: "spans"; seq: number; spans: SpanFacts[] }
  | { type: "flush"; id: number; timeoutMs: number }
  | { type: "shutdown"; id: number; timeoutMs: number }
  /** Asks for the current state and metric deltas now (a /metrics scrape). */
  | { type: "sync"; id: number };

/** What the main thread shows of the worker's export (gauges, accounting). */
export interface DeliveryState {
  /** Spans the worker holds: unsealed, or in its journal. */
  heldSpans: number;
  /** Of those, not yet sealed into a batch (gone if the worker dies). */
  unsealedSpans: number;
  memoryBytes: number;
  journalBytes: number;
  journalEntries: number;
  durable: boolean;
  backendState: BackendState;
  /** The last spans message taken into this state. */
  seq: number;
}

export type FromWorker =
  | { type: "ready"; state: DeliveryState }
  /** State and metric deltas: after changes (coalesced), and in answer to sync. */
  | { type: "state"; state: DeliveryState; deltas: MetricDeltas; id?: number }
  | { type: "done"; id: number; state: DeliveryState; deltas: MetricDeltas }
  | { type: "log"; level: "info" | "warn" | "error"; obj: object; msg: string };
