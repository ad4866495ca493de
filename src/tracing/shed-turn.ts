// A turn not traced because the event loop was busy (busy-shedding.ts). It keeps nothing but
// whether something went wrong, so it costs about what no tracing costs. When it ends with a
// reason to keep it (sampling.ts: an error, a lost client, a clarifying question, a slow turn),
// its root observation alone is traced: the turns teams open Langfuse for are still there, with
// their input, reply or error, and routing.
import { flagAfter, keepRule, type KeepRule } from "./sampling.js";
import { outcomeOf, type ModelReplyLike } from "./trace-contract.js";
import type { GenerationTrace, NodeTrace, TurnResult, TurnStart, TurnTrace } from "./turn-trace.js";

export interface ShedTurnOptions {
  /** A turn longer than this (ms) is kept. */
  keepSlowerThanMs: number;
  /** An ordinary turn ended untraced. */
  onShed(): void;
  /** A turn kept by `rule`. */
  onKept(rule: KeepRule): void;
  /** Starts the trace of a kept turn, root observation only, as if it had started at `startedAt` (performance.now()). */
  traceRootOnly(turn: TurnStart, startedAt: number, rule: KeepRule): TurnTrace;
  /** Where a failure of this bookkeeping goes (never thrown at the request). */
  report(kind: string, err: unknown): void;
}

export class ShedTurn implements TurnTrace {
  #flagged: "error" | "warning" | undefined;
  #routing: { intent: string | null; agent: string | null } | undefined;
  #node: ShedNode | undefined;
  #kept: TurnTrace | undefined;
  #ended = false;

  readonly #options: ShedTurnOptions;
  readonly #turn: TurnStart;
  readonly #startedAt: number;

  constructor(options: ShedTurnOptions, turn: TurnStart, startedAt: number) {
    this.#options = options;
    this.#turn = turn;
    this.#startedAt = startedAt;
  }

  /** Null unless the turn was kept when it ended: read it after `end`. */
  get traceId(): string | null {
    return this.#kept?.traceId ?? null;
  }

  get requestPathMs(): number {
    return this.#kept?.requestPathMs ?? 0;
  }

  // One node object serves every node of the turn: it holds nothing of its own.
  startNode(): NodeTrace {
    return (this.#node ??= new ShedNode(this));
  }

  setRouting(intent: string | null, agent: string | null): void {
    this.#routing = { intent, agent };
  }

  /** An observation of the turn failed: ERROR, or WARNING when its client had gone. */
  flag(error: unknown): void {
    this.#flagged = flagAfter(this.#flagged, outcomeOf(error, this.#turn.clientSignal?.aborted === true).level);
  }

  end(result: TurnResult): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      if (result.disconnected) this.#flagged ??= "warning";
      else if (result.error !== undefined) this.flag(result.error);
      const rule = keepRule({
        flagged: this.#flagged,
        clarification: result.clarification === true,
        durationMs: performance.now() - this.#startedAt,
        keepSlowerThanMs: this.#options.keepSlowerThanMs,
      });
      if (!rule) {
        this.#options.onShed();
        return;
      }
      this.#options.onKept(rule);
      const kept = this.#options.traceRootOnly(this.#turn, this.#startedAt, rule);
      if (this.#routing) kept.setRouting(this.#routing.intent, this.#routing.agent);
      this.#kept = kept;
      kept.end(result);
    } catch (err) {
      this.#options.report("end_turn", err);
    }
  }
}

class ShedNode implements NodeTrace {
  readonly callbacks = undefined;
  readonly #generation: ShedGeneration;

  constructor(readonly turn: ShedTurn) {
    this.#generation = new ShedGeneration(turn);
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  startGeneration(): GenerationTrace {
    return this.#generation;
  }

  end(error?: unknown): void {
    if (error !== undefined) this.turn.flag(error);
  }
}

class ShedGeneration implements GenerationTrace {
  constructor(readonly turn: ShedTurn) {}

  firstToken(): void {}

  end(_reply: ModelReplyLike): void {}

  fail(error: unknown): void {
    this.turn.flag(error ?? new Error("model call failed"));
  }
}
