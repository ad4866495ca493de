// Installs what the test suite needs from the machine and does not get from npm, when it is
// missing, so `npm test` runs every suite on a fresh Debian machine with no manual step:
//   - Chromium, for the trace viewer's browser test (Debian's `chromium`, driven by
//     playwright-core; never a browser download of playwright's own);
//   - the PostgreSQL server binaries, for the shared-session tests (Debian's `postgresql`; the
//     tests start a throwaway server from them, see test/support/postgres-server.ts);
//   - Redis and HAProxy, for the shared limits and the multi-instance test (Debian's
//     `redis-server` and `haproxy`; started by the tests themselves, see test/support/).
// Silent and instant when everything is there. scripts/run-tests.mjs calls it; it also runs alone:
//   node scripts/provision-test-deps.mjs
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const POSTGRES_ROOT = "/usr/lib/postgresql";

const NEEDS = [
  {
    what: "Chromium, for the trace viewer's browser test",
    present: () => existsSync("/usr/bin/chromium"),
    packages: ["chromium"],
  },
  {
    what: "PostgreSQL server, for the shared-session tests",
    present: () =>
      existsSync(POSTGRES_ROOT) &&
      readdirSync(POSTGRES_ROOT).some(
        (v) =>
          existsSync(join(POSTGRES_ROOT, v, "bin", "postgres")) && existsSync(join(POSTGRES_ROOT, v, "bin", "initdb")),
      ),
    packages: ["postgresql"],
  },
  {
    what: "Redis server, for the shared-limits and multi-instance tests",
    present: () => existsSync("/usr/bin/redis-server") || existsSync("/usr/local/bin/redis-server"),
    packages: ["redis-server"],
  },
  {
    what: "HAProxy, for the multi-instance test",
    present: () => existsSync("/usr/sbin/haproxy") || existsSync("/usr/local/sbin/haproxy"),
    packages: ["haproxy"],
  },
];

const onPath = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;

/** Installs whatever is missing; true when everything is there afterwards. Prints only when it acts or fails. */
export function provisionTestDependencies() {
  const missing = NEEDS.filter((n) => !n.present());
  if (missing.length === 0) return true;
  const packages = missing.flatMap((n) => n.packages);
  const manual = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(" ")}`;
  for (const n of missing) console.error(`test setup: ${n.what} is missing`);

  if (!onPath("apt-get")) {
    console.error(`test setup: no apt-get on this machine; install ${packages.join(", ")} (Debian: ${manual})`);
    return false;
  }
  let prefix = [];
  if (process.getuid?.() !== 0) {
    if (onPath("sudo") && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0)
      prefix = ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive"];
    else {
      console.error(`test setup: installing packages needs root; run as root: ${manual}`);
      return false;
    }
  }

  console.error(`test setup: installing ${packages.join(", ")} from Debian's packages (once per machine)...`);
  const started = Date.now();
  const logDir = mkdtempSync(join(tmpdir(), "switchboard-apt-"));
  const log = join(logDir, "apt.log");
  const out = openSync(log, "a");
  try {
    // Another apt run (another checkout's tests, unattended upgrades) holds the lock: wait for it.
    const [cmd, ...pre] = [...prefix, "apt-get"];
    const apt = (...args) =>
      spawnSync(cmd, [...pre, "-o", "DPkg::Lock::Timeout=600", ...args], {
        stdio: ["ignore", out, out],
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      }).status === 0;
    const ok = apt("update") && apt("install", "-y", "--no-install-recommends", ...packages);
    const still = NEEDS.filter((n) => !n.present());
    if (!ok || still.length > 0) {
      console.error(readFileSync(log, "utf8").split("\n").slice(-40).join("\n"));
      console.error(`test setup: could not install ${packages.join(", ")} (apt output above); try: ${manual}`);
      return false;
    }
  } finally {
    closeSync(out);
    rmSync(logDir, { recursive: true, force: true });
  }
  console.error(`test setup: installed ${packages.join(", ")} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exit(provisionTestDependencies() ? 0 : 1);
}
