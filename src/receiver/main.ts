// Standalone local Langfuse receiver: `npm run receiver` (node dist/src/receiver/main.js).
// Reads RECEIVER_* variables, listens, logs where, and stops cleanly on SIGINT/SIGTERM.
import { pino } from "pino";
import { parseReceiverEnv, receiverOptionsFromEnv, ReceiverConfigError } from "./receiver-config.js";
import { INGEST_PATH, startReceiver } from "./receiver.js";

async function main(): Promise<void> {
  let env;
  try {
    env = parseReceiverEnv(process.env);
  } catch (err) {
    if (err instanceof ReceiverConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = pino({ level: env.RECEIVER_LOG_LEVEL, base: { component: "receiver" } });
  const options = receiverOptionsFromEnv(env);
  const receiver = await startReceiver({ ...options, logger });

  logger.info(
    {
      url: receiver.url,
      ingest: `${receiver.url}${INGEST_PATH}`,
      traces: `${receiver.url}/api/public/traces`,
      observations: `${receiver.url}/api/public/observations`,
      stats: `${receiver.url}/_receiver/stats`,
      faults: `${receiver.url}/_receiver/faults`,
      dbPath: options.dbPath,
      publicKey: env.RECEIVER_PUBLIC_KEY,
      activeFaults: receiver.faults.get(),
    },
    `Langfuse-compatible receiver listening on ${receiver.url} (set LANGFUSE_BASE_URL to it)`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, stats: receiver.stats() }, "receiver stopping");
    receiver.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "receiver did not close cleanly");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`receiver failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
