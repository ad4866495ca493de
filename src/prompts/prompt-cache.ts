import type { LangfusePromptsApi } from "./langfuse-prompts-api.js";
import type { PromptFallbackReason, PromptMetrics } from "./prompt-metrics.js";

/** A prompt as a turn uses it: its text, and the Langfuse version it came from (none: the catalog's). */
export interface ServedPrompt {
  text: string;
  /** Linked on the generation that uses it, so Langfuse ties the call to the prompt version. */
  link: { name: string; version: number } | undefined;
}

export interface PromptCacheOptions {
  /** Langfuse's prompts API; null: the catalog's prompts only. */
  api: LangfusePromptsApi | null;
  /** The label read (LANGFUSE_PROMPT_LABEL). */
  label: string;
  /** How often every prompt is read again in the background (LANGFUSE_PROMPT_CACHE_TTL). */
  ttlMs: number;
  /** Each prompt's text in the local catalog: served until Langfuse answers, and when it cannot. */
  fallbacks: ReadonlyMap<string, string>;
  metrics: PromptMetrics;
  logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/** Reads of Langfuse at once, at most. */
const FETCH_CONCURRENCY = 4;

/**
 * The service's prompts, read from Langfuse prompt management and kept in memory. `get` never
 * waits: it answers from memory, with the version last read or else the catalog's text, while
 * every prompt is read again in the background each TTL. A prompt Langfuse does not have (or is
 * down for) is served from the catalog, counted; a version once read is kept while Langfuse
 * fails, so a turn never waits on or fails for a prompt.
 */
export class PromptCache {
  readonly #options: PromptCacheOptions;
  readonly #versions = new Map<string, ServedPrompt>();
  /** Why a prompt is served from the catalog (absent: not read yet). */
  readonly #fallbackReason = new Map<string, PromptFallbackReason>();
  readonly #catalog = new Map<string, ServedPrompt>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #refreshing: Promise<void> | undefined;
  readonly #warned = new Set<string>();

  constructor(options: PromptCacheOptions) {
    this.#options = options;
    for (const [name, text] of options.fallbacks) this.#catalog.set(name, { text, link: undefined });
  }

  /** The prompt as the next turn uses it. Never waits, never throws for a known name. */
  get(name: string): ServedPrompt {
    // Prompt management off: the catalog's prompts, nothing to count.
    if (!this.#options.api) return this.#fallback(name);
    const cached = this.#versions.get(name);
    if (cached) {
      this.#options.metrics.hits++;
      return cached;
    }
    this.#options.metrics.misses++;
    this.#options.metrics.fallbacks[this.#fallbackReason.get(name) ?? "not_fetched"]++;
    return this.#fallback(name);
  }

  #fallback(name: string): ServedPrompt {
    const fallback = this.#catalog.get(name);
    if (!fallback) throw new Error(`no prompt named ${name} in the catalog`);
    return fallback;
  }

  /**
   * Reads every prompt once (waiting at most `warmMs` for it, so a slow Langfuse never holds the
   * start-up), then again every TTL in the background.
   */
  async start(warmMs: number): Promise<void> {
    if (!this.#options.api || this.#stopped) return;
    this.#timer = setInterval(() => void this.refresh(), this.#options.ttlMs).unref();
    const first = this.refresh();
    await Promise.race([first, new Promise((r) => setTimeout(r, warmMs).unref())]);
  }

  /** Ends the background reads for good (a start still under way sets up none). */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads every prompt again (one refresh at a time). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refreshAll().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #refreshAll(): Promise<void> {
    const names = [...this.#catalog.keys()];
    for (let i = 0; i < names.length; i += FETCH_CONCURRENCY)
      await Promise.all(names.slice(i, i + FETCH_CONCURRENCY).map((name) => this.#read(name)));
  }

  async #read(name: string): Promise<void> {
    const api = this.#options.api!;
    const fetched = await api.get(name, this.#options.label);
    if (fetched.kind === "failed") {
      this.#options.metrics.fetchFailures[fetched.reason] =
        (this.#options.metrics.fetchFailures[fetched.reason] ?? 0) + 1;
      // A version read before is kept: Langfuse being down changes nothing a turn sees.
      if (!this.#versions.has(name)) this.#fallbackReason.set(name, "unavailable");
      this.#warnOnce(
        `failed:${fetched.reason}`,
        { name, reason: fetched.reason, error: fetched.message },
        "Langfuse prompt management could not be read; turns use the cached version or the catalog's prompt",
      );
      return;
    }
    if (fetched.kind === "not_found") {
      this.#versions.delete(name);
      this.#fallbackReason.set(name, "not_found");
      this.#warnOnce(
        `not_found:${name}`,
        { name, label: this.#options.label },
        "Langfuse has no such prompt (or none with this label); the catalog's prompt is used (npm run prompts:push creates them)",
      );
      return;
    }
    const { prompt } = fetched;
    if (prompt.type !== "text" || typeof prompt.prompt !== "string") {
      this.#versions.delete(name);
      this.#fallbackReason.set(name, "not_text");
      this.#warnOnce(
        `not_text:${name}`,
        { name, type: prompt.type },
        "a Langfuse prompt the service reads is not a text prompt; the catalog's prompt is used",
      );
      return;
    }
    const current = this.#versions.get(name);
    if (current?.link?.version === prompt.version && current.text === prompt.prompt) return;
    this.#versions.set(name, { text: prompt.prompt, link: { name, version: prompt.version } });
    this.#fallbackReason.delete(name);
    this.#options.logger.info(
      { name, version: prompt.version, label: this.#options.label },
      "prompt version from Langfuse in use",
    );
  }

  #warnOnce(key: string, obj: object, msg: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#options.logger.warn(obj, msg);
  }
}
