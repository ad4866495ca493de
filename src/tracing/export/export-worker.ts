// The export worker: journal, retries and HTTP of the tracing pipeline, on a thread of its own,
// so none of it (SQLite writes of megabyte batches, request bodies, checksums) runs on the
// service's event loop. It receives sealed batches from WorkerExporter and reports state and
// metric deltas back; see export-worker-protocol.ts.
import { parentPort, workerData } from "node:worker_threads";
import type { Encoded } from "../encoding/span-format.js";
import { FaultReporter, type TracingLogger } from "../fault-reporter.js";
import type { BatchDelivery } from "./batch-delivery.js";
import { RecordingDeliveryMetrics } from "./delivery-metrics.js";
import type { DeliveryState, FromWorker, ToWorker } from "./export-worker-protocol.js";
import { openDelivery, type ExportSettings } from "./export-settings.js";

/** State changes are reported at most this often (the main thread's gauges and counters follow). */
const REPORT_EVERY_MS = 100;

const port = parentPort;
if (!port) throw new Error("export-worker.js runs as a worker thread");
const post = (message: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer ?? []);

const logger: TracingLogger = {
  info: (obj, msg) => post({ type: "log", level: "info", obj, msg }),
  warn: (obj, msg) => post({ type: "log", level: "warn", obj, msg }),
  error: (obj, msg) => post({ type: "log", level: "error", obj, msg }),
};
const metrics = new RecordingDeliveryMetrics();
const faults = new FaultReporter(metrics, logger);
const delivery: BatchDelivery = openDelivery(workerData as ExportSettings, metrics, faults, logger);

let seq = 0;

function state(): DeliveryState {
  const journal = delivery.journal;
  return { heldSpans: delivery.heldSpans, memoryBytes: delivery.memoryBytes, journalBytes: journal.bytes, journalEntries: journal.entries, durable: journal.durable, backendState: delivery.backendState, seq };
}

// Changes are coalesced: one report per REPORT_EVERY_MS at most, none while nothing changes.
let lastReported = "";
const report = setInterval(() => {
  const current = state();
  const key = JSON.stringify(current);
  if (!metrics.dirty && key === lastReported) return;
  lastReported = key;
  post({ type: "state", state: current, deltas: metrics.drain() });
}, REPORT_EVERY_MS);
report.unref();

/** Byte payloads arrive as plain Uint8Arrays over the transferred memory: make them Buffers again (no copy). */
function asPayload(payload: Encoded): Encoded {
  return typeof payload === "string" || Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

port.on("message", (message: ToWorker) => {
  try {
    switch (message.type) {
      case "batches":
        seq = message.seq;
        delivery.accept(
          message.batches.map((b) => ({ payload: asPayload(b.payload), count: b.count })),
          message.send,
        );
        return;
      case "sync":
        post({ type: "state", id: message.id, state: state(), deltas: metrics.drain() });
        return;
      case "flush":
        void delivery.forceFlush(message.timeoutMs).finally(() => post({ type: "done", id: message.id, state: state(), deltas: metrics.drain() }));
        return;
      case "shutdown":
        void delivery.shutdown(message.timeoutMs).finally(() => {
          clearInterval(report);
          post({ type: "done", id: message.id, state: state(), deltas: metrics.drain() });
        });
        return;
    }
  } catch (err) {
    faults.report("export_worker_message", err);
  }
});

post({ type: "ready", state: state() });
