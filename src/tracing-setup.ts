// The service's tracing, from its configuration: where traces go (Langfuse with keys, else the
// local receiver, started here or found on its port when it is ours), the links to them, and
// the tracing package's options.
import type { Registry } from "prom-client";
import { APP_VERSION } from "./app-version.js";
import { tracingOptionsOf, type ServiceConfig } from "./config.js";
import type { Receiver } from "./receiver/receiver.js";
import { basicAuthHeader, DEV_KEY_PAIR, type ApiKeyPair } from "./receiver/basic-auth.js";
import { dataFolderOf, generateKeyPair, loadOrCreateKeyPair } from "./receiver/receiver-keys.js";
import { createTracing, NOOP_TRACING, type Tracing, type TracingLogger, type TracingOptions } from "./tracing/index.js";
import { viewerTraceUrl } from "./receiver/viewer/viewer-links.js";

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
  /**
   * The Langfuse (or local receiver) traces go to, for its other APIs (prompt management): null
   * when tracing is off. `local`: the embedded or a standalone local receiver.
   */
  langfuse: LangfuseEndpoint | null;
}

/** A Langfuse project's address and keys; `local`: the embedded or a standalone local receiver. */
export interface LangfuseEndpoint {
  baseUrl: string;
  publicKey: string;
  secretKey: string;
  local: boolean;
}

const OFF: TracingSetup = { tracing: NOOP_TRACING, destination: null, receiver: null, traceUrl: null, langfuse: null };

/**
 * Builds the tracing the configuration asks for. Never throws and never waits on Langfuse: a
 * setup failure is logged and the service runs untraced.
 */
export async function setUpTracing(
  config: ServiceConfig,
  registry: Registry,
  logger: TracingLogger,
): Promise<TracingSetup> {
  if (!config.LANGFUSE_ENABLED) return OFF;
  let baseUrl = config.LANGFUSE_BASE_URL;
  let publicKey = config.LANGFUSE_PUBLIC_KEY;
  let secretKey = config.LANGFUSE_SECRET_KEY;
  let receiver: Receiver | null = null;
  if (!publicKey || !secretKey) {
    // No Langfuse account configured: traces go to the local receiver, started here unless one
    // of ours already listens on its port (e.g. `npm run receiver` in another terminal).
    const local = await startLocalReceiver(config, logger);
    if (local === "unusable") return OFF;
    ({ publicKey, secretKey } = local.keys);
    receiver = local.receiver;
    baseUrl = receiver?.url ?? `http://127.0.0.1:${config.LANGFUSE_LOCAL_RECEIVER_PORT}`;
  }
  const started = receiver;
  const tracing = await createTracing(
    {
      ...tracingOptions(config),
      publicKey,
      secretKey,
      baseUrl,
      onShutdown: started ? () => started.close() : undefined,
    },
    registry,
    logger,
  );
  if (tracing === NOOP_TRACING) {
    await receiver?.close();
    return OFF;
  }
  const local = receiver !== null || !config.LANGFUSE_PUBLIC_KEY;
  const destination = local ? `${baseUrl}/api/public/traces` : baseUrl;
  return {
    tracing,
    destination,
    receiver,
    traceUrl: traceLinks(config, baseUrl),
    langfuse: { baseUrl, publicKey, secretKey, local },
  };
}

/** The tracing package's options from the LANGFUSE_* variables (the keys and URL are set by the caller). */
export function tracingOptions(config: ServiceConfig): Omit<TracingOptions, "publicKey" | "secretKey"> {
  return { ...tracingOptionsOf(config), serviceName: "switchboard", version: APP_VERSION };
}

/** `baseUrl` is where traces are exported: the local receiver's URL when there are no keys. */
function traceLinks(config: ServiceConfig, baseUrl: string): ((traceId: string) => string) | null {
  if (!config.LANGFUSE_PUBLIC_KEY) return (traceId) => viewerTraceUrl(baseUrl, traceId);
  const project = config.LANGFUSE_PROJECT_ID;
  if (!project) return null;
  return (traceId) => `${baseUrl}/project/${encodeURIComponent(project)}/traces/${encodeURIComponent(traceId)}`;
}

/** The key pair the embedded receiver accepts: its data folder's (made on first use), or the dev pair when configured. */
function localReceiverKeys(config: ServiceConfig): { keys: ApiKeyPair; file: string | null; created: boolean } {
  if (config.LANGFUSE_LOCAL_RECEIVER_DEV_KEYS) return { keys: DEV_KEY_PAIR, file: null, created: false };
  const folder = dataFolderOf(config.LANGFUSE_LOCAL_RECEIVER_DB);
  if (folder === null) return { keys: generateKeyPair(), file: null, created: true };
  const stored = loadOrCreateKeyPair(folder);
  return { keys: stored.keys, file: stored.file, created: stored.created };
}

interface LocalReceiver {
  /** The receiver started here, or null when one of ours already listened on the port. */
  receiver: Receiver | null;
  keys: ApiKeyPair;
}

/**
 * Starts the embedded receiver, or finds one of ours already running on its port (`npm run
 * receiver` in another terminal on the same data folder: it accepts our key pair). A port held
 * by another Switchboard's receiver (another data folder: it refuses our pair) or by anything
 * else (Loki also defaults to 3100) is "unusable": tracing is switched off with one error naming
 * the variable that moves the port, rather than sending our traces to a stranger's database.
 */
async function startLocalReceiver(config: ServiceConfig, logger: TracingLogger): Promise<LocalReceiver | "unusable"> {
  const port = config.LANGFUSE_LOCAL_RECEIVER_PORT;
  let keys: ReturnType<typeof localReceiverKeys>;
  try {
    keys = localReceiverKeys(config);
  } catch (err) {
    logger.error(
      { error: (err as Error).message },
      "could not read the local trace receiver's key pair; tracing is off for this run",
    );
    return "unusable";
  }
  // Loaded only here: a service exporting to Langfuse never loads the receiver, its store or the viewer.
  const { startReceiver } = await import("./receiver/receiver.js");
  let receiver: Receiver;
  try {
    receiver = await startReceiver({
      port,
      dbPath: config.LANGFUSE_LOCAL_RECEIVER_DB,
      keys: [keys.keys],
      traceTtlMs: config.LANGFUSE_LOCAL_RECEIVER_TTL_HOURS * 3_600_000,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EADDRINUSE") {
      logger.error(
        { error: (err as Error).message },
        "could not start the local trace receiver; tracing is off for this run",
      );
      return "unusable";
    }
    const who = await identifyReceiver(port, keys.keys);
    if (who === "ours") {
      logger.info({ port }, "our Switchboard receiver already listens on the local receiver port; exporting to it");
      return { receiver: null, keys: keys.keys };
    }
    const found =
      who === "another switchboard"
        ? `another Switchboard's trace receiver, which does not accept this service's key pair (it keeps another data folder than ${keys.file ?? "this service's"})`
        : `another server, not Switchboard's trace receiver (${who})`;
    logger.error(
      { port, found: who },
      `port ${port} is taken by ${found}; tracing is off for this run so that no trace goes to it. Set LANGFUSE_LOCAL_RECEIVER_PORT to a free port, or set LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY / LANGFUSE_BASE_URL to export to Langfuse.`,
    );
    return "unusable";
  }
  // Printed once per start: how to open the viewer (the link logs a browser in), and where the
  // key pair is kept (its secret never goes to the log).
  logger.info(
    {
      viewerLogin: receiver.loginUrl(),
      receiverKeys: keys.file ?? (config.LANGFUSE_LOCAL_RECEIVER_DEV_KEYS ? "the dev pair" : "in memory"),
      publicKey: keys.keys.publicKey,
      traceTtlHours: config.LANGFUSE_LOCAL_RECEIVER_TTL_HOURS,
    },
    `local trace receiver on ${receiver.url}: open the viewerLogin link to see traces`,
  );
  return { receiver, keys: keys.keys };
}

/**
 * Asks what listens on `port`: our receiver answers GET /_receiver/info with its name, and says
 * whether it accepts the key pair we send (then it is ours).
 */
async function identifyReceiver(port: number, keys: ApiKeyPair): Promise<"ours" | "another switchboard" | string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/_receiver/info`, {
      headers: { authorization: basicAuthHeader(keys) },
      signal: AbortSignal.timeout(2000),
    });
    const body = (await res.json().catch(() => null)) as { receiver?: unknown; authorized?: unknown } | null;
    if (res.ok && body?.receiver === "switchboard") return body.authorized === true ? "ours" : "another switchboard";
    return `HTTP ${res.status} from GET /_receiver/info`;
  } catch (err) {
    return `no HTTP answer (${(err as Error).message})`;
  }
}
