import { randomUUID } from "node:crypto";
import type { RouterGraph } from "../graph/build-graph.js";
import type { TurnRecord } from "../graph/state.js";
import type { TurnContext, TurnRoute } from "../graph/turn-context.js";
import type { TurnUsage } from "./turn-usage.js";
import type { TurnTiming } from "./turn-timing.js";
import { ModelUnavailableError } from "../llm/model-errors.js";
import type { ModelOptions } from "../llm/model-options.js";
import type { ScoreValue, Tracing } from "../tracing/index.js";
import { KeyedMutex } from "../sessions/keyed-mutex.js";
import { SessionBusyError } from "../sessions/session-busy-error.js";
import type { PrefetchedCheckpoint } from "../sessions/session-saver.js";
import { currentKeyId } from "../auth/request-principal.js";
import { keyOwnerPrefix, sessionOwner } from "./session-owner.js";
import { isReservedSessionId } from "./reserved-session-id.js";
import { reservedSessionProblem } from "./running-session.js";
import { tracedId } from "./traced-ids.js";
import { isValidSessionId } from "./session-id.js";
import { sessionThreadId, tenantName } from "./tenant.js";
import {
  ApiError,
  apiError,
  rememberTraceId,
  scoresUnavailable,
  sessionBusy,
  sessionNotFound,
  shuttingDown,
  traceNotFound,
} from "./chat-errors.js";
import type { ChatMetrics } from "./chat-metrics.js";
import { combineSignals } from "./combined-signal.js";
import { deadline } from "./deadline.js";
import { ModelFailures } from "./model-failures.js";
import { DEFAULT_PAGE_TURNS, type TranscriptPageQuery } from "./transcript-page.js";

export interface ChatServiceOptions {
  graph: RouterGraph;
  tracing: Tracing;
  metrics: ChatMetrics;
  /** Upper bound of one turn; past it the model calls are aborted and the turn fails with 503. */
  turnTimeoutMs: number;
  /** Serializes turns of one session (keyed by its thread id) across instances (the store's lock); in-process only when absent. */
  sessionLock?: <T>(sessionId: string, fn: () => Promise<T>) => Promise<T>;
  /** Link to a trace's page in a trace viewer (the local receiver's), or absent when there is none to give. */
  traceUrl?: (traceId: string) => string;
  /** Logs model failures once per kind and words the client's error; a silent one when absent. */
  modelFailures?: ModelFailures;
}

export type { TurnRoute };

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
  /** Told who answers once the router has decided, before the answer is written. */
  onRoute?: (route: TurnRoute) => void;
  /** Receives the token usage of the turn's model calls (for endpoints that report usage). */
  usage?: TurnUsage;
  /** Receives the turn's timing (tracing's share of the request path), for the Server-Timing header. */
  timing?: TurnTiming;
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

/** One page of a session's transcript, as GET /api/v1/sessions/:id answers it. */
export interface SessionView {
  session_id: string;
  current_intent: string | null;
  current_agent: string | null;
  /** Turns the session has had in all. */
  turn_count: number;
  /** The page, oldest first; `n` numbers the turn in the session, from 1. */
  turns: (TurnRecord & { n: number })[];
  /** Pass as `before` for the page of older turns; null when this page starts at the first turn. */
  next_before: number | null;
}

/** Thrown when the client went away mid-turn: there is nobody left to answer. */
export class ClientGoneError extends Error {
  override name = "ClientGoneError";
}

/** Who is asking, fixed when the turn arrives: the API key's id (null when keys are off) and the owner it makes. */
interface TurnScope {
  keyId: string | null;
  owner: string;
  /** Aborted when shutdown cancels the turn. */
  cancel: AbortSignal;
}

type SessionValues = Partial<{
  owner: string | null;
  current_intent: string | null;
  current_agent: string | null;
}>;

/** What a read of one session thread found (values undefined: nothing stored). */
interface SessionRead {
  values: SessionValues | undefined;
}

/** Runs chat turns through the router graph: one session at a time, bounded in time, traced. */
export class ChatService {
  readonly #locks = new KeyedMutex();
  readonly #inFlight = new Set<Promise<unknown>>();
  /**
   * One controller per turn running or queued, aborted when shutdown gives up waiting. Per turn,
   * not one shared signal: a turn's signals are combined (combined-signal.ts) with a listener on
   * every source, so a process-long source would gather one per turn.
   */
  readonly #cancels = new Set<AbortController>();
  #shuttingDown = false;
  readonly #modelFailures: ModelFailures;

  readonly #options: ChatServiceOptions;

  constructor(options: ChatServiceOptions) {
    this.#options = options;
    this.#modelFailures =
      options.modelFailures ?? new ModelFailures({ provider: "unknown", baseUrl: null, model: "unknown" }, undefined);
  }

  /** Turns running or queued right now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Resolves when every turn that has started has finished (or failed). */
  async drain(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * Ends every turn still running or waiting, as shutdown must: each fails with 503
   * `shutting_down`, so its client gets an answer (a stream gets an `error` event) before its
   * connection is cut. Turns arriving afterwards fail the same way.
   */
  cancelRunning(): void {
    this.#shuttingDown = true;
    // A plain reason: each turn gets an error of its own (its body names its own trace).
    for (const cancel of this.#cancels) cancel.abort(new Error("the service is shutting down"));
  }

  runTurn(request: TurnRequest): Promise<TurnReply> {
    const sessionId = request.sessionId ?? randomUUID();
    if (isReservedSessionId(sessionId)) {
      return Promise.reject(
        apiError("invalid_request", "session_id must not be the name of a JavaScript object property", "session_id"),
      );
    }
    // Another user's running session, as the owner check answers for any session not theirs (the
    // routes refuse a client-chosen id of that shape first, with a 400 naming their field).
    if (reservedSessionProblem(sessionId, request.userId)) return Promise.reject(sessionNotFound());
    // Taken now, in the caller's request context (the API key it carried).
    const keyId = currentKeyId();
    const cancel = new AbortController();
    if (this.#shuttingDown) cancel.abort(new Error("the service is shutting down"));
    this.#cancels.add(cancel);
    const scope: TurnScope = { keyId, owner: sessionOwner(request.userId, keyId), cancel: cancel.signal };
    const started = performance.now();
    const work = this.#queue(request, sessionId, scope).then(
      (reply) => {
        this.#options.metrics.turnFinished(
          "ok",
          reply.clarification ? "clarify" : (reply.agent ?? "none"),
          performance.now() - started,
        );
        return reply;
      },
      (err: unknown) => {
        // Every turn is counted once, however it ended: refused, abandoned in the queue, failed.
        const outcome = err instanceof ApiError ? err.code : err instanceof ClientGoneError ? "client_gone" : "error";
        this.#options.metrics.turnFinished(outcome, "none", performance.now() - started);
        throw err;
      },
    );
    this.#inFlight.add(work);
    const done = () => {
      this.#inFlight.delete(work);
      this.#cancels.delete(cancel);
    };
    work.then(done, done);
    return work;
  }

  /**
   * Waits for the session's earlier turns, then runs this one. The wait ends early when the
   * client leaves or TURN_TIMEOUT_MS passes: a turn nobody waits for, or that could not start in
   * time, does not run late.
   */
  async #queue(request: TurnRequest, sessionId: string, scope: TurnScope): Promise<TurnReply> {
    const lockKey = sessionThreadId(scope.keyId, sessionId);
    const waitLimit = deadline(this.#options.turnTimeoutMs);
    const waitCombined = combineSignals(
      request.clientSignal ? [request.clientSignal, waitLimit.signal, scope.cancel] : [waitLimit.signal, scope.cancel],
    );
    const waitSignal = waitCombined.signal;
    const crossInstance = this.#options.sessionLock;
    try {
      // In-process queue first, so at most one connection per session per instance waits on the
      // database lock; the database lock then orders this instance against the others.
      return await this.#locks.run(
        lockKey,
        () =>
          crossInstance
            ? crossInstance(lockKey, () => this.#runLocked(request, sessionId, scope))
            : this.#runLocked(request, sessionId, scope),
        waitSignal,
      );
    } catch (err) {
      if (waitSignal.aborted && err === waitSignal.reason) {
        if (request.clientSignal?.aborted)
          throw new ClientGoneError("client disconnected while waiting for its session");
        if (scope.cancel.aborted) throw shuttingDown();
        throw sessionBusy();
      }
      if (err instanceof SessionBusyError) throw sessionBusy();
      throw err;
    } finally {
      waitLimit.clear();
      waitCombined.dispose();
    }
  }

  async #runLocked(request: TurnRequest, sessionId: string, scope: TurnScope): Promise<TurnReply> {
    const { graph, tracing } = this.#options;
    const { threadId, values, prefetched } = await this.#sessionState(scope.keyId, sessionId, (id) =>
      this.#prefetch(id),
    );
    const owner = values?.owner ?? null;
    if (owner !== null && owner !== scope.owner) throw sessionNotFound();
    if (request.clientSignal?.aborted) throw new ClientGoneError("client disconnected before the turn started");

    const trace = tracing.startTurn({
      userId: tracedId(scope.keyId, request.userId),
      sessionId: tracedId(scope.keyId, sessionId),
      message: request.message,
      endpoint: request.endpoint,
      tenant: tenantName(scope.keyId),
      clientSignal: request.clientSignal,
    });
    const limit = deadline(this.#options.turnTimeoutMs);
    const timeout = limit.signal;
    const combined = combineSignals(
      request.clientSignal ? [request.clientSignal, timeout, scope.cancel] : [timeout, scope.cancel],
    );
    const signal = combined.signal;
    // The run's writes are held until the turn has finished, then committed with its transcript
    // record in one transaction; a turn that fails or is abandoned writes nothing.
    const pending = graph.sessions.beginTurn(threadId);
    const turn: TurnContext = {
      userId: request.userId,
      sessionId,
      message: request.message,
      signal,
      onToken: request.onToken,
      onRoute: request.onRoute,
      trace,
      usage: request.usage,
      modelOptions: request.modelOptions,
    };
    try {
      const state = await graph.invoke(
        { input: request.message, owner: scope.owner },
        {
          configurable: { thread_id: threadId, turn, ...prefetched.configurable(), ...pending.configurable() },
          signal,
          durability: "exit",
        },
      );
      const last = state.turn;
      if (!last) throw new Error("graph finished without recording the turn");
      // Ended first: a sampled turn's trace id is known (or null) only once it ends, and the
      // transcript keeps it for feedback on the turn.
      trace.end({ output: last.reply, intent: last.intent, agent: last.agent, clarification: last.clarification });
      await graph.sessions.commit(pending, { ...last, trace_id: trace.traceId });
      if (request.timing) request.timing.tracingMs = trace.requestPathMs;
      return {
        reply: last.reply,
        session_id: sessionId,
        intent: last.intent,
        agent: last.agent,
        clarification: last.clarification,
        trace_id: trace.traceId,
        trace_url: trace.traceId && this.#options.traceUrl ? this.#options.traceUrl(trace.traceId) : null,
      };
    } catch (err) {
      graph.sessions.abandon(pending);
      const mapped = this.#classify(err, request.clientSignal, timeout, scope.cancel);
      trace.end({ error: err, disconnected: mapped instanceof ClientGoneError });
      if (request.timing) request.timing.tracingMs = trace.requestPathMs;
      // The client's error body names the trace that holds the cause.
      rememberTraceId(mapped, trace.traceId);
      throw mapped;
    } finally {
      limit.clear();
      combined.dispose();
    }
  }

  /**
   * The tenant's session: its checkpoint thread and stored values (empty for a new session).
   * With keys on, a session written before sessions were namespaced by tenant sits under the
   * bare session id with this key in its owner; it is found and continued there, so upgrading
   * loses no session. Another key's session under that id is never found this way.
   */
  async #sessionState<R extends SessionRead>(
    keyId: string | null,
    sessionId: string,
    read: (threadId: string) => Promise<R>,
  ): Promise<R & { threadId: string }> {
    const threadId = sessionThreadId(keyId, sessionId);
    const current = await read(threadId);
    if (current.values?.owner || keyId === null) return { ...current, threadId };
    const legacy = await read(sessionId);
    if (legacy.values?.owner?.startsWith(keyOwnerPrefix(keyId))) return { ...legacy, threadId: sessionId };
    return { ...current, threadId };
  }

  /** The session's stored values (reads for the sessions API). */
  async #snapshot(threadId: string): Promise<SessionRead> {
    const tuple = await this.#options.graph.sessions.store.getTuple({ configurable: { thread_id: threadId } });
    return { values: tuple?.checkpoint.channel_values as SessionValues | undefined };
  }

  /**
   * The session's stored checkpoint, read for a turn about to run on it: its values decide
   * ownership, and the run starts from the same read instead of loading the checkpoint again.
   */
  async #prefetch(threadId: string): Promise<SessionRead & { prefetched: PrefetchedCheckpoint }> {
    const prefetched = await this.#options.graph.sessions.prefetch(threadId);
    return { values: prefetched.values as SessionValues | undefined, prefetched };
  }

  #classify(err: unknown, clientSignal: AbortSignal | undefined, timeout: AbortSignal, cancel: AbortSignal): unknown {
    if (err instanceof ApiError) return err;
    if (clientSignal?.aborted) return new ClientGoneError("client disconnected");
    if (cancel.aborted) return shuttingDown();
    if (timeout.aborted) return apiError("model_timeout");
    if (err instanceof ModelUnavailableError) return this.#modelFailures.toClientError(err);
    return err;
  }

  /**
   * Records `score` (user feedback) on a turn's trace, after checking the turn is `userId`'s
   * under the caller's API key: another tenant's or user's trace is not found, exactly like one
   * that does not exist. Returns the score's id (stable: the same user scoring again replaces it).
   */
  async scoreTrace(
    traceId: string,
    userId: string,
    score: { name: string; value: ScoreValue; comment?: string },
    field = "trace_id",
  ): Promise<string> {
    const record = this.#options.tracing.score;
    if (!record) throw scoresUnavailable();
    const keyId = currentKeyId();
    const turn = await this.#options.graph.sessions.turnOfTrace(traceId);
    if (!turn) throw traceNotFound(field);
    const { values } = await this.#snapshot(turn.threadId);
    const owner = sessionOwner(userId, keyId);
    if (!values || values.owner !== owner) throw traceNotFound(field);
    return record.call(this.#options.tracing, { traceId, ...score, author: owner });
  }

  /** One page of the session's transcript (the latest turns unless `page.before` says otherwise). */
  async getSession(
    sessionId: string,
    userId: string,
    page: TranscriptPageQuery = { limit: DEFAULT_PAGE_TURNS },
  ): Promise<SessionView> {
    // An id no turn could have created (empty, odd characters, reserved) is simply not found.
    if (!isValidSessionId(sessionId) || isReservedSessionId(sessionId)) throw sessionNotFound();
    const keyId = currentKeyId();
    const { values, threadId } = await this.#sessionState(keyId, sessionId, (id) => this.#snapshot(id));
    if (!values || values.owner !== sessionOwner(userId, keyId)) throw sessionNotFound();
    const transcript = await this.#options.graph.sessions.transcript(threadId, page);
    if (transcript.turnCount === 0) throw sessionNotFound();
    const first = transcript.turns[0]?.n;
    return {
      session_id: sessionId,
      current_intent: values.current_intent ?? null,
      current_agent: values.current_agent ?? null,
      turn_count: transcript.turnCount,
      turns: transcript.turns.map(({ n, record }) => ({ n, ...(record as unknown as TurnRecord) })),
      next_before: first !== undefined && first > 1 ? first : null,
    };
  }
}
