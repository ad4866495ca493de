import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { dirname } from "node:path";
import { basicAuthHeader, DEV_KEY_PAIR, type ApiKeyPair } from "../../src/receiver/basic-auth.js";
import type { ReceiverFaults } from "../../src/receiver/faults.js";
import type { ReceiverInfo, ReceiverStats } from "../../src/receiver/receiver.js";
import { readKeyPair } from "../../src/receiver/receiver-keys.js";

export interface SpawnedReceiver {
  child: ChildProcess;
  url: string;
  /** The key pair it accepts: the dev pair (configured, the default here), or the one it made in its data folder. */
  keys: ApiKeyPair;
  /** GET /_receiver/stats (see docs/receiver.md). */
  stats(): Promise<ReceiverStats>;
  /** GET /_receiver/info: what the service checks before exporting to this port. */
  info(): Promise<ReceiverInfo>;
  /** PUT /_receiver/faults: merges `faults` into the faults in force. */
  setFaults(faults: Partial<ReceiverFaults>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the compiled standalone receiver (`npm run receiver`) on a fixed port, as its own process,
 * with its control routes on and, unless `RECEIVER_DEV_KEYS: "false"` is passed, configured to
 * accept the dev key pair (the services these tests start export with it).
 */
export async function spawnReceiver(
  port: number,
  dbPath: string,
  extraEnv: Record<string, string> = {},
): Promise<SpawnedReceiver> {
  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "",
    RECEIVER_PORT: String(port),
    RECEIVER_DB_PATH: dbPath,
    RECEIVER_LOG_LEVEL: "warn",
    RECEIVER_DEV_KEYS: "true",
    RECEIVER_CONTROL_ROUTES: "true",
    ...extraEnv,
  };
  const child = spawn(process.execPath, ["dist/src/receiver/main.js"], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`receiver exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/api/public/health`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`receiver did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const keys = env["RECEIVER_DEV_KEYS"] === "true" ? DEV_KEY_PAIR : readKeyPair(dirname(dbPath));
  if (!keys) throw new Error(`the receiver started without a key pair in ${dirname(dbPath)}`);
  const authorization = basicAuthHeader(keys);
  return {
    child,
    url,
    keys,
    stats: () =>
      fetch(`${url}/_receiver/stats`, { headers: { authorization }, signal: AbortSignal.timeout(10_000) }).then(
        (r) => r.json() as Promise<ReceiverStats>,
      ),
    info: () =>
      fetch(`${url}/_receiver/info`, { headers: { authorization }, signal: AbortSignal.timeout(10_000) }).then(
        (r) => r.json() as Promise<ReceiverInfo>,
      ),
    async setFaults(faults) {
      const res = await fetch(`${url}/_receiver/faults`, {
        method: "PUT",
        headers: { "content-type": "application/json", authorization },
        body: JSON.stringify(faults),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status !== 200) throw new Error(`PUT /_receiver/faults: HTTP ${res.status} ${await res.text()}`);
    },
    async stop() {
      // Already gone (a process killed by a signal has no exit code, only a signal code).
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A free TCP port on loopback, released before it is returned. */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
