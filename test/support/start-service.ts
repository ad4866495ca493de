import pino from "pino";
import { Registry } from "prom-client";
import { loadConfig, type ServiceConfig } from "../../src/config.js";
import { createService, type Service } from "../../src/service.js";
import { setUpTracing, type TracingSetup } from "../../src/tracing-setup.js";

/** Test defaults: offline, instant model, in-memory sessions, quiet, untraced unless asked. */
export const TEST_ENV: Record<string, string> = {
  SESSION_STORE: "memory",
  SIM_TTFT_MS: "0",
  SIM_TOKEN_MS: "0",
  LOG_LEVEL: "silent",
  LANGFUSE_ENABLED: "false",
  // Tests that want the spool turn it on with a temporary folder; others must not share ./data.
  LANGFUSE_JOURNAL: "false",
  PORT: "0",
  // Tests send many requests (and wrong keys) from one address; the limits' own tests set them.
  RATE_LIMIT_PER_MINUTE: "0",
  AUTH_FAILURES_PER_MINUTE: "0",
  // Prompt management's own tests turn it on; others keep to the catalog's prompts.
  LANGFUSE_PROMPTS: "false",
  // Tests count the traces they cause: a busy test machine must not shed them. Shedding's own
  // tests set it.
  LANGFUSE_BUSY_TRACES_PER_SEC: "0",
};

export interface RunningService {
  /** http://127.0.0.1:<port> */
  url: string;
  service: Service;
  config: ServiceConfig;
  traces: TracingSetup;
  /** Log lines written by the service (JSON objects), for tests that check what is logged. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Starts the real service in this process on a free loopback port. */
export async function startService(env: Record<string, string> = {}): Promise<RunningService> {
  const config = loadConfig({ ...TEST_ENV, ...env });
  const logs: Record<string, unknown>[] = [];
  const logger = pino(
    { level: env["LOG_LEVEL"] ?? "info" },
    { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const registry = new Registry();
  const traces = await setUpTracing(config, registry, logger);
  // ServiceDeps names what it takes of the tracing setup (tracing, traceUrl, langfuse) as TracingSetup does.
  const service = await createService(config, { ...traces, logger, registry });
  await service.store.init();
  await service.app.listen({ port: 0, host: "127.0.0.1" });
  const port = (service.app.server.address() as { port: number }).port;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    service,
    config,
    traces,
    logs,
    async close() {
      if (closed) return;
      closed = true;
      await service.app.close();
      await service.tracing.shutdown();
      await service.store.close();
    },
  };
}

/** POSTs JSON and returns status and parsed body. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}

export interface SseEvent {
  event: string;
  data: any;
}

/** Reads a whole SSE response into its events. */
export async function readSse(res: Response): Promise<SseEvent[]> {
  const text = await res.text();
  return parseSse(text);
}

export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split("\n\n")) {
    if (!block.trim()) continue;
    let event = "message";
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    events.push({ event, data: data ? JSON.parse(data) : null });
  }
  return events;
}
