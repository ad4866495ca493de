import type { TraceExporter } from "./export/trace-exporter.js";
import { newSpanId, newTraceId } from "./ids.js";
import type { Encoded } from "./encoding/span-format.js";
import { QuotedStrings } from "./quoted-strings.js";
import { nowMs } from "./otlp-time.js";
import type { SwitchboardPipeline } from "./switchboard-pipeline.js";
import {
  CLIENT_DISCONNECTED,
  generationAttributes,
  nodeAttributes,
  outcomeOf,
  rootAttributes,
  routingAttributes,
  traceContextAttributes,
  TRACE_NAME,
  type Attributes,
  type ModelReplyLike,
  type Outcome,
} from "./trace-contract.js";
import {
  NOOP_GENERATION,
  NOOP_TURN,
  type GenerationStart,
  type GenerationTrace,
  type NodeTrace,
  type Tracing,
  type TurnResult,
  type TurnStart,
  type TurnTrace,
} from "./turn-trace.js";

export interface SwitchboardTracingOptions {
  pipeline: SwitchboardPipeline;
  exporter: TraceExporter;
  /** false: no node spans; generations hang directly under the trace's root. */
  enableSpans: boolean;
  /** Share of turns traced, decided once per turn. */
  sampleRate: number;
  /** How long shutdown may spend flushing (ms). */
  shutdownTimeoutMs: number;
  /** Runs after the exporter is flushed at shutdown (e.g. closing an embedded receiver). */
  onShutdown?: () => Promise<void>;
}

/** Our pipeline's Tracing: explicit parents, one encode per observation, nothing else on the request path. */
export class SwitchboardTracing implements Tracing {
  constructor(private readonly options: SwitchboardTracingOptions) {}

  startTurn(turn: TurnStart): TurnTrace {
    const { pipeline, sampleRate } = this.options;
    if (sampleRate < 1 && !(Math.random() < sampleRate)) {
      pipeline.metrics.sampledOut.inc();
      return NOOP_TURN;
    }
    const t0 = performance.now();
    try {
      const trace = new SwitchboardTurn(pipeline, turn, this.options.enableSpans);
      trace.spend(t0);
      return trace;
    } catch (err) {
      pipeline.faults.report("start_turn", err);
      return NOOP_TURN;
    }
  }

  async shutdown(): Promise<void> {
    try {
      await this.options.exporter.shutdown(this.options.shutdownTimeoutMs);
      await this.options.onShutdown?.();
    } catch (err) {
      this.options.pipeline.faults.report("shutdown", err);
    }
  }
}

/** A turn: the root observation, and what every observation of the turn shares. */
class SwitchboardTurn implements TurnTrace {
  readonly traceId: string;
  readonly rootId: string;
  readonly #startMs: number;
  /** The trace context, encoded once for all the turn's spans. */
  readonly #context: Encoded;
  /** The routing metadata, encoded once when the router decides. */
  #routing: Encoded | undefined;
  #routed = false;
  #ended = false;
  /** Strings quoted for this turn's inputs and outputs (the user message goes into two calls). */
  readonly quotes = new QuotedStrings();
  #spentMs = 0;

  constructor(
    readonly pipeline: SwitchboardPipeline,
    private readonly turn: TurnStart,
    private readonly enableSpans: boolean,
  ) {
    this.traceId = newTraceId();
    this.rootId = newSpanId();
    this.#startMs = nowMs();
    this.#context = pipeline.format.encodeAttributes(
      traceContextAttributes({
        userId: turn.userId,
        sessionId: turn.sessionId,
        tags: [`endpoint:${turn.endpoint}`],
        metadata: { tenant: turn.tenant },
        environment: pipeline.environment,
        release: pipeline.release,
        version: pipeline.version,
      }),
    );
    pipeline.metrics.created("trace");
  }

  /** Main-thread time this turn's tracing calls took (the Server-Timing `tracing` entry). */
  get requestPathMs(): number {
    return this.#spentMs;
  }

  /** Adds the time since `t0` (performance.now()) to the turn's tracing time. */
  spend(t0: number): void {
    this.#spentMs += performance.now() - t0;
  }

  /** The encoded fragments a span ending now carries. */
  get shared(): readonly Encoded[] {
    return this.#routing === undefined ? [this.#context] : [this.#context, this.#routing];
  }

  get clientGone(): boolean {
    return this.turn.clientSignal?.aborted === true;
  }

  startNode(name: string, input: Record<string, unknown>, metadata?: Record<string, unknown>): NodeTrace {
    if (!this.enableSpans) return new ParentOnlyNode(this, this.rootId);
    const t0 = performance.now();
    try {
      return new SwitchboardNode(this, name, input, metadata);
    } catch (err) {
      this.pipeline.faults.report("start_node", err);
      return new ParentOnlyNode(this, this.rootId);
    } finally {
      this.spend(t0);
    }
  }

  setRouting(intent: string | null, agent: string | null): void {
    const t0 = performance.now();
    try {
      this.#routing = this.pipeline.format.encodeAttributes(routingAttributes(intent, agent));
      this.#routed = true;
    } catch (err) {
      this.pipeline.faults.report("routing", err);
    } finally {
      this.spend(t0);
    }
  }

  end(result: TurnResult): void {
    if (this.#ended) return;
    this.#ended = true;
    const t0 = performance.now();
    try {
      if (!this.#routed && (result.intent || result.agent)) this.setRouting(result.intent ?? null, result.agent ?? null);
      const outcome: Outcome = result.disconnected ? CLIENT_DISCONNECTED : outcomeOf(result.error, this.clientGone);
      this.emit(this.rootId, undefined, TRACE_NAME, this.#startMs, rootAttributes(this.pipeline.serializer, { input: this.turn.message, output: result.output }, outcome, this.pipeline.legacyTraceIo), outcome);
    } catch (err) {
      this.pipeline.faults.report("end_turn", err);
    } finally {
      this.spend(t0);
      this.pipeline.metrics.requestPath.observe(this.#spentMs / 1000);
    }
  }

  emit(spanId: string, parentSpanId: string | undefined, name: string, startMs: number, attributes: Attributes, outcome: Outcome): void {
    this.pipeline.emitSpan({
      traceId: this.traceId,
      spanId,
      parentSpanId,
      name,
      startMs,
      endMs: nowMs(),
      shared: this.shared,
      attributes,
      errorMessage: outcome.level === "ERROR" ? outcome.message : undefined,
    });
  }
}

/** A node span: its model calls become generations under it. */
class SwitchboardNode implements NodeTrace {
  readonly callbacks = undefined;
  readonly #spanId = newSpanId();
  readonly #startMs = nowMs();
  #ended = false;

  constructor(
    private readonly turn: SwitchboardTurn,
    private readonly name: string,
    private readonly input: Record<string, unknown>,
    private readonly metadata: Record<string, unknown> | undefined,
  ) {
    turn.pipeline.metrics.created("span");
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  startGeneration(name: string, call: GenerationStart): GenerationTrace {
    return startGeneration(this.turn, this.#spanId, name, call);
  }

  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const t0 = performance.now();
    try {
      const outcome = outcomeOf(error, this.turn.clientGone);
      this.turn.emit(this.#spanId, this.turn.rootId, this.name, this.#startMs, nodeAttributes(this.turn.pipeline.serializer, this.input, this.metadata, outcome), outcome);
    } catch (err) {
      this.turn.pipeline.faults.report("end_node", err);
    } finally {
      this.turn.spend(t0);
    }
  }
}

/** With node spans off: no span of its own, generations attach to the root. */
class ParentOnlyNode implements NodeTrace {
  readonly callbacks = undefined;

  constructor(
    private readonly turn: SwitchboardTurn,
    private readonly parentId: string,
  ) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  startGeneration(name: string, call: GenerationStart): GenerationTrace {
    return startGeneration(this.turn, this.parentId, name, call);
  }

  end(): void {}
}

function startGeneration(turn: SwitchboardTurn, parentId: string, name: string, call: GenerationStart): GenerationTrace {
  const t0 = performance.now();
  try {
    return new SwitchboardGeneration(turn, parentId, name, call);
  } catch (err) {
    turn.pipeline.faults.report("start_generation", err);
    return NOOP_GENERATION;
  } finally {
    turn.spend(t0);
  }
}

/** One model call, recorded where the node makes it: no LangChain callback machinery involved. */
class SwitchboardGeneration implements GenerationTrace {
  readonly #spanId = newSpanId();
  readonly #startMs = nowMs();
  #completionStartMs: number | undefined;
  #ended = false;

  constructor(
    private readonly turn: SwitchboardTurn,
    private readonly parentId: string,
    private readonly name: string,
    private readonly call: GenerationStart,
  ) {
    turn.pipeline.metrics.created("generation");
  }

  firstToken(): void {
    this.#completionStartMs ??= nowMs();
  }

  end(reply: ModelReplyLike): void {
    this.#finish(reply, undefined);
  }

  fail(error: unknown): void {
    this.#finish(undefined, error ?? new Error("model call failed"));
  }

  #finish(reply: ModelReplyLike | undefined, error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const t0 = performance.now();
    try {
      const outcome = outcomeOf(error, this.turn.clientGone);
      const { model, parameters, input } = this.call;
      const attributes = generationAttributes(this.turn.pipeline.serializer, { model, parameters, input, reply, completionStartMs: this.#completionStartMs }, outcome, this.turn.quotes);
      this.turn.emit(this.#spanId, this.parentId, this.name, this.#startMs, attributes, outcome);
    } catch (err) {
      this.turn.pipeline.faults.report("end_generation", err);
    } finally {
      this.turn.spend(t0);
    }
  }
}
