import type { ProtobufWriter } from "./encoding/protobuf-writer.js";
import type { TraceExporter } from "./export/trace-exporter.js";
import { BusyShedding } from "./busy-shedding.js";
import type { FaultReporter, TracingLogger } from "./fault-reporter.js";
import { newSpanId, newTraceId } from "./ids.js";
import type { ObservationEncoder } from "./observation-encoder.js";
import { epochMs, nowMs } from "./otlp-time.js";
import { flagAfter, keepRule, sampledIn, type KeepRule } from "./sampling.js";
import type { ScoreExporter } from "./scores/score-exporter.js";
import type { ScoreInput } from "./scores/score.js";
import { ShedTurn, type ShedTurnOptions } from "./shed-turn.js";
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
import type { TracingSettings } from "./tracing-options.js";
import {
  NOOP_GENERATION,
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
  /**
   * The tracing settings, whole. Read here: `enableSpans` (false: no node spans; generations
   * hang directly under the trace's root), `sampleRate` and `keepSlowerThanMs` (which turns are
   * kept), `busyTracesPerSec` (turns traced while the event loop is busy) and `shutdownTimeoutMs`
   * (how long shutdown may spend flushing).
   */
  settings: TracingSettings;
  /** Told once when the event loop first turns busy and turns start to be shed; absent: not told. */
  logger?: TracingLogger;
  /** Durable delivery of scores (user feedback); absent: scores are not taken. */
  scores?: ScoreExporter;
  /** Runs after the exporter is flushed at shutdown (e.g. closing an embedded receiver). */
  onShutdown?: () => Promise<void>;
}

/** A span id made when first asked for: a turn sampled out never makes its spans' ids. */
class SpanRef {
  #id: string | undefined;
  get id(): string {
    return (this.#id ??= newSpanId());
  }
}

type Routing = { readonly intent: string | null; readonly agent: string | null };

/**
 * An observation as it ended: references to what the caller handed over, and the turn's routing
 * at that moment. Turned into attributes only when it is encoded.
 */
type Ended =
  | {
      kind: "node";
      span: SpanRef;
      parent: SpanRef;
      startMs: number;
      endMs: number;
      outcome: Outcome;
      routing: Routing | undefined;
      name: string;
      input: Record<string, unknown>;
      metadata: Record<string, unknown> | undefined;
      options: NodeOptions | undefined;
    }
  | {
      kind: "generation";
      span: SpanRef;
      parent: SpanRef;
      startMs: number;
      endMs: number;
      outcome: Outcome;
      routing: Routing | undefined;
      name: string;
      call: GenerationStart;
      reply: ModelReplyLike | undefined;
      completionStartMs: number | undefined;
    };

/**
 * Our pipeline's Tracing: explicit parents, and each observation encoded into its OTLP span
 * once, when it ends (ObservationEncoder), straight into the exporter's open batch. Nothing else
 * runs on the request path: batching, the journal and HTTP happen on timers and sockets.
 *
 * With a sample rate below 1 the decision is taken when the turn ends, once all of it is known
 * (sampling.ts): until then its observations are kept as they ended (references, not copies)
 * and encoded only if the turn is kept, so a turn sampled out costs a few small objects.
 *
 * While the event loop is busy, turns beyond `busyTracesPerSec` a second are shed when they start
 * (busy-shedding.ts, shed-turn.ts).
 */
export class SwitchboardTracing implements Tracing {
  readonly score?: (score: ScoreInput) => string;

  readonly #options: SwitchboardTracingOptions;
  readonly #shedding: BusyShedding;
  readonly #shed: ShedTurnOptions;

  constructor(options: SwitchboardTracingOptions) {
    this.#options = options;
    const scores = options.scores;
    if (scores) this.score = (score) => scores.record(score);
    const { metrics, settings } = options;
    let told = false;
    this.#shedding = new BusyShedding({
      tracesPerSec: settings.busyTracesPerSec,
      onBusy: (utilization) => {
        if (told) return;
        told = true;
        options.logger?.warn(
          { eventLoopUtilization: Math.round(utilization * 100) / 100, busyTracesPerSec: settings.busyTracesPerSec },
          "tracing: the event loop is busy: ordinary turns beyond LANGFUSE_BUSY_TRACES_PER_SEC a second are not traced until it calms down (failed, clarifying and slow turns still are, root observation only); switchboard_tracing_turns_shed_total counts them, and this is told once",
        );
      },
    });
    metrics.observeBusy(() => this.#shedding.isBusy());
    this.#shed = {
      keepSlowerThanMs: settings.keepSlowerThanMs,
      onShed: () => metrics.turnsShed.inc(),
      onKept: (rule) => metrics.keptByRule.inc({ rule }),
      traceRootOnly: (turn, startedAt, rule) => new SwitchboardTurn(options, turn, startedAt, rule),
      report: (kind, err) => options.faults.report(kind, err),
    };
  }

  startTurn(turn: TurnStart): TurnTrace {
    const t0 = performance.now();
    if (!this.#shedding.admit(t0)) return new ShedTurn(this.#shed, turn, t0);
    const trace = new SwitchboardTurn(this.#options, turn, t0);
    trace.spend(t0);
    return trace;
  }

  async shutdown(): Promise<void> {
    try {
      await Promise.all([
        this.#options.exporter.shutdown(this.#options.settings.shutdownTimeoutMs),
        this.#options.scores?.shutdown(this.#options.settings.shutdownTimeoutMs),
      ]);
      await this.#options.onShutdown?.();
    } catch (err) {
      this.#options.faults.report("shutdown", err);
    }
  }
}

/** A turn: the root observation, and what every observation of the turn shares. */
class SwitchboardTurn implements TurnTrace {
  /** Made when first needed: a turn sampled out at rate 0 never makes one. */
  #traceId: string | undefined;
  readonly root = new SpanRef();
  readonly #startMs: number;
  /** The router's decision, once made: carried by the observations that end after it. */
  routing: Routing | undefined;
  /** The turn's trace context and routing, each encoded once, when first needed. */
  #context: Uint8Array | undefined;
  #routingEncoded: { routing: Routing; bytes: Uint8Array } | undefined;
  #ended = false;
  #sampledOut = false;
  #spentMs = 0;
  /** True while observations are held for the sampling decision at the turn's end (rate below 1). */
  #holding: boolean;
  #held: Ended[] | undefined;
  /** Set when an observation failed or was cut short: such a turn is always kept. */
  #flagged: "error" | "warning" | undefined;

  readonly #turn: TurnStart;
  /** Set for a turn shed while the loop was busy and kept by this rule: its root observation alone. */
  readonly #rootOnlyFor: KeepRule | undefined;

  constructor(
    readonly options: SwitchboardTracingOptions,
    turn: TurnStart,
    startedAt: number,
    rootOnlyFor?: KeepRule,
  ) {
    this.#turn = turn;
    this.#startMs = epochMs(startedAt);
    this.#rootOnlyFor = rootOnlyFor;
    this.#holding = rootOnlyFor === undefined && options.settings.sampleRate < 1;
  }

  /** The trace id; null once the turn was sampled out (its trace will not exist). */
  get traceId(): string | null {
    return this.#sampledOut ? null : this.#id();
  }

  #id(): string {
    return (this.#traceId ??= newTraceId());
  }

  /** Main-thread time this turn's tracing calls took (the Server-Timing `tracing` entry). */
  get requestPathMs(): number {
    return this.#spentMs;
  }

  /**
   * Adds the time since `t0` (performance.now()) to the turn's tracing time. While observations
   * are only held (a sampled turn, before its end) the calls cost less than reading the clock
   * again: only the end, where a kept turn is encoded, is timed.
   */
  spend(t0: number): void {
    if (!this.#holding) this.#spentMs += performance.now() - t0;
  }

  outcome(error: unknown): Outcome {
    const outcome = outcomeOf(error, this.#turn.clientSignal?.aborted === true);
    this.#flagged = flagAfter(this.#flagged, outcome.level);
    return outcome;
  }

  /** One finished observation: encoded now, or held for the turn's end when the turn is sampled. */
  emit(ended: Ended): void {
    if (this.#holding) (this.#held ??= []).push(ended);
    else this.#write(ended);
  }

  startNode(
    name: string,
    input: Record<string, unknown>,
    metadata?: Record<string, unknown>,
    options?: NodeOptions,
  ): NodeTrace {
    if (!this.options.settings.enableSpans) return new ParentOnlyNode(this, this.root);
    const t0 = performance.now();
    try {
      return new SwitchboardNode(this, t0, name, input, metadata, options);
    } catch (err) {
      this.options.faults.report("start_node", err);
      return new ParentOnlyNode(this, this.root);
    } finally {
      this.spend(t0);
    }
  }

  setRouting(intent: string | null, agent: string | null): void {
    if (this.routing?.intent === intent && this.routing.agent === agent) return;
    this.routing = { intent, agent };
  }

  end(result: TurnResult): void {
    if (this.#ended) return;
    this.#ended = true;
    const t0 = performance.now();
    try {
      if (!this.routing && (result.intent || result.agent))
        this.setRouting(result.intent ?? null, result.agent ?? null);
      const outcome = result.disconnected ? CLIENT_DISCONNECTED : this.outcome(result.error);
      if (result.disconnected) this.#flagged ??= "warning";
      const endMs = epochMs(t0);
      if (this.#holding) {
        const held = this.#held ?? [];
        this.#holding = false;
        this.#held = undefined;
        const rule = keepRule({
          flagged: this.#flagged,
          clarification: result.clarification === true,
          durationMs: endMs - this.#startMs,
          keepSlowerThanMs: this.options.settings.keepSlowerThanMs,
        });
        const rate = this.options.settings.sampleRate;
        if (!rule && (rate <= 0 || !sampledIn(this.#id(), rate))) {
          this.#sampledOut = true;
          this.options.metrics.sampledOut.inc();
          return;
        }
        if (rule) this.options.metrics.keptByRule.inc({ rule });
        for (const ended of held) this.#write(ended);
      }
      this.#encode("root", (encoder, target) =>
        encoder.root(
          {
            traceId: this.#id(),
            spanId: this.root.id,
            parentSpanId: undefined,
            startMs: this.#startMs,
            endMs,
            ...this.#shared(this.routing),
            outcome,
            input: this.#turn.message,
            output: result.output,
            rootOnlyFor: this.#rootOnlyFor,
          },
          target,
        ),
      );
    } catch (err) {
      this.options.faults.report("end_turn", err);
    } finally {
      if (!this.#sampledOut) {
        this.spend(t0);
        this.options.metrics.requestPath.observe(this.#spentMs / 1000);
      }
    }
  }

  /** The trace context and a routing as every span carries them, each encoded once. */
  #shared(routing: Routing | undefined): { shared: Uint8Array; routing: Uint8Array | undefined } {
    const encoder = this.options.encoder;
    this.#context ??= encoder.context(this.#turn);
    if (!routing) return { shared: this.#context, routing: undefined };
    if (this.#routingEncoded?.routing !== routing)
      this.#routingEncoded = { routing, bytes: encoder.routing(routing.intent, routing.agent) };
    return { shared: this.#context, routing: this.#routingEncoded.bytes };
  }

  #write(ended: Ended): void {
    const common = {
      traceId: this.#id(),
      spanId: ended.span.id,
      parentSpanId: ended.parent.id,
      startMs: ended.startMs,
      endMs: ended.endMs,
      outcome: ended.outcome,
      name: ended.name,
    };
    if (ended.kind === "node") {
      const { options, input, metadata, routing } = ended;
      this.#encode("node", (encoder, target) =>
        encoder.node(
          {
            ...common,
            ...this.#shared(routing),
            type: options?.type ?? "span",
            input,
            metadata,
            langgraphStep: options?.langgraphStep,
          },
          target,
        ),
      );
      return;
    }
    const { call, reply, routing } = ended;
    this.#encode("generation", (encoder, target) => {
      const toolCalls = reply?.tool_calls;
      encoder.generation(
        {
          ...common,
          ...this.#shared(routing),
          model: (reply && replyModel(reply)) || call.model,
          parametersJson: modelParametersJson(call.parameters),
          messages: call.input,
          reply: reply && {
            content: reply.content,
            toolCallsJson: toolCalls && toolCalls.length > 0 ? toText(toolCalls) : undefined,
          },
          usageJson: reply?.usage_metadata ? JSON.stringify(usageDetails(reply.usage_metadata)) : undefined,
          completionStartMs: ended.completionStartMs,
          prompt: call.prompt,
        },
        target,
      );
    });
  }

  /** Writes one span into the exporter's open batch; a failure to encode drops it, counted. */
  #encode(
    kind: "root" | "node" | "generation",
    write: (encoder: ObservationEncoder, target: ProtobufWriter) => void,
  ): void {
    const exporter = this.options.exporter;
    const target = exporter.beginSpan();
    if (!target) return;
    try {
      write(this.options.encoder, target);
      this.options.metrics.created(kind === "root" ? "trace" : kind === "node" ? "span" : "generation");
    } catch (err) {
      exporter.abortSpan();
      this.options.faults.report(`encode_${kind}`, err);
      this.options.metrics.spansDropped.inc({ reason: "encode_failed" });
      return;
    }
    exporter.commitSpan();
  }
}

/** A node span: its model calls become generations under it. */
class SwitchboardNode implements NodeTrace {
  readonly callbacks = undefined;
  readonly span = new SpanRef();
  readonly #startMs: number;
  #ended = false;

  readonly #turn: SwitchboardTurn;
  readonly #name: string;
  readonly #input: Record<string, unknown>;
  readonly #metadata: Record<string, unknown> | undefined;
  readonly #options: NodeOptions | undefined;

  constructor(
    turn: SwitchboardTurn,
    startedAt: number,
    name: string,
    input: Record<string, unknown>,
    metadata: Record<string, unknown> | undefined,
    options: NodeOptions | undefined,
  ) {
    this.#turn = turn;
    this.#name = name;
    this.#input = input;
    this.#metadata = metadata;
    this.#options = options;
    this.#startMs = epochMs(startedAt);
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  startGeneration(name: string, call: GenerationStart): GenerationTrace {
    return startGeneration(this.#turn, this.span, name, call);
  }

  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const turn = this.#turn;
    const t0 = performance.now();
    try {
      turn.emit({
        kind: "node",
        span: this.span,
        parent: turn.root,
        startMs: this.#startMs,
        endMs: epochMs(t0),
        outcome: turn.outcome(error),
        routing: turn.routing,
        name: this.#name,
        input: this.#input,
        metadata: this.#metadata,
        options: this.#options,
      });
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

  readonly #turn: SwitchboardTurn;
  readonly #parent: SpanRef;

  constructor(turn: SwitchboardTurn, parent: SpanRef) {
    this.#turn = turn;
    this.#parent = parent;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  startGeneration(name: string, call: GenerationStart): GenerationTrace {
    return startGeneration(this.#turn, this.#parent, name, call);
  }

  end(): void {}
}

function startGeneration(turn: SwitchboardTurn, parent: SpanRef, name: string, call: GenerationStart): GenerationTrace {
  const t0 = performance.now();
  try {
    return new SwitchboardGeneration(turn, t0, parent, name, call);
  } catch (err) {
    turn.options.faults.report("start_generation", err);
    return NOOP_GENERATION;
  } finally {
    turn.spend(t0);
  }
}

/** One model call, recorded where the node makes it: no LangChain callback machinery involved. */
class SwitchboardGeneration implements GenerationTrace {
  readonly #startMs: number;
  #completionStartMs: number | undefined;
  #ended = false;

  readonly #turn: SwitchboardTurn;
  readonly #parent: SpanRef;
  readonly #name: string;
  readonly #call: GenerationStart;

  constructor(turn: SwitchboardTurn, startedAt: number, parent: SpanRef, name: string, call: GenerationStart) {
    this.#turn = turn;
    this.#parent = parent;
    this.#name = name;
    this.#call = call;
    this.#startMs = epochMs(startedAt);
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
    const turn = this.#turn;
    const t0 = performance.now();
    try {
      turn.emit({
        kind: "generation",
        span: new SpanRef(),
        parent: this.#parent,
        startMs: this.#startMs,
        endMs: epochMs(t0),
        outcome: turn.outcome(error),
        routing: turn.routing,
        name: this.#name,
        call: this.#call,
        reply,
        completionStartMs: this.#completionStartMs,
      });
    } catch (err) {
      turn.options.faults.report("end_generation", err);
    } finally {
      turn.spend(t0);
    }
  }
}
