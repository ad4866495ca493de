// Fault injection: how tests and benchmarks make the backend slow, failing or hung without a real
// outage, on the ingestion endpoint by default, and on the scores and prompts APIs when asked
// (`endpoints`). ("Down" is simply a closed receiver.)
import { z } from "zod";

export interface ReceiverFaults {
  /**
   * Which endpoints the faults act on (default ["ingestion"]): "ingestion" (OTLP spans),
   * "scores" (POST /api/public/scores) and "prompts" (every /api/public/v2/prompts request).
   * The others answer normally. One failure spreading counts the requests of all of them.
   */
  endpoints: FaultEndpoint[];
  /** Milliseconds to wait before answering each ingestion request, success or failure. 0 = none. */
  delayMs: number;
  /** HTTP status failed ingestion requests get, e.g. 503 or 429. Used when failRatio > 0. */
  failStatus: number;
  /**
   * Share of ingestion requests that fail, 0..1. Failures are spread evenly and
   * deterministically (0.5 = every second request, 1 = all), so tests can count on them.
   * A failed request's spans are not stored.
   */
  failRatio: number;
  /** `Retry-After` header (seconds) sent with injected failures; null = no header. */
  retryAfterSeconds: number | null;
  /** Read each ingestion request and never answer it (its spans are not stored). close() still ends it. */
  hang: boolean;
  /**
   * What a request whose spans were stored gets: "answer" (the normal 200), "hang" (never
   * answered; close() still ends it) or "reset" (its connection is destroyed). The last two make
   * an unknown outcome: the client sees a timeout or a cut connection, the data is stored.
   */
  afterStore: AfterStore;
}

export const FAULT_ENDPOINTS = ["ingestion", "scores", "prompts"] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

export const AFTER_STORE = ["answer", "hang", "reset"] as const;
export type AfterStore = (typeof AFTER_STORE)[number];

export const NO_FAULTS: Readonly<ReceiverFaults> = Object.freeze({
  endpoints: ["ingestion"] as FaultEndpoint[],
  delayMs: 0,
  failStatus: 503,
  failRatio: 0,
  retryAfterSeconds: null,
  hang: false,
  afterStore: "answer",
});

/** A partial ReceiverFaults, as `faults.set()` and `PUT /_receiver/faults` take it. */
export const receiverFaultsPatchSchema = z
  .object({
    endpoints: z.array(z.enum(FAULT_ENDPOINTS)).transform((list) => [...new Set(list)]),
    delayMs: z.number().int().min(0).max(600_000),
    failStatus: z.number().int().min(400).max(599),
    failRatio: z.number().min(0).max(1),
    retryAfterSeconds: z.number().int().min(0).nullable(),
    hang: z.boolean(),
    afterStore: z.enum(AFTER_STORE),
  })
  .partial()
  .strict();

/** Runtime control of the faults, in-process (`receiver.faults`). */
export interface ReceiverFaultControl {
  /** The faults in force. */
  get(): ReceiverFaults;
  /** Changes the given fields, keeps the others; throws on invalid values. Returns the result. */
  set(patch: Partial<ReceiverFaults>): ReceiverFaults;
  /** Back to no faults. */
  reset(): ReceiverFaults;
}

/** What to do with one request. */
export type FaultDecision =
  | { kind: "hang" }
  | { kind: "fail"; status: number; retryAfterSeconds: number | null; delayMs: number }
  | { kind: "accept"; delayMs: number; afterStore: AfterStore };

export class FaultController implements ReceiverFaultControl {
  #faults: ReceiverFaults;
  // Counts requests since the faults last changed, to spread failures evenly.
  #decided = 0;

  constructor(initial: Partial<ReceiverFaults> = {}) {
    this.#faults = { ...NO_FAULTS, ...receiverFaultsPatchSchema.parse(initial) };
  }

  get(): ReceiverFaults {
    return { ...this.#faults, endpoints: [...this.#faults.endpoints] };
  }

  set(patch: Partial<ReceiverFaults>): ReceiverFaults {
    this.#faults = { ...this.#faults, ...receiverFaultsPatchSchema.parse(patch) };
    this.#decided = 0;
    return this.get();
  }

  reset(): ReceiverFaults {
    this.#faults = { ...NO_FAULTS };
    this.#decided = 0;
    return this.get();
  }

  /** The fate of one request on `endpoint`: answered normally when the faults do not act on it. */
  decide(endpoint: FaultEndpoint): FaultDecision {
    const { endpoints, hang, failRatio, failStatus, retryAfterSeconds, delayMs, afterStore } = this.#faults;
    if (!endpoints.includes(endpoint)) return { kind: "accept", delayMs: 0, afterStore: "answer" };
    if (hang) return { kind: "hang" };
    const n = this.#decided++;
    // Error diffusion: request n fails when the running count of owed failures steps up.
    if (failRatio > 0 && Math.floor((n + 1) * failRatio) > Math.floor(n * failRatio)) {
      return { kind: "fail", status: failStatus, retryAfterSeconds, delayMs };
    }
    return { kind: "accept", delayMs, afterStore };
  }
}
