import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

/** What is never written to a log line, whoever logs it. */
const REDACT = { paths: ["req.headers.authorization", "*.apiKey", "*.secretKey"], censor: "[redacted]" };

/**
 * The service's logger: one JSON object per line (what log collectors read) unless `pretty`,
 * which a terminal gets: coloured, human-readable lines with the same fields. Pretty printing
 * runs in this thread, synchronously, so no line is lost when the process exits right after it.
 */
export function createLogger(options: { pretty: boolean; destination?: DestinationStream }): Logger {
  const settings = { level: "info", redact: REDACT };
  if (!options.pretty) return options.destination ? pino(settings, options.destination) : pino(settings);
  return pino(
    settings,
    pretty({
      sync: true,
      colorize: options.destination === undefined,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
      ...(options.destination ? { destination: options.destination } : {}),
    }),
  );
}
