// Steady traffic for a timeline benchmark: `connections` clients, each sending one chat turn
// after another. Unlike the throughput harness, every completion keeps its timestamp, so the
// latencies can be split into phases (before, during and after an outage).
import { Agent, request } from "node:http";
import { MESSAGES } from "../messages.js";

export interface Completion {
  /** Epoch ms when the request was sent. */
  sentAt: number;
  /** Epoch ms when the response ended. */
  at: number;
  ms: number;
  ok: boolean;
  status: number;
  /** The answer's trace_id (null when tracing is off or the request failed). */
  traceId: string | null;
}

export function steadyLoad(
  url: string,
  connections: number,
  tag: string,
  out: Completion[],
): { stop: () => Promise<void> } {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let running = true;
  const target = new URL(url);
  const one = (body: string) =>
    new Promise<{ status: number; traceId: string | null }>((resolve) => {
      const req = request(
        target,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              traceId: res.statusCode === 200 ? traceIdOf(Buffer.concat(chunks).toString()) : null,
            }),
          );
          res.on("error", () => resolve({ status: 0, traceId: null }));
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => resolve({ status: 0, traceId: null }));
      req.end(body);
    });
  const client = async (id: number) => {
    let turn = 0;
    while (running) {
      // A new session every 8 turns keeps histories bounded, as in the main harness.
      const session = `${tag}-c${id}-s${Math.floor(turn / 8)}`;
      const body = JSON.stringify({
        message: MESSAGES[(id + turn) % MESSAGES.length],
        user_id: `bench-${id}`,
        session_id: session,
      });
      const sentAt = Date.now();
      const started = performance.now();
      const { status, traceId } = await one(body);
      out.push({ sentAt, at: Date.now(), ms: performance.now() - started, ok: status === 200, status, traceId });
      // A service that is gone (the crash run kills it) refuses at once: do not spin.
      if (status === 0) await new Promise((r) => setTimeout(r, 20));
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

function traceIdOf(body: string): string | null {
  try {
    const id = (JSON.parse(body) as { trace_id?: unknown }).trace_id;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}
