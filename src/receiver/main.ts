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

  // The secret key is printed once, when the pair is made; later starts say where it is kept.
  // The login link opens the viewer in a browser (it carries a token derived from the secret).
  const keys =
    receiver.keysCreated && options.keys === "generated"
      ? { publicKey: receiver.keys.publicKey, newSecretKey: receiver.keys.secretKey }
      : {
          publicKey: receiver.keys.publicKey,
          keysFile: receiver.keysFile ?? "(given in RECEIVER_PUBLIC_KEY/_SECRET_KEY)",
        };
  logger.info(
    {
      url: receiver.url,
      ingest: `${receiver.url}${INGEST_PATH}`,
      observations: `${receiver.url}/api/public/v2/observations`,
      viewer: `${receiver.url}/ui/`,
      login: receiver.loginUrl(),
      ...keys,
      dbPath: options.dbPath,
      traceTtlHours: env.RECEIVER_TRACE_TTL_HOURS,
      controlRoutes: env.RECEIVER_CONTROL_ROUTES,
      activeFaults: receiver.faults.get(),
    },
    `Langfuse-compatible receiver listening on ${receiver.url} (set LANGFUSE_BASE_URL to it, LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY to its key pair); open the login link to see traces`,
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
