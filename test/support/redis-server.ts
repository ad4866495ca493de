import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./spawn-receiver.js";
import { requireProgram, SETPRIV } from "./local-binary.js";

/**
 * A throwaway Redis for tests (the `redis-server` scripts/test-programs.mjs finds): 127.0.0.1 on a free port, a random
 * password (requirepass), no persistence, its own temp folder. It dies with the test process
 * (parent-death signal) and stop() deletes its folder.
 */
export interface RedisServer {
  /** redis://:<password>@127.0.0.1:<port>/0 */
  url: string;
  port: number;
  password: string;
  /** Stops the server (SIGTERM, or SIGKILL with `kill`) and, once stopped, deletes its folder. */
  stop(kill?: boolean): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const bin = requireProgram("redis");
  const dir = mkdtempSync(join(tmpdir(), "switchboard-redis-"));
  const password = randomBytes(18).toString("base64url");
  const port = await freePort();
  const conf = join(dir, "redis.conf");
  writeFileSync(
    conf,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      "protected-mode yes",
      `requirepass ${password}`,
      `dir ${dir}`,
      'save ""',
      "appendonly no",
      "daemonize no",
      'logfile ""',
      "loglevel warning",
    ].join("\n"),
    { mode: 0o600 },
  );
  const args = SETPRIV ? [SETPRIV, "--pdeathsig", "SIGKILL", "--", bin, conf] : [bin, conf];
  const child: ChildProcess = spawn(args[0]!, args.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-8192)));
  child.unref();
  (child.stderr as unknown as { unref(): void }).unref();
  const url = `redis://:${password}@127.0.0.1:${port}/0`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${log}`);
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch {
      probe.disconnect();
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not accept connections within 15 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    password,
    stop(kill = false) {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = once(child, "exit");
          child.kill(kill ? "SIGKILL" : "SIGTERM");
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
