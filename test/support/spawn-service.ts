import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { launchEnv } from "../../bench/launch-env.js";

export interface SpawnedService {
  child: ChildProcess;
  /** http://127.0.0.1:<port>, read from the start-up log line. */
  url: string;
  /** Everything the process wrote so far. */
  output(): { stdout: string; stderr: string };
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const ENTRY = "dist/src/main.js";
/** Longest a stop() waits for the process to exit before it is killed. */
const STOP_TIMEOUT_MS = 30_000;

/** Runs the compiled service as its own process, as users run it, and waits until it listens. */
export async function spawnService(env: Record<string, string>, timeoutMs = 20_000): Promise<SpawnedService> {
  const child = spawn(process.execPath, [ENTRY], {
    // Tests send many requests (and wrong keys) from one address; the limits' own tests set them.
    env: {
      ...launchEnv(),
      PATH: process.env["PATH"] ?? "",
      PORT: "0",
      LOG_LEVEL: "info",
      RATE_LIMIT_PER_MINUTE: "0",
      AUTH_FAILURES_PER_MINUTE: "0",
      // Tests count the traces they cause: a busy test machine must not shed them.
      LANGFUSE_BUSY_TRACES_PER_SEC: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`service did not start within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    const check = () => {
      const m = /switchboard ready on (http:\/\/[0-9.]+:\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before it was ready:\n${stdout}\n${stderr}`));
    });
  });
  return {
    child,
    url,
    output: () => ({ stdout, stderr }),
    async stop(signal = "SIGTERM") {
      // Already gone (a process killed by a signal has no exit code, only a signal code).
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, "exit");
      child.kill(signal);
      // Bounded: a shutdown that hangs is killed (and the caller sees a null exit code).
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs the service expecting it to fail at start; resolves with exit code and stderr. */
export async function runServiceExpectingFailure(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [ENTRY], {
    env: { ...launchEnv(), PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, stderr };
}
