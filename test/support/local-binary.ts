import { existsSync } from "node:fs";

/**
 * The path of a Debian-packaged server binary the tests start themselves, or an error that says
 * exactly what to install (scripts/provision-test-deps.mjs installs it on a fresh Debian machine
 * as root; elsewhere the test fails with this message rather than being skipped).
 */
export function requireBinary(what: string, candidates: string[], debianPackage: string): string {
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  throw new Error(
    `${what} not found (looked at ${candidates.join(", ")}): install Debian's \`${debianPackage}\` package (\`apt-get install -y --no-install-recommends ${debianPackage}\`, which \`node scripts/provision-test-deps.mjs\` runs as root), or the same program from your system's packages`,
  );
}

/** util-linux's setpriv, to give a child a parent-death signal (every Debian has it). */
export const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
