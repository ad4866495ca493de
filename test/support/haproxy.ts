import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./spawn-receiver.js";
import { requireProgram, SETPRIV } from "./local-binary.js";

/**
 * HAProxy (the one scripts/test-programs.mjs finds) in front of service instances, as a deployment runs it: round robin, health
 * checks on /readyz, a retry on another server only when the connection itself failed (so a turn
 * is never sent twice), and each answer naming the server that gave it (`x-served-by`). It
 * listens on 127.0.0.1 only, with no stats page or admin socket.
 */
export interface Haproxy {
  url: string;
  stop(): Promise<void>;
}

export interface HaproxyOptions {
  /** Health check interval (default 300 ms: a killed instance is out within a second). */
  checkIntervalMs?: number;
  /** Failed checks before an instance is taken out (default 2). */
  fall?: number;
}

export async function startHaproxy(
  backends: { name: string; url: string }[],
  options: HaproxyOptions = {},
): Promise<Haproxy> {
  const bin = requireProgram("haproxy");
  const dir = mkdtempSync(join(tmpdir(), "switchboard-haproxy-"));
  const port = await freePort();
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(
    cfg,
    [
      "global",
      "  log stderr format raw local0 err",
      "defaults",
      "  mode http",
      "  log global",
      "  timeout connect 1s",
      "  timeout client 60s",
      "  timeout server 60s",
      "  retries 2",
      "  option redispatch",
      // Only what cannot have reached an instance is retried: never a turn an instance may be running.
      "  retry-on conn-failure",
      "frontend switchboard",
      `  bind 127.0.0.1:${port}`,
      "  default_backend instances",
      "backend instances",
      "  balance roundrobin",
      "  option httpchk GET /readyz",
      `  default-server inter ${options.checkIntervalMs ?? 300}ms fall ${options.fall ?? 2} rise 2`,
      "  timeout check 5s",
      "  http-response set-header x-served-by %s",
      ...backends.map((b) => `  server ${b.name} ${new URL(b.url).host} check`),
    ].join("\n") + "\n",
    { mode: 0o600 },
  );
  const args = SETPRIV ? [SETPRIV, "--pdeathsig", "SIGKILL", "--", bin, "-db", "-f", cfg] : [bin, "-db", "-f", cfg];
  const child: ChildProcess = spawn(args[0]!, args.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-8192)));
  child.unref();
  (child.stderr as unknown as { unref(): void }).unref();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${log}`);
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`haproxy did not answer within 15 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = once(child, "exit");
          child.kill("SIGTERM");
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
