import type { TraceExporter } from "./export/trace-exporter.js";
import type { FaultReporter } from "./fault-reporter.js";
import { clipForField, toText } from "./field-serializer.js";
import { newSpanId, newTraceId } from "./ids.js";
import { nowMs } from "./otlp-time.js";
import type { GenerationFacts, MessageFacts, ReplyFacts, RoutingFacts, Text, TurnFacts } from "./span-facts.js";
import {
  CLIENT_DISCONNECTED,
  modelParametersJson,
  outcomeOf,
  replyModel,
  roleOf,
  usageDetails,
  type ChatMessageLike,
  type ModelReplyLike,
  type Outcome,
} from "./trace-contract.js";
import type { TracingMetrics } from "./tracing-metrics.js";
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
  /** Takes each finished observation: to the export worker, or encoded in this thread. */
  exporter: TraceExporter;
  metrics: TracingMetrics;
  faults: FaultReporter;
  /** LANGFUSE_MAX_FIELD_CHARS: texts are clipped to what the cap can keep where they are recorded. */
  maxFieldChars: number;
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
 * Our pipeline's Tracing: explicit parents, and on the request path only the recording of facts
 * (ids, times, texts clipped to the field cap). Quoting, masking, capping and encoding happen in
 * the export worker (SpanEncoder).
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
  readonly facts: TurnFacts;
  readonly #startMs: number;
  /** The router's decision, once made: carried by the observations that end after it. */
  routing: RoutingFacts | undefined;
  #ended = false;
  #spentMs = 0;

  constructor(
    readonly o: SwitchboardTracingOptions,
    private readonly turn: TurnStart,
  ) {
    this.traceId = newTraceId();
    this.rootId = newSpanId();
    this.#startMs = nowMs();
    this.facts = {
      traceId: this.traceId,
      userId: turn.userId,
      sessionId: turn.sessionId,
      endpoint: turn.endpoint,
      tenant: turn.tenant,
    };
    o.metrics.created("trace");
  }

  /** Main-thread time this turn's tracing calls took (the Server-Timing `tracing` entry). */
  get requestPathMs(): number {
    return this.#spentMs;
  }

  /** Adds the time since `t0` (performance.now()) to the turn's tracing time. */
  spend(t0: number): void {
    this.#spentMs += performance.now() - t0;
  }

  get clientGone(): boolean {
    return this.turn.clientSignal?.aborted === true;
  }

  /** The turn's distinct long texts, each made once and shared by the observations that carry it. */
  readonly #texts = new Map<string, Text>();

  /** A short text as facts keep it: only what the field cap can use. */
  clip(text: string): string {
    return clipForField(text, this.o.maxFieldChars);
  }

  /** A text the turn's observations may share (message contents, replies). */
  text(value: string): Text {
    let text = this.#texts.get(value);
    if (!text) {
      text = { value: this.clip(value), chars: value.length };
      this.#texts.set(value, text);
    }
    return text;
  }

  outcome(error: unknown): Outcome {
    const outcome = outcomeOf(error, this.clientGone);
    return outcome.message === undefined ? outcome : { level: outcome.level, message: this.clip(outcome.message) };
  }

  startNode(name: string, input: Record<string, unknown>, metadata?: Record<string, unknown>): NodeTrace {
    if (!this.o.enableSpans) return new ParentOnlyNode(this, this.rootId);
    const t0 = performance.now();
    try {
      return new SwitchboardNode(this, name, input, metadata);
    } catch (err) {
      this.o.faults.report("start_node", err);
      return new ParentOnlyNode(this, this.rootId);
    } finally {
      this.spend(t0);
    }
  }

  setRouting(intent: string | null, agent: string | null): void {
    this.routing = { intent, agent };
  }

  end(result: TurnResult): void {
    if (this.#ended) return;
    this.#ended = true;
    const t0 = performance.now();
    try {
      if (!this.routing && (result.intent || result.agent))
        this.routing = { intent: result.intent ?? null, agent: result.agent ?? null };
      const input = this.turn.message;
      const output = result.output;
      this.o.exporter.push({
        kind: "root",
        turn: this.facts,
        spanId: this.rootId,
        name: "",
        startMs: this.#startMs,
        endMs: nowMs(),
        routing: this.routing,
        outcome: result.disconnected ? CLIENT_DISCONNECTED : this.outcome(result.error),
        input: this.text(input),
        output: output === undefined ? undefined : this.text(output),
      });
    } catch (err) {
      this.o.faults.report("end_turn", err);
    } finally {
      this.spend(t0);
      this.o.metrics.requestPath.observe(this.#spentMs / 1000);
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
  ) {
    turn.o.metrics.created("span");
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
      let metadata: Record<string, string> | undefined;
      if (this.metadata) {
        metadata = {};
        for (const key in this.metadata) {
          const value = this.metadata[key];
          if (value !== undefined && value !== null) metadata[key] = turn.clip(toText(value));
        }
      }
      turn.o.exporter.push({
        kind: "node",
        turn: turn.facts,
        spanId: this.#spanId,
        parentId: turn.rootId,
        name: this.name,
        startMs: this.#startMs,
        endMs: nowMs(),
        routing: turn.routing,
        outcome: turn.outcome(error),
        input: turn.clip(toText(this.input)),
        metadata,
      });
    } catch (err) {
      turn.o.faults.report("end_node", err);
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
    turn.o.faults.report("start_generation", err);
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
    turn.o.metrics.created("generation");
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
      const facts: GenerationFacts = {
        kind: "generation",
        turn: turn.facts,
        spanId: this.#spanId,
        parentId: this.parentId,
        name: this.name,
        startMs: this.#startMs,
        endMs: nowMs(),
        routing: turn.routing,
        outcome: turn.outcome(error),
        model: this.call.model,
        parametersJson: modelParametersJson(this.call.parameters),
        messages: this.call.input.map((m) => messageFacts(turn, m)),
        reply: reply ? replyFacts(turn, reply) : undefined,
        completionStartMs: this.#completionStartMs,
      };
      turn.o.exporter.push(facts);
    } catch (err) {
      turn.o.faults.report("end_generation", err);
    } finally {
      turn.spend(t0);
    }
  }
}

function messageFacts(turn: SwitchboardTurn, m: ChatMessageLike): MessageFacts {
  const content = m.content;
  return typeof content === "string"
    ? { role: roleOf(m), content: turn.text(content) }
    : { role: roleOf(m), content: turn.text(toText(content ?? null)), contentIsJson: true };
}

function replyFacts(turn: SwitchboardTurn, reply: ModelReplyLike): ReplyFacts {
  const content = reply.content;
  const toolCalls = reply.tool_calls;
  const isText = typeof content === "string";
  return {
    content: turn.text(isText ? content : toText(content ?? null)),
    contentIsJson: !isText,
    toolCallsJson: toolCalls && toolCalls.length > 0 ? turn.clip(toText(toolCalls)) : undefined,
    usageJson: reply.usage_metadata ? JSON.stringify(usageDetails(reply.usage_metadata)) : undefined,
    model: replyModel(reply),
  };
}
