// Only what --help, --version and the configuration need is imported up front: the service
// itself (graph, models, stores, tracing) is loaded once the command line says to run it.
import { readCommandLine } from "./command-line.js";
import { loadConfig, type ServiceConfig } from "./config.js";
import { ConfigError } from "./config-schema.js";
import { createLogger } from "./logger.js";

const logger = createLogger({ pretty: process.stdout.isTTY === true });

/** The port is taken: said with the variable that moves it, and the usual suspect. */
class PortTakenError extends Error {
  override name = "PortTakenError";
}

/** The local trace viewer's address, when traces go to a local receiver (no Langfuse keys). */
async function viewerUrl(config: ServiceConfig, destination: string | null): Promise<string | undefined> {
  if (!destination || config.LANGFUSE_PUBLIC_KEY) return undefined;
  const { traceListPath } = await import("./receiver/viewer/viewer-links.js");
  return new URL(traceListPath(), destination).href;
}

async function main(): Promise<void> {
  const command = readCommandLine(process.argv.slice(2));
  if (command.run === "exit") {
    if (command.stdout) process.stdout.write(command.stdout);
    if (command.stderr) process.stderr.write(command.stderr);
    process.exit(command.code);
  }
  const config = loadConfig(process.env, (fields, message) => logger.warn(fields, message));
  const [{ Registry }, { createService, modelEndpointOf }, { setUpTracing }, { gracefulShutdown }] = await Promise.all([
    import("prom-client"),
    import("./service.js"),
    import("./tracing-setup.js"),
    import("./shutdown.js"),
  ]);
  logger.level = config.LOG_LEVEL;
  const registry = new Registry();
  const traces = await setUpTracing(config, registry, logger);
  // ServiceDeps names what it takes of the tracing setup (tracing, traceUrl, langfuse) as TracingSetup does.
  const service = await createService(config, { ...traces, logger, registry });
  // Creates the session tables (PostgreSQL) before the first request can need them.
  await service.store.init();
  try {
    await service.app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    await traces.tracing.shutdown();
    await service.store.close();
    throw new PortTakenError(
      `port ${config.PORT} on ${config.HOST} is taken by another program: set PORT to a free port (PORT=0 picks one). A self-hosted Langfuse also listens on 3000 by default, as does Switchboard.`,
    );
  }
  const model = modelEndpointOf(config);
  logger.info(
    {
      provider: config.LLM_PROVIDER,
      model: model.model,
      ...(model.baseUrl ? { model_endpoint: model.baseUrl } : {}),
      sessions: config.SESSION_STORE,
      tracing: config.LANGFUSE_ENABLED ? config.LANGFUSE_PIPELINE : "off",
      traces: traces.destination,
      viewer: await viewerUrl(config, traces.destination),
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
  // CatalogError by name: the catalog's module is only loaded with the service.
  if (err instanceof ConfigError || err instanceof PortTakenError || (err as Error).name === "CatalogError") {
    // A configuration mistake: say exactly what, without a stack trace.
    process.stderr.write(`switchboard: ${err.message}\n`);
  } else {
    logger.fatal({ err }, "start-up failed");
  }
  process.exit(1);
});
