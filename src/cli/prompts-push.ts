// `npm run prompts:push`: creates the service's prompts (the classifier's, the clarifier's and each
// agent's, from the agent catalog) in the Langfuse project the LANGFUSE_* variables name, under
// LANGFUSE_PROMPT_LABEL, so they can be edited and rolled out there. By default only prompts the
// project lacks are created: a version edited in Langfuse is never overwritten by accident;
// --update gives every prompt whose labelled version differs from the catalog a new version.
import { parseArgs } from "node:util";
import { loadCatalog } from "../agents/catalog.js";
import { loadConfig } from "../config.js";
import { LangfusePromptsApi } from "../prompts/langfuse-prompts-api.js";
import { catalogPrompts, promptNames } from "../prompts/prompt-names.js";
import { pushPrompts } from "../prompts/push-prompts.js";

const USAGE = `usage: npm run prompts:push -- [--update]
  Creates the catalog's prompts (AGENTS_FILE) in the Langfuse project of LANGFUSE_BASE_URL,
  LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY, named LANGFUSE_PROMPT_PREFIX-*, labelled
  LANGFUSE_PROMPT_LABEL.
  --update  also give a prompt whose labelled version differs from the catalog a new version
            with the catalog's text (default: only prompts the project lacks are created)`;

/** One request to Langfuse waits this long at most. */
const REQUEST_TIMEOUT_MS = 15_000;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { update: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig(process.env);
  if (!config.LANGFUSE_PUBLIC_KEY || !config.LANGFUSE_SECRET_KEY) {
    console.error(
      "prompts:push needs LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY (and LANGFUSE_BASE_URL) of the Langfuse project to write to; the local receiver needs none of this: the service creates its prompts there at start",
    );
    return 2;
  }
  const names = promptNames(config.LANGFUSE_PROMPT_PREFIX);
  const prompts = catalogPrompts(loadCatalog(config.AGENTS_FILE), names);
  const api = new LangfusePromptsApi({
    baseUrl: config.LANGFUSE_BASE_URL,
    publicKey: config.LANGFUSE_PUBLIC_KEY,
    secretKey: config.LANGFUSE_SECRET_KEY,
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  const result = await pushPrompts(api, prompts, config.LANGFUSE_PROMPT_LABEL, !values.update);
  for (const { name, version } of result.created)
    console.log(`created ${name} version ${version} (label ${config.LANGFUSE_PROMPT_LABEL})`);
  for (const name of result.unchanged)
    console.log(`kept    ${name} (${values.update ? "already the catalog's text" : "already in the project"})`);
  for (const { name, error } of result.failed) console.error(`failed  ${name}: ${error}`);
  return result.failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    console.error(err.name === "ConfigError" ? err.message : `prompts:push failed: ${err.message}`);
    process.exitCode = 1;
  },
);
