// Counts tokens in a worker thread (token-count-worker.ts), started on first use and unref'd, so
// a receiver that never needs it pays nothing and a process with nothing else to do exits.
import { Worker } from "node:worker_threads";
import type { CountReply, CountRequest } from "./token-count-worker.js";
import type { Tokenizer } from "./token-count.js";
import type { TokenCounts } from "./usage-cost.js";

interface Pending {
  resolve(counts: TokenCounts): void;
  reject(err: Error): void;
}

export class TokenCounter {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<number, Pending>();
  #closed = false;

  /** The input's and output's tokens as Langfuse would count them. */
  count(tokenizer: Tokenizer, input: string | null, output: string | null): Promise<TokenCounts> {
    if (this.#closed) return Promise.reject(new Error("the token counter is closed"));
    const worker = this.#start();
    const id = this.#nextId++;
    // Only what the worker needs crosses: plain data.
    const request: CountRequest = {
      id,
      tokenizer: { tokenizerId: tokenizer.tokenizerId, tokenizerConfig: tokenizer.tokenizerConfig },
      input,
      output,
    };
    return new Promise<TokenCounts>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage(request);
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL("./token-count-worker.js", import.meta.url));
    worker.unref();
    worker.on("message", (reply: CountReply) => {
      const waiter = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (!waiter) return;
      if ("error" in reply) waiter.reject(new Error(reply.error));
      else waiter.resolve({ input: reply.input, output: reply.output });
    });
    const fail = (err: Error) => {
      this.#worker = undefined;
      for (const waiter of this.#pending.values()) waiter.reject(err);
      this.#pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the token counter's worker exited (${code})`)));
    this.#worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }
}
