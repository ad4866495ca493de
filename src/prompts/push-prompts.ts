import type { LangfusePromptsApi } from "./langfuse-prompts-api.js";

export interface PushResult {
  /** Prompts created, or given a new version because the catalog's text differs. */
  created: { name: string; version: number }[];
  /** Prompts whose labelled version already has the catalog's text (or, seeding, any version). */
  unchanged: string[];
  /** Prompts that could not be read or written, with why. */
  failed: { name: string; error: string }[];
}

/**
 * Writes the catalog's prompts to Langfuse prompt management under `label`. `onlyMissing`
 * (seeding a local receiver): only prompts Langfuse does not have; otherwise a prompt whose
 * labelled version differs from the catalog gets a new version carrying the label.
 */
export async function pushPrompts(
  api: LangfusePromptsApi,
  prompts: ReadonlyMap<string, string>,
  label: string,
  onlyMissing: boolean,
): Promise<PushResult> {
  const result: PushResult = { created: [], unchanged: [], failed: [] };
  for (const [name, text] of prompts) {
    const current = await api.get(name, label);
    if (current.kind === "failed") {
      result.failed.push({ name, error: current.message });
      continue;
    }
    if (current.kind === "found" && (onlyMissing || current.prompt.prompt === text)) {
      result.unchanged.push(name);
      continue;
    }
    try {
      const version = await api.create(name, text, [label], "from Switchboard's agent catalog");
      result.created.push({ name, version });
    } catch (err) {
      result.failed.push({ name, error: (err as Error).message });
    }
  }
  return result;
}
