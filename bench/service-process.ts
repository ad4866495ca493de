// The Switchboard service as a real process (compiled JavaScript, `node dist/src/main.js`):
// start, wait until it answers, scrape /metrics, stop with SIGTERM.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startNodeProcess, type ManagedProcess } from "./child-processes.js";
import { childEnv } from "./child-env.js";
import { httpText, waitUntil, withRetry } from "./http.js";
import { launchEnv } from "./launch-env.js";
import { MetricsSnapshot } from "./prometheus.js";

export interface ServiceStartOptions {
  /** Repository root (holds dist/src/main.js). */
  root: string;
  port: number;
  /** Scenario and profile variables; the common ones are added here. */
  env: Record<string, string>;
  logFile: string;
  /** taskset CPU list (see cpu-affinity.ts); null or absent: no pinning. */
  cpus?: string | null;
  readyTimeoutMs?: number;
  /** What is set before Node starts; absent: `launchEnv()`, as npm start does. `{}` starts plain `node`. */
  launch?: Record<string, string>;
}

export class ServiceProcess {
  private constructor(
    readonly process: ManagedProcess,
    readonly baseUrl: string,
    /** Milliseconds from spawn until /healthz answered. */
    readonly startupMs: number,
  ) {}

  static scriptPath(root: string): string {
    return join(root, "dist", "src", "main.js");
  }

  static async start(options: ServiceStartOptions): Promise<ServiceProcess> {
    const script = ServiceProcess.scriptPath(options.root);
    if (!existsSync(script)) throw new Error(`${script} does not exist: build first (npm run build)`);
    const env = childEnv({
      ...(options.launch ?? launchEnv()),
      HOST: "127.0.0.1",
      PORT: String(options.port),
      LOG_LEVEL: "warn",
      LLM_PROVIDER: "simulated",
      ...options.env,
    });
    const proc = startNodeProcess(script, env, options.logFile, options.cpus ?? null);
    const baseUrl = `http://127.0.0.1:${options.port}`;
    try {
      const startupMs = await waitUntil(
        async () => (await httpText(`${baseUrl}/healthz`, { timeoutMs: 1000 })).status === 200,
        {
          timeoutMs: options.readyTimeoutMs ?? 30_000,
          what: "service start",
          abort: () => (proc.hasExited() ? `exited during start-up:\n${proc.logTail()}` : null),
        },
      );
      return new ServiceProcess(proc, baseUrl, startupMs);
    } catch (err) {
      await proc.stop(2000);
      throw err;
    }
  }

  get pid(): number {
    return this.process.pid;
  }

  /** One scrape of /metrics (retried once; a busy service can be slow to answer). */
  metrics(timeoutMs = 10_000): Promise<MetricsSnapshot> {
    return withRetry(async () => {
      const { status, text } = await httpText(`${this.baseUrl}/metrics`, { timeoutMs });
      if (status !== 200) throw new Error(`GET /metrics: HTTP ${status}`);
      return MetricsSnapshot.parse(text);
    });
  }

  /** SIGTERM (graceful shutdown flushes traces), SIGKILL if it takes longer than `killAfterMs`. */
  stop(killAfterMs = 20_000) {
    return this.process.stop(killAfterMs);
  }
}
