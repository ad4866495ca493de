// Every process the benchmark starts goes through here, so that all of them are stopped on a
// normal exit, on an error and on Ctrl-C, and none outlives the harness.
import { spawn, type ChildProcess } from "node:child_process";
import { pinnedCommand } from "./cpu-affinity.js";
import { closeSync, openSync, readFileSync } from "node:fs";
import { ROOT } from "./paths.js";

const live = new Set<ChildProcess>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {}
  }
  live.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // Synchronous last resort: whatever is still running when the harness exits is killed.
  process.on("exit", killAllNow);
}

/** Registers a handler for Ctrl-C / SIGTERM that kills the children, then lets `onSignal` finish up. */
export function onInterrupt(onSignal: (signal: NodeJS.Signals) => void): void {
  installHooks();
  const handler = (signal: NodeJS.Signals) => {
    killAllNow();
    onSignal(signal);
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `killAfterMs`. Resolves with the exit code and how long it took. */
  stop(killAfterMs: number): Promise<{ exit: number | string; ms: number; killed: boolean }>;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
}

/** Starts `node <script>` (on the cores of `cpuList`, when given) with the given environment, stdout and stderr into `logFile`. */
export function startNodeProcess(
  script: string,
  env: Record<string, string>,
  logFile: string,
  cpuList: string | null = null,
): ManagedProcess {
  installHooks();
  const fd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    // The repository is the working directory: relative defaults (agents/shop-support.json) resolve there.
    const { command, args } = pinnedCommand(cpuList, script);
    child = spawn(command, args, { env, cwd: ROOT, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`could not start ${script}`);
  live.add(child);
  let exitedFlag = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      exitedFlag = true;
      live.delete(child);
      resolve(code ?? signal ?? "unknown");
    });
    child.once("error", () => {
      exitedFlag = true;
      live.delete(child);
      resolve("spawn-error");
    });
  });
  const pid = child.pid;
  return {
    child,
    pid,
    logFile,
    exited,
    hasExited: () => exitedFlag,
    async stop(killAfterMs: number) {
      const started = performance.now();
      if (exitedFlag) return { exit: await exited, ms: 0, killed: false };
      child.kill("SIGTERM");
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill("SIGKILL");
      }, killAfterMs);
      const exit = await exited;
      clearTimeout(timer);
      return { exit, ms: performance.now() - started, killed };
    },
    logTail(lines = 20) {
      try {
        return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    },
  };
}
