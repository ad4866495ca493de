// Steady chat load against a spawned service that remembers every turn: when it was sent, when
// its answer arrived and the trace id the answer carried. The delivery tests compare these with
// the rows the receiver ends up holding, turn by turn, instead of comparing totals.
import { sleep } from "./tracing-helpers.js";

/** One turn the service answered. */
export interface AnsweredTurn {
  /** The answer's `trace_id` (null when tracing is off). */
  traceId: string | null;
  traceUrl: string | null;
  status: number;
  /** Date.now() just before the request was sent: every span of the turn ended after this. */
  sentAt: number;
  /**
   * Date.now() once the whole answer was read. The turn's root span ends before the service
   * writes its answer, so every span of the turn ended before this.
   */
  answeredAt: number;
}

/** A request that got no answer (e.g. in flight when the service was killed). */
export interface UnansweredTurn {
  sentAt: number;
  error: string;
}

export interface ChatLoadOptions {
  /** Clients sending one turn after another. */
  clients: number;
  /** Pause of each client between the answer and its next request, ms. */
  pauseMs: number;
  /** The message of turn `n` (counted over all clients). */
  message?: (n: number) => string;
  userId?: string;
  /** Deadline of one request, ms. */
  requestTimeoutMs?: number;
  /** Stop after this many turns in all (a bound for tests); default unbounded until stop(). */
  maxTurns?: number;
}

export interface ChatLoad {
  /** Turns answered so far (any status), in the order their answers were read. */
  readonly answered: readonly AnsweredTurn[];
  readonly unanswered: readonly UnansweredTurn[];
  /** Resolves when every client has ended (after stop(), or after maxTurns). */
  readonly finished: Promise<void>;
  /** Stops sending; resolves when every client's last request has ended. */
  stop(): Promise<void>;
}

/** Starts `clients` loops posting to `${baseUrl}/api/v1/chat`, each a new session. */
export function startChatLoad(baseUrl: string, options: ChatLoadOptions): ChatLoad {
  const answered: AnsweredTurn[] = [];
  const unanswered: UnansweredTurn[] = [];
  const message = options.message ?? ((n: number) => `Where is my order ${1000 + n}?`);
  let running = true;
  let next = 0;
  const client = async () => {
    while (running && (options.maxTurns === undefined || next < options.maxTurns)) {
      const n = next++;
      const sentAt = Date.now();
      try {
        const res = await fetch(`${baseUrl}/api/v1/chat`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: message(n), user_id: options.userId ?? "load-user" }),
          signal: AbortSignal.timeout(options.requestTimeoutMs ?? 15_000),
        });
        const body = (await res.json().catch(() => ({}))) as { trace_id?: string | null; trace_url?: string | null };
        answered.push({
          traceId: body.trace_id ?? null,
          traceUrl: body.trace_url ?? null,
          status: res.status,
          sentAt,
          answeredAt: Date.now(),
        });
      } catch (err) {
        unanswered.push({ sentAt, error: String(err) });
        // A dead service answers nothing: do not spin.
        await sleep(50);
      }
      if (options.pauseMs > 0) await sleep(options.pauseMs);
    }
  };
  const finished = Promise.all(Array.from({ length: options.clients }, () => client())).then(() => undefined);
  return {
    answered,
    unanswered,
    finished,
    stop() {
      running = false;
      return finished;
    },
  };
}

/** Sends `n` turns one after another and returns what came back. */
export async function chatTurns(
  baseUrl: string,
  n: number,
  options: Omit<ChatLoadOptions, "clients" | "pauseMs" | "maxTurns"> = {},
): Promise<AnsweredTurn[]> {
  const load = startChatLoad(baseUrl, { ...options, clients: 1, pauseMs: 0, maxTurns: n });
  await load.finished;
  return [...load.answered];
}
