// Minimal typing of the parts of autocannon 9 the benchmark uses (the package ships none).
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    /** Called before every request of this client; returns the request to send. */
    setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
  }

  export interface AutocannonClient extends EventEmitter {
    setRequests(requests: AutocannonRequest[]): void;
  }

  export interface AutocannonOptions {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /** Seconds before a request counts as a timeout. */
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    requests?: AutocannonRequest[];
    setupClient?: (client: AutocannonClient) => void;
    maxOverallRequests?: number;
    /** Milliseconds between autocannon's own samples (default 1). */
    sampleInt?: number;
    bailout?: number;
    title?: string;
  }

  export interface AutocannonHistogram {
    average: number;
    min: number;
    max: number;
    p50: number;
    p99: number;
  }

  export interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches: number;
    resets: number;
    latency: AutocannonHistogram;
    requests: AutocannonHistogram & { total: number; sent: number };
    statusCodeStats: Record<string, { count: number }>;
    start: Date;
    finish: Date;
  }

  export interface AutocannonInstance extends EventEmitter {
    stop(): void;
    on(
      event: "response",
      listener: (client: AutocannonClient, statusCode: number, resBytes: number, responseTime: number) => void,
    ): this;
    on(event: "reqError", listener: (err: Error) => void): this;
    on(event: "tick", listener: (counts: { counter: number; bytes: number }) => void): this;
    on(event: "done", listener: (result: AutocannonResult) => void): this;
    on(event: string, listener: (...args: any[]) => void): this;
  }

  function autocannon(
    options: AutocannonOptions,
    callback: (err: Error | null, result: AutocannonResult) => void,
  ): AutocannonInstance;
  export default autocannon;
}
