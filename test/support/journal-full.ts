import { fileURLToPath, pathToFileURL } from "node:url";
import type { SpawnedService } from "./spawn-service.js";
import { waitFor } from "./tracing-helpers.js";

const PRELOAD = fileURLToPath(new URL("./journal-full-preload.js", import.meta.url));

/** Environment for spawnService: the service can be told its journal's disk is full (fillJournalDisk). */
export function journalFullEnv(): Record<string, string> {
  return { NODE_OPTIONS: `--import=${pathToFileURL(PRELOAD).href}` };
}

/**
 * From now on the service's trace journal cannot grow: its next write that needs space fails with
 * SQLITE_FULL, as on a full disk (see journal-full-preload.ts). Resolves once the service has
 * applied it. A restarted service (a new process) has room again.
 */
export async function fillJournalDisk(svc: SpawnedService): Promise<void> {
  const before = svc.output().stderr.split("journal-full fault:").length;
  svc.child.kill("SIGUSR2");
  await waitFor(
    "the service to hold its journal at its size",
    async () => {
      const parts = svc.output().stderr.split("journal-full fault:");
      return parts.length > before ? parts.at(-1) : undefined;
    },
    10_000,
    20,
  ).then((line) => {
    if (!/^ [1-9]\d* journal database/.test(line))
      throw new Error(`the service had no open journal to fill:${line.split("\n")[0]}`);
  });
}
