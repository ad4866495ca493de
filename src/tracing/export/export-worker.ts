// The export worker: encoding, masking, batching, journal, retries and HTTP of the tracing
// pipeline, on a thread of its own, so none of it (quoting and masking 100 KB messages, SQLite
// writes of megabyte batches, request bodies) runs on the service's event loop. It receives
// finished observations from WorkerExporter and reports state and metric deltas back; see
// export-worker-protocol.ts.
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { FaultReporter, type TracingLogger } from "../fault-reporter.js";
import { RecordingDeliveryMetrics } from "./delivery-metrics.js";
import type { DeliveryState, FromWorker, ToWorker } from "./export-worker-protocol.js";
import { openExportPipeline, type ExportSettings } from "./export-settings.js";

/**
 * The worker's scheduling priority (nice): below the service's threads, so on a busy machine the
 * export takes the CPU the requests leave (with 10, about a tenth of a core the main thread also
 * wants) instead of preempting the event loop for a time slice. Falling behind fills the bounded
 * queue, which drops, counted; it never slows a request.
 */
const WORKER_NICE = 10;
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
lowerPriority();
const metrics = new RecordingDeliveryMetrics();
const faults = new FaultReporter(metrics, logger);
const exporter = openExportPipeline(workerData as ExportSettings, metrics, faults, logger, "worker");
const spans = exporter.spans;

let seq = 0;

function state(): DeliveryState {
  const journal = spans.journal;
  return {
    heldSpans: spans.heldSpans,
    unsealedSpans: spans.unsealedSpans,
    memoryBytes: spans.memoryBytes,
    journalBytes: journal.bytes,
    journalEntries: journal.entries,
    durable: journal.durable,
    backendState: spans.backendState,
    seq,
  };
}

// Changes are coalesced: one report per REPORT_EVERY_MS at most, none while nothing changes.
// Reports also go between the messages of a long burst (the port delivers queued messages one
// after another without letting timers run), so the main thread learns what was taken.
let lastReported = "";
let lastReportAt = 0;
function reportChanges(): void {
  lastReportAt = performance.now();
  const current = state();
  const key = JSON.stringify(current);
  if (!metrics.dirty && key === lastReported) return;
  lastReported = key;
  post({ type: "state", state: current, deltas: metrics.drain() });
}
const report = setInterval(reportChanges, REPORT_EVERY_MS);
report.unref();

port.on("message", (message: ToWorker) => {
  try {
    switch (message.type) {
      case "spans":
        seq = message.seq;
        for (const span of message.spans) exporter.push(span);
        if (performance.now() - lastReportAt >= REPORT_EVERY_MS) reportChanges();
        return;
      case "sync":
        post({ type: "state", id: message.id, state: state(), deltas: metrics.drain() });
        return;
      case "flush":
        void exporter
          .forceFlush(message.timeoutMs)
          .finally(() => post({ type: "done", id: message.id, state: state(), deltas: metrics.drain() }));
        return;
      case "shutdown":
        void exporter.shutdown(message.timeoutMs).finally(() => {
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

/** Linux gives each thread its own nice value: this thread's id is the last part of /proc/thread-self. */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, WORKER_NICE);
  } catch {
    // Not Linux (no /proc/thread-self): the worker runs at the process's priority.
  }
}
