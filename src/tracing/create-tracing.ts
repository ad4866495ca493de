import type { Registry } from "prom-client";
import type { ServiceConfig } from "../config.js";
import { startReceiver, type Receiver } from "../collector/receiver.js";
import { viewerTraceUrl } from "../viewer/viewer-links.js";
import { APP_VERSION } from "../app-version.js";
import { openExportPipeline, type ExportSettings } from "./export/export-settings.js";
import { ENVELOPE_ALLOWANCE_BYTES } from "./export/span-exporter.js";
import type { TraceExporter } from "./export/trace-exporter.js";
import { WorkerExporter } from "./export/worker-exporter.js";
import { FaultReporter, type TracingLogger } from "./fault-reporter.js";
import { createMasker } from "./masking/create-masker.js";
import { createSdkTracing } from "./sdk/create-sdk-tracing.js";
import { SwitchboardTracing } from "./switchboard-tracing.js";
import { TracingMetrics } from "./tracing-metrics.js";
import { NOOP_TRACING, type Tracing } from "./turn-trace.js";

/** How long start-up waits for the export worker to open the journal. */
const WORKER_START_TIMEOUT_MS = 10_000;

/** The dev key pair of the local receiver; not a secret. */
export const LOCAL_PUBLIC_KEY = "pk-lf-local";
export const LOCAL_SECRET_KEY = "sk-lf-local";

export interface TracingSetup {
  tracing: Tracing;
  /** Where traces can be looked at, for the start-up log line; null when tracing is off. */
  destination: string | null;
  /** The embedded local receiver, when this process runs one. */
  receiver: Receiver | null;
  /**
   * Link to one trace's page: the local receiver's trace viewer when traces go there, the
   * Langfuse UI when keys and LANGFUSE_PROJECT_ID are set, else null (no link to give).
   */
  traceUrl: ((traceId: string) => string) | null;
}

/**
 * Builds the tracing pipeline the configuration asks for. Never throws and never waits on
 * Langfuse: a setup failure is logged and the service runs untraced.
 */
export async function createTracing(config: ServiceConfig, registry: Registry, logger: TracingLogger): Promise<TracingSetup> {
  if (!config.LANGFUSE_ENABLED) return { tracing: NOOP_TRACING, destination: null, receiver: null, traceUrl: null };
  const metrics = new TracingMetrics(registry);
  const faults = new FaultReporter(metrics, logger);
  try {
    let baseUrl = config.LANGFUSE_BASE_URL;
    let publicKey = config.LANGFUSE_PUBLIC_KEY;
    let secretKey = config.LANGFUSE_SECRET_KEY;
    let receiver: Receiver | null = null;
    if (!publicKey || !secretKey) {
      // No Langfuse account configured: traces go to the local receiver, started here unless one
      // already listens on its port (e.g. `npm run receiver` in another terminal).
      publicKey = LOCAL_PUBLIC_KEY;
      secretKey = LOCAL_SECRET_KEY;
      const local = await startLocalReceiver(config, logger);
      if (local === "unusable") return { tracing: NOOP_TRACING, destination: null, receiver: null, traceUrl: null };
      receiver = local === "external" ? null : local;
      baseUrl = receiver?.url ?? `http://127.0.0.1:${config.LANGFUSE_LOCAL_RECEIVER_PORT}`;
    }
    const destination = receiver || !config.LANGFUSE_PUBLIC_KEY ? `${baseUrl}/api/public/traces` : baseUrl;
    const mask = createMasker(config.LANGFUSE_MASK, config.LANGFUSE_MASK_PATTERNS);
    const traceUrl = traceLinks(config, baseUrl);

    if (config.LANGFUSE_PIPELINE !== "switchboard") {
      const tracing = createSdkTracing({
        variant: config.LANGFUSE_PIPELINE,
        publicKey,
        secretKey,
        baseUrl,
        environment: config.LANGFUSE_ENVIRONMENT,
        release: config.LANGFUSE_RELEASE,
        version: APP_VERSION,
        enableSpans: config.LANGFUSE_ENABLE_SPANS,
        sampleRate: config.LANGFUSE_SAMPLE_RATE,
        shutdownTimeoutMs: config.LANGFUSE_SHUTDOWN_TIMEOUT * 1000,
        mask,
        metrics,
        faults,
        logger,
      });
      return { tracing: withReceiverShutdown(tracing, receiver), destination, receiver, traceUrl };
    }

    const resource = { serviceName: "switchboard", serviceVersion: APP_VERSION };
    const settings: ExportSettings = {
      url: `${baseUrl}/api/public/otel/v1/traces`,
      headers: {
        authorization: `Basic ${Buffer.from(`${publicKey}:${secretKey}`).toString("base64")}`,
        "x-langfuse-public-key": publicKey,
        "x-langfuse-sdk-name": "switchboard",
        // Langfuse v4's direct write path; without it non-SDK traffic takes the dual-write path,
        // which can delay traces by minutes.
        "x-langfuse-ingestion-version": "4",
      },
      timeoutMs: config.LANGFUSE_TIMEOUT * 1000,
      // One socket more than the live lane's attempts: the backlog's replay has its own.
      maxSockets: config.LANGFUSE_EXPORT_CONCURRENCY + 1,
      spoolDir: config.LANGFUSE_SPOOL ? config.LANGFUSE_SPOOL_DIR : null,
      maxJournalBytes: config.LANGFUSE_SPOOL_MAX_BYTES,
      maxMemoryBytes: config.LANGFUSE_MAX_QUEUE_BYTES,
      concurrency: config.LANGFUSE_EXPORT_CONCURRENCY,
      maxRetries: config.LANGFUSE_MAX_RETRIES,
      retryDelayMs: config.LANGFUSE_RETRY_DELAY * 1000,
      replayRatePerSec: config.LANGFUSE_REPLAY_RATE,
      resource,
      format: config.LANGFUSE_EXPORT_FORMAT,
      maxBatchSpans: config.LANGFUSE_FLUSH_AT,
      maxBatchBytes: config.LANGFUSE_MAX_BATCH_BYTES,
      flushIntervalMs: config.LANGFUSE_FLUSH_INTERVAL * 1000,
      encoding: {
        maxFieldChars: config.LANGFUSE_MAX_FIELD_CHARS,
        captureIo: config.LANGFUSE_CAPTURE_IO,
        mask: config.LANGFUSE_MASK,
        maskPatterns: config.LANGFUSE_MASK_PATTERNS,
        // The envelope takes a little of each batch.
        maxSpanBytes: config.LANGFUSE_MAX_BATCH_BYTES - ENVELOPE_ALLOWANCE_BYTES,
        environment: config.LANGFUSE_ENVIRONMENT,
        release: config.LANGFUSE_RELEASE,
        version: APP_VERSION,
        legacyTraceIo: config.LANGFUSE_LEGACY_TRACE_IO,
      },
    };
    let exporter: TraceExporter;
    if (config.LANGFUSE_EXPORT_THREAD === "worker") {
      const worker = new WorkerExporter({ settings, metrics, faults, logger });
      // The worker opens the journal (and says so when it replays or recovers one) before the
      // service reports itself ready; it never waits on Langfuse.
      await worker.ready(WORKER_START_TIMEOUT_MS);
      exporter = worker;
    } else exporter = openExportPipeline(settings, metrics, faults, logger, "main");
    const tracing = new SwitchboardTracing({
      exporter,
      metrics,
      faults,
      maxFieldChars: config.LANGFUSE_MAX_FIELD_CHARS,
      enableSpans: config.LANGFUSE_ENABLE_SPANS,
      sampleRate: config.LANGFUSE_SAMPLE_RATE,
      shutdownTimeoutMs: config.LANGFUSE_SHUTDOWN_TIMEOUT * 1000,
      onShutdown: async () => {
        await receiver?.close();
      },
    });
    return { tracing, destination, receiver, traceUrl };
  } catch (err) {
    faults.report("setup", err);
    return { tracing: NOOP_TRACING, destination: null, receiver: null, traceUrl: null };
  }
}

/** `baseUrl` is where traces are exported: the local receiver's URL when there are no keys. */
function traceLinks(config: ServiceConfig, baseUrl: string): ((traceId: string) => string) | null {
  if (!config.LANGFUSE_PUBLIC_KEY) return (traceId) => viewerTraceUrl(baseUrl, traceId);
  const project = config.LANGFUSE_PROJECT_ID;
  if (!project) return null;
  return (traceId) => `${baseUrl}/project/${encodeURIComponent(project)}/traces/${encodeURIComponent(traceId)}`;
}

/**
 * Starts the embedded receiver, or finds one already running on its port (`npm run receiver` in
 * another terminal: "external"). A port held by anything else (Loki also defaults to 3100) is
 * "unusable": tracing is switched off with one error naming the variable that moves the port,
 * rather than exporting into a server that is not a receiver.
 */
async function startLocalReceiver(config: ServiceConfig, logger: TracingLogger): Promise<Receiver | "external" | "unusable"> {
  const port = config.LANGFUSE_LOCAL_RECEIVER_PORT;
  try {
    return await startReceiver({
      port,
      dbPath: config.LANGFUSE_LOCAL_RECEIVER_DB,
      keys: [{ publicKey: LOCAL_PUBLIC_KEY, secretKey: LOCAL_SECRET_KEY }],
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EADDRINUSE") {
      logger.error({ error: (err as Error).message }, "could not start the local trace receiver; tracing is off for this run");
      return "unusable";
    }
    const who = await identifyReceiver(port);
    if (who === "switchboard") {
      logger.info({ port }, "a Switchboard receiver already listens on the local receiver port; exporting to it");
      return "external";
    }
    logger.error(
      { port, found: who },
      `port ${port} is taken by another server, not Switchboard's trace receiver; tracing is off for this run. Set LANGFUSE_LOCAL_RECEIVER_PORT to a free port, or set LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY / LANGFUSE_BASE_URL to export to Langfuse.`,
    );
    return "unusable";
  }
}

/** Asks what listens on `port`: our receiver answers GET /_receiver/info with its name. */
async function identifyReceiver(port: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/_receiver/info`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json().catch(() => null)) as { receiver?: unknown } | null;
    if (res.ok && body?.receiver === "switchboard") return "switchboard";
    return `HTTP ${res.status} from GET /_receiver/info`;
  } catch (err) {
    return `no HTTP answer (${(err as Error).message})`;
  }
}

function withReceiverShutdown(tracing: Tracing, receiver: Receiver | null): Tracing {
  if (!receiver) return tracing;
  return {
    startTurn: (turn) => tracing.startTurn(turn),
    async shutdown() {
      await tracing.shutdown();
      await receiver.close();
    },
  };
}
