import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The application's version from its package.json, found by walking up from this module (it
 * runs from src/ under a TypeScript runner and from dist/src/ when compiled). Traces carry it as
 * `langfuse.version` and `service.version`, so a release is never reported under a stale literal.
 */
function readAppVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "switchboard" && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
    dir = dirname(dir);
  }
  return "unknown";
}

export const APP_VERSION = readAppVersion();
