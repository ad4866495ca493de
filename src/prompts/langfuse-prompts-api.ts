/** A text prompt version as Langfuse's `GET /api/public/v2/prompts/{name}` answers it (the fields used). */
export interface LangfusePrompt {
  name: string;
  version: number;
  type: "text" | "chat";
  prompt: unknown;
  labels: string[];
}

export type PromptFetch =
  | { kind: "found"; prompt: LangfusePrompt }
  | { kind: "not_found" }
  | { kind: "failed"; reason: "timeout" | "network" | "http_5xx" | "http_4xx" | "invalid"; message: string };

export interface LangfusePromptsApiOptions {
  baseUrl: string;
  publicKey: string;
  secretKey: string;
  /** One request's deadline (ms). */
  timeoutMs: number;
}

/**
 * Langfuse's public prompts API (prompt management): read a prompt's version by label, create
 * one. Never throws: a failure is an outcome the caller falls back on.
 */
export class LangfusePromptsApi {
  readonly #options: LangfusePromptsApiOptions;
  readonly #auth: string;

  constructor(options: LangfusePromptsApiOptions) {
    this.#options = options;
    this.#auth = `Basic ${Buffer.from(`${options.publicKey}:${options.secretKey}`).toString("base64")}`;
  }

  async get(name: string, label: string): Promise<PromptFetch> {
    const url = `${this.#options.baseUrl}/api/public/v2/prompts/${encodeURIComponent(name)}?label=${encodeURIComponent(label)}`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: this.#auth },
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
    } catch (err) {
      const timeout = (err as Error).name === "TimeoutError";
      return { kind: "failed", reason: timeout ? "timeout" : "network", message: (err as Error).message };
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return { kind: "not_found" };
    }
    if (!res.ok) {
      await res.body?.cancel();
      return {
        kind: "failed",
        reason: res.status >= 500 ? "http_5xx" : "http_4xx",
        message: `GET prompt ${name}: HTTP ${res.status}`,
      };
    }
    try {
      const body = (await res.json()) as Partial<LangfusePrompt>;
      if (typeof body.version !== "number" || (body.type !== "text" && body.type !== "chat"))
        return { kind: "failed", reason: "invalid", message: `GET prompt ${name}: not a prompt version` };
      return {
        kind: "found",
        prompt: {
          name: body.name ?? name,
          version: body.version,
          type: body.type,
          prompt: body.prompt,
          labels: body.labels ?? [],
        },
      };
    } catch (err) {
      return { kind: "failed", reason: "invalid", message: (err as Error).message };
    }
  }

  /** Creates a text prompt version (labelled); returns its version, or throws saying why. */
  async create(name: string, text: string, labels: string[], commitMessage: string): Promise<number> {
    const res = await fetch(`${this.#options.baseUrl}/api/public/v2/prompts`, {
      method: "POST",
      headers: { authorization: this.#auth, "content-type": "application/json" },
      body: JSON.stringify({ name, type: "text", prompt: text, labels, commitMessage }),
      signal: AbortSignal.timeout(this.#options.timeoutMs),
    });
    const body = (await res.json().catch(() => ({}))) as { version?: number; message?: string };
    if (!res.ok || typeof body.version !== "number")
      throw new Error(`creating prompt ${name}: HTTP ${res.status}${body.message ? `: ${body.message}` : ""}`);
    return body.version;
  }
}
