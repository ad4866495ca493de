import pino from "pino";
import { loadConfig, type ServiceConfig } from "./config.js";
import { ConfigError } from "./config-schema.js";
import { CatalogError } from "./agents/catalog.js";
import { Registry } from "prom-client";
import { createService } from "./service.js";
import { setUpTracing } from "./tracing-setup.js";
import { gracefulShutdown } from "./shutdown.js";
import { traceListPath } from "./receiver/viewer/viewer-links.js";

const logger = pino({
  level: "info",
  redact: { paths: ["req.headers.authorization", "*.apiKey", "*.secretKey"], censor: "[redacted]" },
});

/** The local trace viewer's address, when traces go to a local receiver (no Langfuse keys). */
function viewerUrl(config: ServiceConfig, destination: string | null): string | undefined {
  return destination && !config.LANGFUSE_PUBLIC_KEY ? new URL(traceListPath(), destination).href : undefined;
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  logger.level = config.LOG_LEVEL;
  const registry = new Registry();
  const traces = await setUpTracing(config, registry, logger);
  const service = await createService(config, { logger, registry, tracing: traces.tracing, traceUrl: traces.traceUrl });
  // Creates the session tables (PostgreSQL) before the first request can need them.
  await service.store.init();
  await service.app.listen({ port: config.PORT, host: config.HOST });
  logger.info(
    {
      provider: config.LLM_PROVIDER,
      sessions: config.SESSION_STORE,
      tracing: config.LANGFUSE_ENABLED ? config.LANGFUSE_PIPELINE : "off",
      traces: traces.destination,
      viewer: viewerUrl(config, traces.destination),
    },
    `switchboard ready on http://${config.HOST}:${(service.app.server.address() as { port: number }).port}`,
  );
  const onSignal = (signal: string) => {
    logger.info({ signal }, "shutting down");
    gracefulShutdown(service, { timeoutMs: config.SHUTDOWN_TIMEOUT_MS, logger }).then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof CatalogError) {
    // A configuration mistake: say exactly what, without a stack trace.
    process.stderr.write(`switchboard: ${err.message}\n`);
  } else {
    logger.fatal({ err }, "start-up failed");
  }
  process.exit(1);
});
