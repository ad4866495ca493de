// Steady traffic for a timeline benchmark: `connections` clients, each sending one chat turn
// after another. Unlike the throughput harness, every completion keeps its timestamp, so the
// latencies can be split into phases (before, during and after an outage).
import { Agent, request } from "node:http";
import { MESSAGES } from "../messages.js";

export interface Completion {
  /** Epoch ms when the response ended. */
  at: number;
  ms: number;
  ok: boolean;
}

export function steadyLoad(url: string, connections: number, tag: string, out: Completion[]): { stop: () => Promise<void> } {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let running = true;
  const target = new URL(url);
  const one = (body: string) =>
    new Promise<boolean>((resolve) => {
      const req = request(target, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) }, timeout: 30_000 }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 200));
        res.on("error", () => resolve(false));
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => resolve(false));
      req.end(body);
    });
  const client = async (id: number) => {
    let turn = 0;
    while (running) {
      // A new session every 8 turns keeps histories bounded, as in the main harness.
      const session = `${tag}-c${id}-s${Math.floor(turn / 8)}`;
      const body = JSON.stringify({ message: MESSAGES[(id + turn) % MESSAGES.length], user_id: `bench-${id}`, session_id: session });
      const started = performance.now();
      const ok = await one(body);
      out.push({ at: Date.now(), ms: performance.now() - started, ok });
      turn++;
    }
  };
  const clients = Array.from({ length: connections }, (_, i) => client(i));
  let stopped: Promise<void> | null = null;
  return {
    stop() {
      running = false;
      stopped ??= Promise.all(clients).then(() => agent.destroy());
      return stopped;
    },
  };
}
