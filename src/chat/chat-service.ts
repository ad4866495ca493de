import { randomUUID } from "node:crypto";
import type { RouterGraph } from "../graph/build-graph.js";
import type { TurnRecord } from "../graph/state.js";
import type { TurnContext } from "../graph/turn-context.js";
import type { TurnUsage } from "../graph/turn-usage.js";
import { ModelUnavailableError } from "../llm/model-errors.js";
import type { ModelOptions } from "../llm/model-options.js";
import type { Tracing } from "../tracing/turn-trace.js";
import { KeyedMutex } from "../sessions/keyed-mutex.js";
import { currentKeyId } from "../auth/request-principal.js";
import { sessionOwner } from "./session-owner.js";
import { isReservedSessionId } from "./reserved-session-id.js";
import { ApiError, sessionNotFound } from "./chat-errors.js";
import type { ChatMetrics } from "./chat-metrics.js";

export interface ChatServiceOptions {
  graph: RouterGraph;
  tracing: Tracing;
  metrics: ChatMetrics;
  /** Upper bound of one turn; past it the model calls are aborted and the turn fails with 503. */
  turnTimeoutMs: number;
  /** Serializes turns of one session across instances (the store's lock); in-process only when absent. */
  sessionLock?: <T>(sessionId: string, fn: () => Promise<T>) => Promise<T>;
  /** Link to a trace's page in a trace viewer (the local receiver's), or absent when there is none to give. */
  traceUrl?: (traceId: string) => string;
}

export interface TurnRequest {
  userId: string;
  /** Absent: a new session with a fresh UUID. */
  sessionId?: string;
  message: string;
  /** Which endpoint serves the turn; recorded on the trace. */
  endpoint: "chat" | "stream" | "openai" | "responses";
  /** Aborted when the client goes away. */
  clientSignal?: AbortSignal;
  /** Receives reply tokens for streamed turns. */
  onToken?: (text: string) => void;
  /** Receives the token usage of the turn's model calls (for endpoints that report usage). */
  usage?: TurnUsage;
  /** The client's parameters for the answering model call (OpenAI endpoints); absent: the model's defaults. */
  modelOptions?: ModelOptions;
}

export interface TurnReply {
  reply: string;
  session_id: string;
  intent: string | null;
  agent: string | null;
  clarification: boolean;
  trace_id: string | null;
  /** Where the trace can be looked at (the local trace viewer); null when untraced or no viewer is known. */
  trace_url: string | null;
}

export interface SessionView {
  session_id: string;
  current_intent: string | null;
  current_agent: string | null;
  turns: TurnRecord[];
}

/** Thrown when the client went away mid-turn: there is nobody left to answer. */
export class ClientGoneError extends Error {
  override name = "ClientGoneError";
}

/** Runs chat turns through the router graph: one session at a time, bounded in time, traced. */
export class ChatService {
  readonly #locks = new KeyedMutex();
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(private readonly options: ChatServiceOptions) {}

  /** Turns running or queued right now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Resolves when every turn that has started has finished (or failed). */
  async drain(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  runTurn(request: TurnRequest): Promise<TurnReply> {
    const sessionId = request.sessionId ?? randomUUID();
    if (isReservedSessionId(sessionId)) {
      return Promise.reject(new ApiError(400, "invalid_request", "session_id must not be the name of a JavaScript object property", "session_id"));
    }
    // The owner is taken now, in the caller's request context (the API key it carried).
    const owner = sessionOwner(request.userId, currentKeyId());
    const crossInstance = this.options.sessionLock;
    // In-process queue first, so at most one connection per session per instance waits on the
    // database lock; the database lock then orders this instance against the others.
    const work = this.#locks.run(sessionId, () =>
      crossInstance ? crossInstance(sessionId, () => this.#runLocked(request, sessionId, owner)) : this.#runLocked(request, sessionId, owner),
    );
    this.#inFlight.add(work);
    const done = () => this.#inFlight.delete(work);
    work.then(done, done);
    return work;
  }

  async #runLocked(request: TurnRequest, sessionId: string, requestOwner: string): Promise<TurnReply> {
    const { graph, tracing, metrics } = this.options;
    const config = { configurable: { thread_id: sessionId } };
    const existing = await graph.getState(config);
    const owner = (existing.values as { owner?: string | null } | undefined)?.owner ?? null;
    if (owner !== null && owner !== requestOwner) throw sessionNotFound();
    if (request.clientSignal?.aborted) throw new ClientGoneError("client disconnected before the turn started");

    const trace = tracing.startTurn({ userId: request.userId, sessionId, message: request.message, endpoint: request.endpoint });
    const timeout = AbortSignal.timeout(this.options.turnTimeoutMs);
    const signal = request.clientSignal ? AbortSignal.any([request.clientSignal, timeout]) : timeout;
    const turn: TurnContext = { userId: request.userId, sessionId, message: request.message, signal, onToken: request.onToken, trace, usage: request.usage, modelOptions: request.modelOptions };
    const started = performance.now();
    try {
      const state = await graph.invoke(
        { input: request.message, owner: requestOwner },
        { configurable: { thread_id: sessionId, turn }, signal, durability: "exit" },
      );
      const last = state.turns[state.turns.length - 1];
      if (!last) throw new Error("graph finished without recording the turn");
      trace.end({ output: last.reply, intent: last.intent, agent: last.agent });
      metrics.turnFinished("ok", last.clarification ? "clarify" : (last.agent ?? "none"), performance.now() - started);
      return {
        reply: last.reply,
        session_id: sessionId,
        intent: last.intent,
        agent: last.agent,
        clarification: last.clarification,
        trace_id: trace.traceId,
        trace_url: trace.traceId && this.options.traceUrl ? this.options.traceUrl(trace.traceId) : null,
      };
    } catch (err) {
      const mapped = this.#classify(err, request.clientSignal, timeout);
      trace.end({ error: err, disconnected: mapped instanceof ClientGoneError });
      metrics.turnFinished(mapped instanceof ApiError ? mapped.code : mapped instanceof ClientGoneError ? "client_gone" : "error", "none", performance.now() - started);
      throw mapped;
    }
  }

  #classify(err: unknown, clientSignal: AbortSignal | undefined, timeout: AbortSignal): unknown {
    if (err instanceof ApiError) return err;
    if (clientSignal?.aborted) return new ClientGoneError("client disconnected");
    if (timeout.aborted) return new ApiError(503, "model_timeout", "the model did not answer in time; please retry");
    if (err instanceof ModelUnavailableError) return new ApiError(503, "model_unavailable", "the model endpoint is unavailable; please retry");
    return err;
  }

  async getSession(sessionId: string, userId: string): Promise<SessionView> {
    // An id no turn could have created (empty, odd characters, reserved) is simply not found.
    if (!/^[A-Za-z0-9._:@-]{1,128}$/.test(sessionId) || isReservedSessionId(sessionId)) throw sessionNotFound();
    const snapshot = await this.options.graph.getState({ configurable: { thread_id: sessionId } });
    const values = snapshot.values as Partial<{ owner: string | null; turns: TurnRecord[]; current_intent: string | null; current_agent: string | null }>;
    if (!values || values.owner !== sessionOwner(userId, currentKeyId()) || !values.turns?.length) throw sessionNotFound();
    return {
      session_id: sessionId,
      current_intent: values.current_intent ?? null,
      current_agent: values.current_agent ?? null,
      turns: values.turns,
    };
  }
}
