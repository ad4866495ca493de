// This checkout's package.json, found from a module's location (src/... under tsx,
// dist/src/... when compiled): the nearest folder above it that holds one.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder of the package.json nearest above `moduleUrl` (e.g. `import.meta.url`). */
export function findPackageRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dir;
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(findPackageRoot(import.meta.url), "package.json"), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** The package version of this checkout, "unknown" when its package.json cannot be read. */
export const PACKAGE_VERSION = readVersion();
