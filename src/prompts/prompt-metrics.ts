import { Counter, type Registry } from "prom-client";

export type PromptFallbackReason = "not_fetched" | "not_found" | "unavailable" | "not_text";

/** The prompt cache's counts: plain numbers on the request path, published when /metrics is scraped. */
export class PromptMetrics {
  hits = 0;
  misses = 0;
  readonly fallbacks: Record<PromptFallbackReason, number> = {
    not_fetched: 0,
    not_found: 0,
    unavailable: 0,
    not_text: 0,
  };
  readonly fetchFailures: Record<string, number> = {};

  constructor(registry: Registry) {
    const registers = [registry];
    // prom-client calls collect() with the metric as `this`; the counts live on this object.
    const counts = {
      hits: () => this.hits,
      misses: () => this.misses,
      fallbacks: this.fallbacks,
      fetchFailures: this.fetchFailures,
    };
    new Counter({
      name: "switchboard_prompt_cache_hits_total",
      help: "Prompts served from a Langfuse version in the cache",
      registers,
      collect() {
        this.reset();
        this.inc(counts.hits());
      },
    });
    new Counter({
      name: "switchboard_prompt_cache_misses_total",
      help: "Prompts asked for with no Langfuse version in the cache (the catalog's text served instead)",
      registers,
      collect() {
        this.reset();
        this.inc(counts.misses());
      },
    });
    new Counter({
      name: "switchboard_prompt_fallbacks_total",
      help: "Prompts served from the local catalog, by reason: not_fetched (before the first answer), not_found (Langfuse has no such prompt or label), unavailable (Langfuse failing and nothing cached), not_text (a chat prompt where a text prompt is expected)",
      labelNames: ["reason"],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(counts.fallbacks)) if (n > 0) this.inc({ reason }, n);
      },
    });
    new Counter({
      name: "switchboard_prompt_fetch_failures_total",
      help: "Failed reads of Langfuse prompt management, by reason (turns keep the cached version or the catalog's)",
      labelNames: ["reason"],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(counts.fetchFailures)) if (n > 0) this.inc({ reason }, n);
      },
    });
  }
}
