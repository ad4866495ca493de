import { readFileSync } from "node:fs";
import { z } from "zod";

/** Keys become graph node names (`agent_<key>`), so they stay short identifiers. */
const agentKey = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, "lowercase letters, digits and _, starting with a letter, at most 32");

const agentSchema = z.strictObject({
  /** Node name suffix and the `agent` field of chat responses. */
  key: agentKey,
  /** Human name, used in replies and docs. */
  name: z.string().min(1).max(80),
  /** The intent this agent serves; the classifier chooses among these. */
  intent: agentKey,
  /** What the intent covers; shown to the classifier model. */
  description: z.string().min(1).max(1000),
  /** Words and phrases (any language) that signal the intent; used by the simulated classifier and as examples for real ones. */
  keywords: z.array(z.string().min(1).max(80)).min(1).max(200),
  /** The agent's system prompt. */
  systemPrompt: z.string().min(1).max(8000),
});

const catalogSchema = z.strictObject({
  /** System prompt of the clarify node: asks the user one short question. */
  clarifyPrompt: z.string().min(1).max(8000),
  agents: z.array(agentSchema).min(1).max(50),
});

export type AgentDefinition = z.infer<typeof agentSchema>;
export type AgentCatalog = z.infer<typeof catalogSchema>;

export class CatalogError extends Error {
  override name = "CatalogError";
}

/** Validates a parsed catalog, naming the entry and field of the first problems found. */
export function parseCatalog(raw: unknown, source = "agent catalog"): AgentCatalog {
  const result = catalogSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 5).map((issue) => {
      const [head, index, ...rest] = issue.path;
      const where =
        head === "agents" && typeof index === "number"
          ? `agents[${index}]${describeEntry(raw, index)}${rest.length ? "." + rest.join(".") : ""}`
          : issue.path.join(".") || "(root)";
      return `${where}: ${issue.message}`;
    });
    throw new CatalogError(`${source} is invalid: ${problems.join("; ")}`);
  }
  const catalog = result.data;
  const seenKeys = new Set<string>();
  const seenIntents = new Set<string>();
  catalog.agents.forEach((agent, i) => {
    if (seenKeys.has(agent.key))
      throw new CatalogError(`${source} is invalid: agents[${i}] (${agent.key}).key: duplicate key`);
    if (seenIntents.has(agent.intent))
      throw new CatalogError(
        `${source} is invalid: agents[${i}] (${agent.key}).intent: duplicate intent "${agent.intent}"`,
      );
    seenKeys.add(agent.key);
    seenIntents.add(agent.intent);
  });
  return catalog;
}

function describeEntry(raw: unknown, index: number): string {
  const entry = (raw as { agents?: unknown[] } | null)?.agents?.[index] as { key?: unknown } | undefined;
  return typeof entry?.key === "string" ? ` (${entry.key})` : "";
}

/** Reads and validates the catalog file; errors name the file, the entry and the field. */
export function loadCatalog(path: string): AgentCatalog {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CatalogError(`cannot read agent catalog ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CatalogError(`agent catalog ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseCatalog(raw, `agent catalog ${path}`);
}
