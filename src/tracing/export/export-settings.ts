import { OtlpJsonFormat } from "../encoding/otlp-json-format.js";
import { OtlpProtobufFormat } from "../encoding/otlp-protobuf-format.js";
import { join } from "node:path";
import type { ResourceInfo, SpanFormat } from "../encoding/span-format.js";
import type { FaultReporter, TracingLogger } from "../fault-reporter.js";
import type { BatchJournal } from "./batch-journal.js";
import { BatchDelivery } from "./batch-delivery.js";
import type { DeliveryMetrics } from "./delivery-metrics.js";
import type { ExporterStateView } from "../tracing-metrics.js";
import type { TracingOptions, TracingSettings } from "../tracing-options.js";
import { MemoryJournal } from "./memory-journal.js";
import { OtlpHttpTransport } from "./otlp-http-transport.js";
import { SqliteJournal } from "./sqlite-journal.js";
import { SpanExporter } from "./span-exporter.js";
import { WriteBehindJournal } from "./write-behind-journal.js";

/**
 * Everything the export side needs: the tracing settings, whole, and where the requests go
 * (built once from the tracing options).
 */
export type ExportSettings = TracingSettings &
  Pick<TracingOptions, "environment"> & {
    /** The OTLP traces endpoint. */
    url: string;
    /** Authorization and Langfuse headers of every request. */
    headers: Readonly<Record<string, string>>;
    resource: ResourceInfo;
  };

export function formatsFor(resource: ResourceInfo) {
  return { json: new OtlpJsonFormat(resource), protobuf: new OtlpProtobufFormat(resource) };
}

/** What a delivery sends: spans (the trace journal) or scores (a journal of their own). */
export interface DeliveryKind {
  /** The journal's file in the journal folder. */
  file: string;
  /** How log lines name what it holds. */
  noun: string;
  /** The payload formats its journal holds. */
  formats: (resource: ResourceInfo) => { json: SpanFormat<string>; protobuf: SpanFormat<Uint8Array> };
}

export const TRACE_DELIVERY: DeliveryKind = { file: "spool.db", noun: "trace", formats: formatsFor };

/**
 * The durable journal in the journal folder, or memory when the journal is off or the folder
 * cannot be used (read-only, not creatable): tracing then works the same, minus crash safety.
 */
export function openJournal(
  settings: ExportSettings,
  logger: TracingLogger,
  metrics: DeliveryMetrics,
  kind: DeliveryKind = TRACE_DELIVERY,
): { journal: BatchJournal; description: string } {
  if (settings.journalDir === null)
    return { journal: new MemoryJournal(), description: "memory (LANGFUSE_JOURNAL=false)" };
  try {
    // The journal keeps each batch for the destination it was made for: the endpoint and the
    // public key (the secret never reaches the file).
    const destination = { url: settings.url, publicKey: settings.headers["x-langfuse-public-key"] ?? "" };
    const { journal, recoveredFrom, heldForOthers } = SqliteJournal.open(settings.journalDir, destination, kind.file);
    if (recoveredFrom) {
      metrics.journalEntriesCorrupt.inc();
      logger.warn(
        { movedTo: recoveredFrom },
        `${kind.noun} journal file was unreadable; moved aside, starting a fresh one`,
      );
    }
    if (heldForOthers.length > 0)
      logger.warn(
        { held: heldForOthers, destination: destination.url, publicKey: destination.publicKey },
        `the ${kind.noun} journal holds batches made for another Langfuse destination (other base URL or public key): they are kept for it and never sent here; a start with that destination delivers them`,
      );
    const description = join(settings.journalDir, kind.file);
    if (settings.journalDelayMs <= 0) return { journal, description };
    const behind = new WriteBehindJournal(journal, {
      delayMs: settings.journalDelayMs,
      // Held batches share their buffers with the live lane; past the memory bound the oldest are written.
      maxHeldBytes: settings.maxQueueBytes,
      now: Date.now,
    });
    return { journal: behind, description };
  } catch (err) {
    logger.warn(
      { dir: settings.journalDir, error: (err as Error).message },
      `${kind.noun} journal folder unusable; ${kind.noun}s continue memory-only (a crash loses what is not yet delivered)`,
    );
    return { journal: new MemoryJournal(), description: "memory (journal folder unusable)" };
  }
}

/** The delivery side as the settings describe it: journal opened, transport ready. */
export function openDelivery(
  settings: ExportSettings,
  metrics: DeliveryMetrics,
  faults: FaultReporter,
  logger: TracingLogger,
  kind: DeliveryKind = TRACE_DELIVERY,
): BatchDelivery {
  const { journal, description } = openJournal(settings, logger, metrics, kind);
  metrics.journalAvailable.set(journal.durable ? 1 : 0);
  return new BatchDelivery({
    // Memory-only, the journal is memory: bounded by the memory bound.
    settings: journal.durable ? settings : { ...settings, maxJournalBytes: settings.maxQueueBytes },
    transport: new OtlpHttpTransport({
      url: settings.url,
      headers: settings.headers,
      timeoutMs: settings.timeoutMs,
      // One socket more than the live lane's attempts: the backlog's replay has its own.
      maxSockets: settings.concurrency + 1,
    }),
    journal,
    journalDescription: description,
    formats: kind.formats(settings.resource),
    metrics,
    faults,
    logger,
  });
}

/** The whole export side the settings describe: batching, journal and delivery, in this thread. */
export function openSpanExporter(
  settings: ExportSettings,
  metrics: DeliveryMetrics & { observeExporter?(exporter: ExporterStateView): void },
  faults: FaultReporter,
  logger: TracingLogger,
): SpanExporter {
  return new SpanExporter({ settings, metrics, faults }, openDelivery(settings, metrics, faults, logger));
}
