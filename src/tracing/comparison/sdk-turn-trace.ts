import { propagateAttributes, startObservation, type LangfuseSpan } from "@langfuse/tracing";
import type { Callbacks } from "@langchain/core/callbacks/manager";
import { context, trace, type Context } from "@opentelemetry/api";
import type { FaultReporter } from "../fault-reporter.js";
import { NAMES, traceContext, type TraceContext } from "../trace-contract.js";
import type { TracingMetrics } from "../tracing-metrics.js";
import {
  NOOP_GENERATION,
  NOOP_TURN,
  type GenerationTrace,
  type NodeTrace,
  type TurnResult,
  type TurnStart,
  type TurnTrace,
} from "../turn-trace.js";
import { naiveNodeAttributes } from "./naive-attributes.js";
import { PinnedCallbackHandler } from "./pinned-callback-handler.js";
import type { SdkVariant } from "./sdk-tracing-options.js";

/** What a turn needs from its pipeline; shared by all turns of one Tracing. */
export interface SdkTurnDeps {
  variant: SdkVariant;
  enableSpans: boolean;
  /** The application's version, propagated as `langfuse.version`. */
  version?: string;
  metrics: TracingMetrics;
  faults: FaultReporter;
}

function errorMessage(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return "unknown error";
  }
}

/**
 * Opens the turn's root observation with the trace context (the trace contract's), the way the v5
 * docs show for Langfuse v4: propagateAttributes() around the observation's creation, and the
 * turn's input and output on the root observation itself (no trace-level input/output). The
 * returned context (root span active, attributes propagated) is the parent context for everything
 * else in the turn, so node spans and generations carry user, session, tags, trace name, metadata
 * and version as well. Environment and release are not propagated: the SDK's span processor
 * writes them on every span (create-sdk-tracing.ts), which is where its docs set them.
 */
export function startSdkTurn(deps: SdkTurnDeps, turn: TurnStart): TurnTrace {
  const t0 = performance.now();
  try {
    const traceContextOfTurn = traceContext(turn, { version: deps.version });
    const opened = propagateAttributes(
      {
        userId: traceContextOfTurn.userId,
        sessionId: traceContextOfTurn.sessionId,
        tags: traceContextOfTurn.tags,
        traceName: traceContextOfTurn.traceName,
        metadata: traceContextOfTurn.metadata,
        version: traceContextOfTurn.version,
      },
      () => {
        const root = startObservation(traceContextOfTurn.traceName, { input: turn.message });
        return { root, ctx: trace.setSpan(context.active(), root.otelSpan) };
      },
    );
    deps.metrics.created("span");
    const sdkTurn = new SdkTurnTrace(deps, turn, traceContextOfTurn, opened.root, opened.ctx);
    sdkTurn.requestPathMs += performance.now() - t0;
    return sdkTurn;
  } catch (err) {
    deps.faults.report("sdk_start_turn", err);
    return NOOP_TURN;
  }
}

class SdkTurnTrace implements TurnTrace {
  readonly traceId: string;
  /** Time in these wrappers only: the SDK's CallbackHandler runs inside LangChain, unmeasured here. */
  requestPathMs = 0;
  #ended = false;
  #routing: { intent: string | null; agent: string | null } | null = null;

  readonly #deps: SdkTurnDeps;
  readonly #turn: TurnStart;
  readonly #traceContext: TraceContext;
  readonly #root: LangfuseSpan;
  readonly #rootContext: Context;

  constructor(
    deps: SdkTurnDeps,
    turn: TurnStart,
    traceContext: TraceContext,
    root: LangfuseSpan,
    rootContext: Context,
  ) {
    this.#deps = deps;
    this.#turn = turn;
    this.#traceContext = traceContext;
    this.#root = root;
    this.#rootContext = rootContext;
    this.traceId = root.traceId;
  }

  startNode(name: string, input: Record<string, unknown>, metadata?: Record<string, unknown>): NodeTrace {
    const t0 = performance.now();
    try {
      // Spans off: no node observation; the model call's generation parents on the root.
      if (!this.#deps.enableSpans)
        return new SdkNodeTrace(this.#deps, this.#turn, this.#traceContext, null, this.#rootContext);
      const attributes =
        this.#deps.variant === "naive" ? naiveNodeAttributes(name, input, metadata, this.#turn) : { input, metadata };
      // Created inside the root context: parent = root, and the propagated trace attributes apply.
      const span = context.with(this.#rootContext, () => startObservation(name, attributes));
      this.#deps.metrics.created("span");
      return new SdkNodeTrace(
        this.#deps,
        this.#turn,
        this.#traceContext,
        span,
        trace.setSpan(this.#rootContext, span.otelSpan),
      );
    } catch (err) {
      this.#deps.faults.report("sdk_start_node", err);
      return new SdkNodeTrace(this.#deps, this.#turn, this.#traceContext, null, this.#rootContext);
    } finally {
      this.requestPathMs += performance.now() - t0;
    }
  }

  setRouting(intent: string | null, agent: string | null): void {
    this.#routing = { intent, agent };
  }

  end(result: TurnResult): void {
    const t0 = performance.now();
    try {
      if (this.#ended) return;
      this.#ended = true;
      const disconnected = result.disconnected || this.#turn.clientSignal?.aborted === true;
      if (result.error !== undefined && !disconnected) {
        this.#root.update({ output: result.output, level: "ERROR", statusMessage: errorMessage(result.error) });
      } else if (disconnected) {
        this.#root.update({ output: result.output, level: "WARNING", statusMessage: "client disconnected" });
      } else {
        this.#root.update({ output: result.output });
      }
      // Routing outcome as trace metadata; propagateAttributes' metadata is context-bound and the
      // outcome is only known now, so it goes on the root span under the same attribute key.
      const intent = this.#routing ? this.#routing.intent : result.intent;
      const agent = this.#routing ? this.#routing.agent : result.agent;
      if (typeof intent === "string") this.#root.otelSpan.setAttribute(NAMES.intent, intent);
      if (typeof agent === "string") this.#root.otelSpan.setAttribute(NAMES.agent, agent);
    } catch (err) {
      this.#deps.faults.report("sdk_end_turn", err);
    } finally {
      try {
        this.#root.end();
      } catch (err) {
        this.#deps.faults.report("sdk_end_turn", err);
      }
      this.requestPathMs += performance.now() - t0;
      this.#deps.metrics.requestPath.observe(this.requestPathMs / 1000);
    }
  }
}

class SdkNodeTrace implements NodeTrace {
  #callbacks: Callbacks | undefined;
  #ended = false;

  readonly #deps: SdkTurnDeps;
  readonly #turn: TurnStart;
  readonly #traceContext: TraceContext;
  /** Null when node spans are off (or failed to open): generations go under the root. */
  readonly #span: LangfuseSpan | null;
  /** The context model calls run in: node span (or root) active, trace attributes propagated. */
  readonly #ctx: Context;

  constructor(deps: SdkTurnDeps, turn: TurnStart, traceContext: TraceContext, span: LangfuseSpan | null, ctx: Context) {
    this.#deps = deps;
    this.#turn = turn;
    this.#traceContext = traceContext;
    this.#span = span;
    this.#ctx = ctx;
  }

  /** One official CallbackHandler per node (the SDK wants one per request; never shared), made on first use. */
  get callbacks(): Callbacks | undefined {
    if (this.#callbacks !== undefined) return this.#callbacks;
    try {
      const handler = new PinnedCallbackHandler({
        handlerParams: { userId: this.#traceContext.userId, sessionId: this.#traceContext.sessionId },
        parentContext: this.#ctx,
        onGeneration: () => this.#deps.metrics.created("generation"),
        onFault: (where, err) => this.#deps.faults.report(where, err),
      });
      this.#callbacks = [handler];
    } catch (err) {
      this.#deps.faults.report("sdk_callbacks", err);
    }
    return this.#callbacks;
  }

  /** The official handler records generations from LangChain's callbacks; nothing to do here. */
  startGeneration(): GenerationTrace {
    return NOOP_GENERATION;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    // Activate the node span for fn: the handler (and anything else on OTel context) parents on it.
    // Only a failure of the activation itself is isolated; fn's own errors are the caller's.
    let invoked = false;
    try {
      return context.with(this.#ctx, () => {
        invoked = true;
        return fn();
      });
    } catch (err) {
      if (invoked) throw err;
      this.#deps.faults.report("sdk_node_run", err);
      return fn();
    }
  }

  end(error?: unknown): void {
    if (this.#span === null || this.#ended) return;
    this.#ended = true;
    try {
      if (error !== undefined && this.#turn.clientSignal?.aborted)
        this.#span.update({ level: "WARNING", statusMessage: "client disconnected" });
      else if (error !== undefined) this.#span.update({ level: "ERROR", statusMessage: errorMessage(error) });
    } catch (err) {
      this.#deps.faults.report("sdk_end_node", err);
    } finally {
      try {
        this.#span.end();
      } catch (err) {
        this.#deps.faults.report("sdk_end_node", err);
      }
    }
  }
}
