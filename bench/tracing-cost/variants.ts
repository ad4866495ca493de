import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// The tracing setups compared. Each measurement builds a fresh one and tears it down, so no
// queue, provider or context manager leaks from one variant into the next.
import { context } from "@opentelemetry/api";
import { Registry } from "prom-client";
import { loadConfig } from "../../src/config.js";
import {
  createSdkWrappersOnlyTracing,
  TRACING_METRICS,
  type Tracing,
  type TracingLogger,
} from "../../src/tracing/index.js";
import { setUpTracing } from "../../src/tracing-setup.js";
import { FloorTracing } from "./floor-tracing.js";
import { OtelBatchTracing } from "./otel-batch-tracing.js";
import type { ReceiverTarget } from "./receiver-client.js";

// `judged`: every span it traces must reach the receiver (a PASS/FAIL check). The comparisons
// (the official SDK, plain OpenTelemetry) drop spans by design when their queues fill: reported,
// not judged.
export const VARIANTS = [
  {
    name: "none",
    exports: false,
    judged: false,
    description: "no tracing code at all: the request's baseline work only",
  },
  {
    name: "disabled",
    exports: false,
    judged: false,
    description: "our Tracing with LANGFUSE_ENABLED=false (NOOP_TRACING)",
  },
  { name: "sampled-out", exports: false, judged: false, description: "our pipeline with LANGFUSE_SAMPLE_RATE=0" },
  {
    name: "switchboard",
    exports: true,
    judged: true,
    description:
      "our pipeline, configuration defaults (fields capped at 20,000 chars), every turn traced (LANGFUSE_BUSY_TRACES_PER_SEC=0: the measuring loop keeps the event loop busy)",
  },
  {
    name: "switchboard-uncapped",
    exports: true,
    judged: true,
    description: "our pipeline, LANGFUSE_MAX_FIELD_CHARS=10000000 (sends the full 100 KB like the SDK)",
  },
  {
    name: "floor",
    exports: true,
    judged: true,
    description:
      "the physical floor: the same spans written by a minimal hand-written protobuf encoder, one SQLite WAL insert and delete and one HTTP POST per 100 turns (floor-tracing.ts)",
  },
  {
    name: "otel-batch",
    exports: true,
    judged: false,
    description:
      "plain OpenTelemetry: BatchSpanProcessor (its defaults) and the OTLP/protobuf exporter, the same attributes (otel-batch-tracing.ts)",
  },
  {
    name: "sdk-defaults",
    exports: true,
    judged: false,
    description: "official Langfuse v5 SDK, documented defaults (LANGFUSE_PIPELINE=sdk)",
  },
  {
    name: "sdk-wrappers-no-provider",
    exports: false,
    judged: false,
    description: "Langfuse wrappers + CallbackHandler with no tracer provider registered",
  },
] as const;

export type VariantName = (typeof VARIANTS)[number]["name"];

export interface BuiltVariant {
  /** null: no tracing code runs (the `none` baseline). */
  tracing: Tracing | null;
  /** Flushes and stops; measured as the drain. */
  shutdown(): Promise<void>;
  /** Undoes process-global state after the drain (not measured). */
  cleanup(): void;
  /** Faults and drops the pipeline counted, for the completeness report. */
  health(): Promise<{ errors: number; dropped: number; exportFailures: number }>;
}

class CollectingLogger implements TracingLogger {
  readonly lines: string[] = [];
  warn(obj: object, msg: string): void {
    this.lines.push(`${msg} ${JSON.stringify(obj)}`);
  }
  info(): void {}
  error(obj: object, msg: string): void {
    this.lines.push(`${msg} ${JSON.stringify(obj)}`);
  }
}

/** Warnings the pipelines logged during the run (printed at the end; expected: none). */
export const tracingWarnings: string[] = [];

async function counterTotal(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

/** `extraEnv` overrides configuration on top of the variant's (for what-if runs in breakdown.js). */
export async function buildVariant(
  name: VariantName,
  receiver: ReceiverTarget,
  extraEnv: Record<string, string> = {},
): Promise<BuiltVariant> {
  const registry = new Registry();
  const logger = new CollectingLogger();
  const health = async () => ({
    errors: await counterTotal(registry, TRACING_METRICS.errors),
    dropped: await counterTotal(registry, TRACING_METRICS.spansDropped),
    exportFailures: await counterTotal(registry, TRACING_METRICS.exportFailures),
  });
  const done = () => tracingWarnings.push(...logger.lines.map((l) => `[${name}] ${l}`));

  if (name === "none") return { tracing: null, shutdown: async () => {}, cleanup: done, health };

  if (name === "floor" || name === "otel-batch") {
    const tracing = name === "floor" ? new FloorTracing(receiver) : new OtelBatchTracing(receiver);
    return { tracing, shutdown: () => tracing.shutdown(), cleanup: done, health };
  }

  if (name === "sdk-wrappers-no-provider") {
    const tracing = await createSdkWrappersOnlyTracing(registry, logger);
    return {
      tracing,
      shutdown: () => tracing.shutdown(),
      cleanup: () => {
        context.disable();
        done();
      },
      health,
    };
  }

  const env: Record<string, string> = {
    LANGFUSE_PUBLIC_KEY: receiver.publicKey,
    LANGFUSE_SECRET_KEY: receiver.secretKey,
    LANGFUSE_BASE_URL: receiver.url,
    // A spool of its own per measurement: a shared ./data/spool would replay one variant's
    // leftovers into the next variant's receiver.
    LANGFUSE_JOURNAL_DIR: mkdtempSync(join(tmpdir(), "tracing-cost-spool-")),
    // Every variant's shutdown drains all it holds: the benchmark counts the whole export's cost
    // and checks completeness, and a 100 KB backlog can take longer than the 5 s default.
    LANGFUSE_SHUTDOWN_TIMEOUT: "120",
    // The measuring loop keeps the event loop busy on purpose: every variant traces every turn,
    // as this benchmark prices a traced turn (a busy service's shedding is the load benchmark's).
    LANGFUSE_BUSY_TRACES_PER_SEC: "0",
  };
  if (name === "disabled") env["LANGFUSE_ENABLED"] = "false";
  if (name === "sampled-out") env["LANGFUSE_SAMPLE_RATE"] = "0";
  if (name === "switchboard-uncapped") env["LANGFUSE_MAX_FIELD_CHARS"] = "10000000";
  if (name === "sdk-defaults") env["LANGFUSE_PIPELINE"] = "sdk";
  const setup = await setUpTracing(loadConfig({ ...env, ...extraEnv }), registry, logger);
  if (setup.receiver)
    throw new Error("setUpTracing started an embedded receiver; the benchmark's receiver was not used");
  const tracing = setup.tracing;
  return {
    tracing,
    shutdown: () => tracing.shutdown(),
    cleanup: () => {
      // The SDK registers a global AsyncLocalStorage context manager (async hooks on every
      // promise): remove it so the variants after this one run as they would in production.
      if (name === "sdk-defaults") context.disable();
      done();
    },
    health,
  };
}
