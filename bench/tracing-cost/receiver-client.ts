// Starts receiver-child.js and asks it for counts over IPC.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ReceiverReady, ReceiverReply, ReceiverRequest } from "./receiver-child.js";

/** Where a pipeline exports to, and with which keys. */
export interface ReceiverTarget {
  url: string;
  publicKey: string;
  secretKey: string;
}

export class ReceiverClient {
  #nextId = 1;
  readonly #pending = new Map<number, (reply: ReceiverReply) => void>();

  readonly #child: ChildProcess;

  private constructor(
    child: ChildProcess,
    /** The current receiver's base URL; changes with fresh(). */
    public url: string,
  ) {
    this.#child = child;
    child.on("message", (msg: ReceiverReply) => {
      const resolve = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      resolve?.(msg);
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  static start(): Promise<ReceiverClient> {
    const script = fileURLToPath(new URL("./receiver-child.js", import.meta.url));
    const child = fork(script, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: [] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error("receiver child did not start within 20 s"));
      }, 20_000);
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`receiver child exited with ${code} during start-up`)));
      child.once("message", (msg: ReceiverReady) => {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve(new ReceiverClient(child, msg.url));
      });
    });
  }

  #ask(op: ReceiverRequest["op"]): Promise<ReceiverReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`receiver child did not answer "${op}" within 60 s`));
      }, 60_000);
      this.#pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.#child.send({ id, op } satisfies ReceiverRequest);
    });
  }

  stats(): Promise<ReceiverReply> {
    return this.#ask("stats");
  }

  /** Replaces the receiver with a new, empty one on a new port with new keys (the old one is closed). */
  async fresh(): Promise<ReceiverTarget> {
    const reply = await this.#ask("fresh");
    this.url = reply.url;
    return { url: reply.url, publicKey: reply.publicKey, secretKey: reply.secretKey };
  }

  /** Closes the IPC channel; the child closes its receiver and exits. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}
