import type { ProtobufWriter } from "./encoding/protobuf-writer.js";
import type { TraceExporter } from "./export/trace-exporter.js";
import type { FaultReporter } from "./fault-reporter.js";
import { newSpanId, newTraceId } from "./ids.js";
import type { ObservationEncoder } from "./observation-encoder.js";
import { nowMs } from "./otlp-time.js";
import { toText } from "./to-text.js";
import {
  CLIENT_DISCONNECTED,
  modelParametersJson,
  outcomeOf,
  replyModel,
  usageDetails,
  type ModelReplyLike,
  type Outcome,
} from "./trace-contract.js";
import type { TracingMetrics } from "./tracing-metrics.js";
import {
  NOOP_GENERATION,
  NOOP_TURN,
  type GenerationStart,
  type GenerationTrace,
  type NodeOptions,
  type NodeTrace,
  type Tracing,
  type TurnResult,
  type TurnStart,
  type TurnTrace,
} from "./turn-trace.js";

export interface SwitchboardTracingOptions {
  /** Takes each finished observation's encoded span: batches, journals and delivers it. */
  exporter: TraceExporter;
  /** Turns an observation into its OTLP span, on the request path. */
  encoder: ObservationEncoder;
  metrics: TracingMetrics;
  faults: FaultReporter;
  /** false: no node spans; generations hang directly under the trace's root. */
  enableSpans: boolean;
  /** Share of turns traced, decided once per turn. */
  sampleRate: number;
  /** How long shutdown may spend flushing (ms). */
  shutdownTimeoutMs: number;
  /** Runs after the exporter is flushed at shutdown (e.g. closing an embedded receiver). */
  onShutdown?: () => Promise<void>;
}

/**
 * Our pipeline's Tracing: explicit parents, and each observation encoded into its OTLP span
 * once, when it ends (ObservationEncoder), then handed to the exporter as bytes. Nothing else
 * runs on the request path: batching, the journal and HTTP happen on timers and sockets.
 */
export class SwitchboardTracing implements Tracing {
  constructor(private readonly options: SwitchboardTracingOptions) {}

  startTurn(turn: TurnStart): TurnTrace {
    const { metrics, sampleRate } = this.options;
    if (sampleRate < 1 && !(Math.random() < sampleRate)) {
      metrics.sampledOut.inc();
      return NOOP_TURN;
    }
    const t0 = performance.now();
    try {
      const trace = new SwitchboardTurn(this.options, turn);
      trace.spend(t0);
      return trace;
    } catch (err) {
      this.options.faults.report("start_turn", err);
      return NOOP_TURN;
    }
  }

  async shutdown(): Promise<void> {
    try {
      await this.options.exporter.shutdown(this.options.shutdownTimeoutMs);
      await this.options.onShutdown?.();
    } catch (err) {
      this.options.faults.report("shutdown", err);
    }
  }
}

/** A turn: the root observation, and what every observation of the turn shares. */
class SwitchboardTurn implements TurnTrace {
  readonly traceId: string;
  readonly rootId: string;
  /** The turn's trace context, encoded once. */
  readonly context: Uint8Array;
  /** The router's decision, encoded once it is made: carried by the observations that end after it. */
  routing: Uint8Array | undefined;
  #routed = false;
  readonly #startMs: number;
  #ended = false;
  #spentMs = 0;

  constructor(
    readonly options: SwitchboardTracingOptions,
    private readonly turn: TurnStart,
  ) {
    this.traceId = newTraceId();
    this.rootId = newSpanId();
    this.#startMs = nowMs();
    this.context = options.encoder.context({
      traceId: this.traceId,
      userId: turn.userId,
      sessionId: turn.sessionId,
      endpoint: turn.endpoint,
      tenant: turn.tenant,
    });
    options.metrics.created("trace");
  }

  /** Main-thread time this turn's tracing calls took (the Server-Timing `tracing` entry). */
  get requestPathMs(): number {
    return this.#spentMs;
  }

  /** Adds the time since `t0` (performance.now()) to the turn's tracing time. */
  spend(t0: number): void {
    this.#spentMs += performance.now() - t0;
  }

  outcome(error: unknown): Outcome {
    return outcomeOf(error, this.turn.clientSignal?.aborted === true);
  }

  /** Writes one observation's span into the exporter's open batch; a failure to encode drops it, counted. */
  emit(kind: string, write: (target: ProtobufWriter) => void): void {
    const exporter = this.options.exporter;
    const target = exporter.beginSpan();
    if (!target) return;
    try {
      write(target);
    } catch (err) {
      exporter.abortSpan();
      this.options.faults.report(`encode_${kind}`, err);
      this.options.metrics.spansDropped.inc({ reason: "encode_failed" });
      return;
    }
    exporter.commitSpan();
  }

  startNode(
    name: string,
    input: Record<string, unknown>,
    metadata?: Record<string, unknown>,
    options?: NodeOptions,
  ): NodeTrace {
    if (!this.options.enableSpans) return new ParentOnlyNode(this, this.rootId);
    const t0 = performance.now();
    try {
      return new SwitchboardNode(this, name, input, metadata, options);
    } catch (err) {
      this.options.faults.report("start_node", err);
      return new ParentOnlyNode(this, this.rootId);
    } finally {
      this.spend(t0);
    }
  }

  setRouting(intent: string | null, agent: string | null): void {
    const t0 = performance.now();
    try {
      this.routing = this.options.encoder.routing(intent, agent);
      this.#routed = true;
    } catch (err) {
      this.options.faults.report("set_routing", err);
    } finally {
      this.spend(t0);
    }
  }

  end(result: TurnResult): void {
    if (this.#ended) return;
    this.#ended = true;
    const t0 = performance.now();
    try {
      if (!this.#routed && (result.intent || result.agent))
        this.setRouting(result.intent ?? null, result.agent ?? null);
      const outcome = result.disconnected ? CLIENT_DISCONNECTED : this.outcome(result.error);
      this.emit("root", (target) =>
        this.options.encoder.root(
          {
            traceId: this.traceId,
            spanId: this.rootId,
            parentSpanId: undefined,
            startMs: this.#startMs,
            endMs: nowMs(),
            shared: this.context,
            routing: this.routing,
            outcome,
            input: this.turn.message,
            output: result.output,
          },
          target,
        ),
      );
    } catch (err) {
      this.options.faults.report("end_turn", err);
    } finally {
      this.spend(t0);
      this.options.metrics.requestPath.observe(this.#spentMs / 1000);
    }
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
    private readonly options: NodeOptions | undefined,
  ) {
    turn.options.metrics.created("span");
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
    const turn = this.turn;
    const t0 = performance.now();
    try {
      turn.emit("node", (target) =>
        turn.options.encoder.node(
          {
            traceId: turn.traceId,
            spanId: this.#spanId,
            parentSpanId: turn.rootId,
            startMs: this.#startMs,
            endMs: nowMs(),
            shared: turn.context,
            routing: turn.routing,
            outcome: turn.outcome(error),
            name: this.name,
            type: this.options?.type ?? "span",
            input: this.input,
            metadata: this.metadata,
            langgraphStep: this.options?.langgraphStep,
          },
          target,
        ),
      );
    } catch (err) {
      turn.options.faults.report("end_node", err);
    } finally {
      turn.spend(t0);
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

function startGeneration(
  turn: SwitchboardTurn,
  parentId: string,
  name: string,
  call: GenerationStart,
): GenerationTrace {
  const t0 = performance.now();
  try {
    return new SwitchboardGeneration(turn, parentId, name, call);
  } catch (err) {
    turn.options.faults.report("start_generation", err);
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
    turn.options.metrics.created("generation");
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
    const turn = this.turn;
    const t0 = performance.now();
    try {
      const call = this.call;
      const toolCalls = reply?.tool_calls;
      turn.emit("generation", (target) =>
        turn.options.encoder.generation(
          {
            traceId: turn.traceId,
            spanId: this.#spanId,
            parentSpanId: this.parentId,
            startMs: this.#startMs,
            endMs: nowMs(),
            shared: turn.context,
            routing: turn.routing,
            outcome: turn.outcome(error),
            name: this.name,
            model: (reply && replyModel(reply)) || call.model,
            parametersJson: modelParametersJson(call.parameters),
            messages: call.input,
            reply: reply && {
              content: reply.content,
              toolCallsJson: toolCalls && toolCalls.length > 0 ? toText(toolCalls) : undefined,
            },
            usageJson: reply?.usage_metadata ? JSON.stringify(usageDetails(reply.usage_metadata)) : undefined,
            completionStartMs: this.#completionStartMs,
            prompt: call.prompt,
          },
          target,
        ),
      );
    } catch (err) {
      turn.options.faults.report("end_generation", err);
    } finally {
      turn.spend(t0);
    }
  }
}
