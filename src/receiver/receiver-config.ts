// The standalone receiver's environment variables: one schema, defaults, and errors that name
// the variable and what it accepts. Only main.ts hands process.env in.
import { z } from "zod";
import { DEV_KEY_PAIR } from "./basic-auth.js";
import type { ReceiverFaults } from "./faults.js";
import { DEFAULT_TRACE_TTL_HOURS, type ReceiverOptions } from "./receiver.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

function integer(min: number, max: number, what: string) {
  return z.coerce
    .number({ error: `must be ${what}` })
    .int({ error: `must be ${what}` })
    .min(min, { error: `must be ${what}` })
    .max(max, { error: `must be ${what}` });
}

export const receiverEnvSchema = z.object({
  RECEIVER_HOST: z
    .string()
    .min(1)
    .default("127.0.0.1")
    .describe("Interface the receiver listens on. 127.0.0.1 keeps it local; 0.0.0.0 exposes it."),
  RECEIVER_PORT: integer(0, 65535, "an integer from 0 to 65535 (0 = any free port)")
    .default(3100)
    .describe("TCP port of the receiver. 0 picks a free port (printed at start)."),
  RECEIVER_DB_PATH: z
    .string()
    .min(1)
    .default("./data/receiver.db")
    .describe('SQLite file for received spans (directory created if missing), or ":memory:" to keep nothing.'),
  RECEIVER_PUBLIC_KEY: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Public key clients must send (Basic auth user), with RECEIVER_SECRET_KEY. Unset: a random pair made at the first start and kept in receiver-keys.json (0600) in the database's folder, printed in the start-up log.",
    ),
  RECEIVER_SECRET_KEY: z
    .string()
    .min(1)
    .optional()
    .describe("Secret key clients must send (Basic auth password), with RECEIVER_PUBLIC_KEY."),
  RECEIVER_DEV_KEYS: z
    .stringbool({ error: 'must be a boolean ("true"/"false", "1"/"0", "yes"/"no", "on"/"off")' })
    .default(false)
    .describe(
      `Accept the fixed, public dev key pair ${DEV_KEY_PAIR.publicKey} / ${DEV_KEY_PAIR.secretKey} instead of a random one. For old scripts only: anyone on the machine knows it.`,
    ),
  RECEIVER_CONTROL_ROUTES: z
    .stringbool({ error: 'must be a boolean ("true"/"false", "1"/"0", "yes"/"no", "on"/"off")' })
    .default(false)
    .describe("Answer PUT /_receiver/faults and DELETE /_receiver/data (tests and benchmarks). Off: 403."),
  RECEIVER_ALLOWED_HOSTS: z
    .string()
    .optional()
    .describe(
      "Comma-separated Host names answered besides 127.0.0.1, localhost and [::1] (e.g. a container's service name). Others get 403 (DNS rebinding).",
    ),
  RECEIVER_TRACE_TTL_HOURS: integer(0, 87_600, "an integer from 0 to 87600 (hours; 0 = keep every trace)")
    .default(DEFAULT_TRACE_TTL_HOURS)
    .describe("Traces older than this many hours are deleted by a background sweep. 0 keeps every trace."),
  RECEIVER_DELAY_MS: integer(0, 600_000, "an integer from 0 to 600000 (milliseconds)")
    .default(0)
    .describe("Fault: milliseconds the ingestion endpoint waits before answering each request. 0 = none."),
  RECEIVER_FAIL_STATUS: integer(400, 599, "an HTTP error status from 400 to 599, e.g. 503 or 429")
    .default(503)
    .describe("Fault: HTTP status of injected ingestion failures (see RECEIVER_FAIL_RATIO)."),
  RECEIVER_FAIL_RATIO: z.coerce
    .number({ error: "must be a number from 0 to 1" })
    .min(0, { error: "must be a number from 0 to 1" })
    .max(1, { error: "must be a number from 0 to 1" })
    .default(0)
    .describe(
      "Fault: share of ingestion requests failed with RECEIVER_FAIL_STATUS, 0..1, spread evenly (0.5 = every second).",
    ),
  RECEIVER_RETRY_AFTER_SECONDS: z
    .string()
    .regex(/^(none|\d{1,5})$/, { error: 'must be "none" or an integer number of seconds (e.g. 1)' })
    .default("none")
    .transform((value) => (value === "none" ? null : Number(value)))
    .describe('Fault: Retry-After header (seconds) on injected failures, or "none" for no header.'),
  RECEIVER_HANG: z
    .stringbool({ error: 'must be a boolean ("true"/"false", "1"/"0", "yes"/"no", "on"/"off")' })
    .default(false)
    .describe("Fault: read ingestion requests and never answer them."),
  RECEIVER_BODY_LIMIT_BYTES: integer(1024, 1024 * 1024 * 1024, "an integer from 1024 to 1073741824 (bytes)")
    .default(64 * 1024 * 1024)
    .describe("Largest accepted request body in bytes, compressed and decompressed alike."),
  RECEIVER_LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` })
    .default("info")
    .describe("pino log level of the standalone receiver."),
});

export type ReceiverEnv = z.infer<typeof receiverEnvSchema>;

/** A receiver environment that does not parse; the message lists every bad variable. */
export class ReceiverConfigError extends Error {
  override readonly name = "ReceiverConfigError";
}

/**
 * Parses the receiver's variables out of an environment. Empty values count as unset (so
 * `RECEIVER_PORT=` falls back to the default). Throws ReceiverConfigError naming each invalid
 * variable, its value and what is allowed.
 */
export function parseReceiverEnv(env: NodeJS.ProcessEnv): ReceiverEnv {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(receiverEnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") relevant[key] = value.trim();
  }
  const result = receiverEnvSchema.safeParse(relevant);
  if (result.success) {
    if ((result.data.RECEIVER_PUBLIC_KEY === undefined) !== (result.data.RECEIVER_SECRET_KEY === undefined)) {
      throw new ReceiverConfigError(
        "invalid receiver configuration:\n  RECEIVER_PUBLIC_KEY and RECEIVER_SECRET_KEY must be set together",
      );
    }
    return result.data;
  }
  const lines = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "environment");
    const value = relevant[key];
    return `${key}${value === undefined ? "" : `="${value}"`}: ${issue.message}`;
  });
  throw new ReceiverConfigError(`invalid receiver configuration:\n  ${lines.join("\n  ")}`);
}

/** The startReceiver options an environment describes (the logger is the caller's). */
export function receiverOptionsFromEnv(env: ReceiverEnv): ReceiverOptions {
  const keys: ReceiverOptions["keys"] =
    env.RECEIVER_PUBLIC_KEY && env.RECEIVER_SECRET_KEY
      ? [{ publicKey: env.RECEIVER_PUBLIC_KEY, secretKey: env.RECEIVER_SECRET_KEY }]
      : env.RECEIVER_DEV_KEYS
        ? [DEV_KEY_PAIR]
        : "generated";
  const faults: Partial<ReceiverFaults> = {
    delayMs: env.RECEIVER_DELAY_MS,
    failStatus: env.RECEIVER_FAIL_STATUS,
    failRatio: env.RECEIVER_FAIL_RATIO,
    retryAfterSeconds: env.RECEIVER_RETRY_AFTER_SECONDS,
    hang: env.RECEIVER_HANG,
  };
  return {
    host: env.RECEIVER_HOST,
    port: env.RECEIVER_PORT,
    dbPath: env.RECEIVER_DB_PATH,
    keys,
    faults,
    bodyLimitBytes: env.RECEIVER_BODY_LIMIT_BYTES,
    controlRoutes: env.RECEIVER_CONTROL_ROUTES,
    allowedHosts: (env.RECEIVER_ALLOWED_HOSTS ?? "")
      .split(",")
      .map((h) => h.trim())
      .filter((h) => h !== ""),
    traceTtlMs: env.RECEIVER_TRACE_TTL_HOURS * 3_600_000,
  };
}
