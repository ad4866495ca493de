// The local Langfuse-compatible receiver (`node dist/src/receiver/main.js`) as a real process,
// with its faults set from the environment, and its counters read over HTTP.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startNodeProcess, type ManagedProcess } from "./child-processes.js";
import { childEnv } from "./child-env.js";
import { httpJson, httpText, waitUntil, withRetry } from "./http.js";
import { basicAuthHeader } from "../src/receiver/basic-auth.js";
import { generateKeyPair } from "../src/receiver/receiver-keys.js";

/** A key pair of this benchmark run: the receivers it starts accept it, the services export with it. */
export const { publicKey: RECEIVER_PUBLIC_KEY, secretKey: RECEIVER_SECRET_KEY } = generateKeyPair();
const AUTH = { authorization: basicAuthHeader({ publicKey: RECEIVER_PUBLIC_KEY, secretKey: RECEIVER_SECRET_KEY }) };

/** The part of GET /_receiver/stats the benchmark reads (see src/receiver/receiver-stats.ts). */
export interface ReceiverStatsView {
  requests: { total: number; byStatus: Record<string, number>; hung: number };
  spans: { received: number; unique: number; duplicates: number };
  /** Rows in the receiver's store: unlike the counters, they survive a restart of the receiver on a file store. */
  store?: { traces: number; observations: number };
}

export interface ReceiverStartOptions {
  root: string;
  port: number;
  /** Fault variables (RECEIVER_DELAY_MS, RECEIVER_HANG, ...). */
  env: Record<string, string>;
  dbPath: string;
  logFile: string;
  /** taskset CPU list (see cpu-affinity.ts); null or absent: no pinning. */
  cpus?: string | null;
}

export class ReceiverProcess {
  private constructor(
    readonly process: ManagedProcess,
    readonly baseUrl: string,
  ) {}

  static scriptPath(root: string): string {
    return join(root, "dist", "src", "receiver", "main.js");
  }

  static async start(options: ReceiverStartOptions): Promise<ReceiverProcess> {
    const script = ReceiverProcess.scriptPath(options.root);
    if (!existsSync(script)) throw new Error(`${script} does not exist: the receiver is not built yet`);
    const env = childEnv({
      RECEIVER_PORT: String(options.port),
      RECEIVER_DB_PATH: options.dbPath,
      RECEIVER_PUBLIC_KEY: RECEIVER_PUBLIC_KEY,
      RECEIVER_SECRET_KEY: RECEIVER_SECRET_KEY,
      RECEIVER_LOG_LEVEL: "warn",
      ...options.env,
    });
    const proc = startNodeProcess(script, env, options.logFile, options.cpus ?? null);
    const baseUrl = `http://127.0.0.1:${options.port}`;
    try {
      await waitUntil(
        async () => (await httpText(`${baseUrl}/_receiver/stats`, { timeoutMs: 1000, headers: AUTH })).status === 200,
        {
          timeoutMs: 20_000,
          what: "receiver start",
          abort: () => (proc.hasExited() ? `exited during start-up:\n${proc.logTail()}` : null),
        },
      );
      return new ReceiverProcess(proc, baseUrl);
    } catch (err) {
      await proc.stop(2000);
      throw err;
    }
  }

  get pid(): number {
    return this.process.pid;
  }

  stats(): Promise<ReceiverStatsView> {
    return withRetry(() =>
      httpJson<ReceiverStatsView>(`${this.baseUrl}/_receiver/stats`, { timeoutMs: 10_000, headers: AUTH }),
    );
  }

  stop() {
    return this.process.stop(5000);
  }
}
