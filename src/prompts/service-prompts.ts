import type { Registry } from "prom-client";
import type { AgentCatalog } from "../agents/catalog.js";
import type { LangfuseEndpoint } from "../tracing-setup.js";
import { LangfusePromptsApi } from "./langfuse-prompts-api.js";
import { PromptCache } from "./prompt-cache.js";
import { PromptMetrics } from "./prompt-metrics.js";
import { catalogPrompts, promptNames } from "./prompt-names.js";
import { pushPrompts } from "./push-prompts.js";
import { cachedRouterPrompts, type RouterPrompts } from "./router-prompts.js";

/** One read of a prompt (or a write, seeding) waits this long for Langfuse at most. */
const PROMPT_REQUEST_TIMEOUT_MS = 5_000;
/** The service's readiness waits this long for the first read of the prompts, at most. */
const WARM_UP_MS = 1_000;

export interface ServicePromptsOptions {
  catalog: AgentCatalog;
  /** Where traces go (TracingSetup.langfuse); null: tracing off, the catalog's prompts only. */
  langfuse: LangfuseEndpoint | null;
  /** LANGFUSE_PROMPTS. */
  enabled: boolean;
  /** LANGFUSE_PROMPT_LABEL. */
  label: string;
  /** LANGFUSE_PROMPT_PREFIX. */
  prefix: string;
  /** LANGFUSE_PROMPT_CACHE_TTL, in ms. */
  ttlMs: number;
  registry: Registry;
  logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export interface ServicePrompts {
  /** What the graph's nodes ask for their prompts. */
  router: RouterPrompts;
  /** Seeds a local receiver with the catalog's prompts, then reads them (waiting at most WARM_UP_MS). */
  start(): Promise<void>;
  /** Stops the background reads. */
  stop(): void;
}

/**
 * The service's prompts from Langfuse prompt management when tracing goes to a Langfuse (or the
 * local receiver) and LANGFUSE_PROMPTS is on, else the catalog's. A local receiver is seeded with
 * the catalog's prompts at start (only those it lacks, so edits made there survive restarts);
 * a real Langfuse project gets them from `npm run prompts:push`, never implicitly.
 */
export function createServicePrompts(options: ServicePromptsOptions): ServicePrompts {
  const names = promptNames(options.prefix);
  const fallbacks = catalogPrompts(options.catalog, names);
  const endpoint = options.enabled ? options.langfuse : null;
  const api = endpoint
    ? new LangfusePromptsApi({
        baseUrl: endpoint.baseUrl,
        publicKey: endpoint.publicKey,
        secretKey: endpoint.secretKey,
        timeoutMs: PROMPT_REQUEST_TIMEOUT_MS,
      })
    : null;
  const cache = new PromptCache({
    api,
    label: options.label,
    ttlMs: options.ttlMs,
    fallbacks,
    metrics: new PromptMetrics(options.registry),
    logger: options.logger,
  });
  return {
    router: cachedRouterPrompts(cache, names, options.catalog),
    async start() {
      if (!api) return;
      const seedThenRead = async () => {
        if (endpoint?.local) {
          const seeded = await pushPrompts(api, fallbacks, options.label, true);
          if (seeded.failed.length > 0)
            options.logger.warn(
              { failed: seeded.failed },
              "the local receiver could not be seeded with the catalog's prompts; turns use the catalog's",
            );
        }
        await cache.start(WARM_UP_MS);
      };
      // A receiver that does not answer holds the start for WARM_UP_MS, not a timeout per prompt.
      const started = seedThenRead().catch((err: Error) =>
        options.logger.warn(
          { error: err.message },
          "Langfuse prompt management could not be read at start; turns use the catalog's prompts",
        ),
      );
      await Promise.race([started, new Promise((r) => setTimeout(r, WARM_UP_MS).unref())]);
    },
    stop: () => cache.stop(),
  };
}
