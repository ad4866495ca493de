import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { BatchExporter } from "./batch-exporter.js";
import { GenerationHandler } from "./generation-handler.js";
import { newSpanId, newTraceId } from "./ids.js";
import { nowMs } from "./otlp-time.js";
import { A, type SwitchboardPipeline } from "./switchboard-pipeline.js";
import { NOOP_TURN, type NodeTrace, type Tracing, type TurnResult, type TurnStart, type TurnTrace } from "./turn-trace.js";

export interface SwitchboardTracingOptions {
  pipeline: SwitchboardPipeline;
  exporter: BatchExporter;
  /** false: no node spans; generations hang directly under the trace's root. */
  enableSpans: boolean;
  /** Share of turns traced, decided once per turn. */
  sampleRate: number;
  /** How long shutdown may spend flushing (ms). */
  shutdownTimeoutMs: number;
  /** Runs after the exporter is flushed at shutdown (e.g. closing an embedded receiver). */
  onShutdown?: () => Promise<void>;
}

const ROOT_NAME = "chat";

/** Our pipeline's Tracing: explicit parents, one encode per observation, nothing else on the request path. */
export class SwitchboardTracing implements Tracing {
  constructor(private readonly options: SwitchboardTracingOptions) {}

  startTurn(turn: TurnStart): TurnTrace {
    const { pipeline, sampleRate } = this.options;
    if (sampleRate < 1 && !(Math.random() < sampleRate)) {
      pipeline.metrics.sampledOut.inc();
      return NOOP_TURN;
    }
    try {
      return new SwitchboardTurn(pipeline, turn, this.options.enableSpans);
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

class SwitchboardTurn implements TurnTrace {
  readonly traceId: string;
  readonly #rootId: string;
  readonly #startMs: number;
  #ended = false;

  constructor(
    private readonly pipeline: SwitchboardPipeline,
    private readonly turn: TurnStart,
    private readonly enableSpans: boolean,
  ) {
    this.traceId = newTraceId();
    this.#rootId = newSpanId();
    this.#startMs = nowMs();
    pipeline.metrics.observationsCreated.inc({ type: "trace" });
  }

  startNode(name: string, input: Record<string, unknown>, metadata?: Record<string, unknown>): NodeTrace {
    if (!this.enableSpans) return new ParentOnlyNode(this.pipeline, this.traceId, this.#rootId);
    try {
      return new SwitchboardNode(this.pipeline, this.traceId, this.#rootId, name, input, metadata);
    } catch (err) {
      this.pipeline.faults.report("start_node", err);
      return new ParentOnlyNode(this.pipeline, this.traceId, this.#rootId);
    }
  }

  end(result: TurnResult): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      const s = this.pipeline.serializer;
      const failed = result.error !== undefined && !result.disconnected;
      const level = failed ? "ERROR" : result.disconnected ? "WARNING" : undefined;
      const statusMessage = result.disconnected ? "client disconnected" : failed ? errorText(result.error) : undefined;
      this.pipeline.emitSpan({
        traceId: this.traceId,
        spanId: this.#rootId,
        parentSpanId: undefined,
        name: ROOT_NAME,
        startMs: this.#startMs,
        endMs: nowMs(),
        attributes: {
          [A.type]: "span",
          [A.traceName]: ROOT_NAME,
          [A.userId]: this.turn.userId,
          [A.sessionId]: this.turn.sessionId,
          [A.traceTags]: [`endpoint:${this.turn.endpoint}`],
          [A.traceInput]: s.io(this.turn.message),
          [A.traceOutput]: s.io(result.output),
          [`${A.traceMetadata}.intent`]: result.intent ?? undefined,
          [`${A.traceMetadata}.agent`]: result.agent ?? undefined,
          [`${A.traceMetadata}.disconnected`]: result.disconnected ? "true" : undefined,
          [A.level]: level,
          [A.statusMessage]: statusMessage === undefined ? undefined : s.value(statusMessage),
        },
        errorMessage: failed ? statusMessage : undefined,
      });
    } catch (err) {
      this.pipeline.faults.report("end_turn", err);
    }
  }
}

/** A node span: its model calls become generations under it. */
class SwitchboardNode implements NodeTrace {
  readonly #spanId = newSpanId();
  readonly #startMs = nowMs();
  #callbacks: Callbacks | undefined;
  #ended = false;

  constructor(
    private readonly pipeline: SwitchboardPipeline,
    private readonly traceId: string,
    private readonly parentId: string,
    private readonly name: string,
    private readonly input: Record<string, unknown>,
    private readonly metadata: Record<string, unknown> | undefined,
  ) {
    pipeline.metrics.observationsCreated.inc({ type: "span" });
  }

  get callbacks(): Callbacks {
    return (this.#callbacks ??= [new GenerationHandler(this.pipeline, this.traceId, this.#spanId)]);
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      const s = this.pipeline.serializer;
      const attributes: Record<string, string | undefined> = {
        [A.type]: "span",
        [A.input]: s.value(this.input),
      };
      if (this.metadata) for (const key in this.metadata) attributes[`${A.metadata}.${key}`] = s.value(this.metadata[key]);
      const message = error === undefined ? undefined : errorText(error);
      if (message !== undefined) {
        attributes[A.level] = "ERROR";
        attributes[A.statusMessage] = s.value(message);
      }
      this.pipeline.emitSpan({
        traceId: this.traceId,
        spanId: this.#spanId,
        parentSpanId: this.parentId,
        name: this.name,
        startMs: this.#startMs,
        endMs: nowMs(),
        attributes,
        errorMessage: message,
      });
    } catch (err) {
      this.pipeline.faults.report("end_node", err);
    }
  }
}

/** With node spans off: no span of its own, generations attach to the root. */
class ParentOnlyNode implements NodeTrace {
  #callbacks: Callbacks | undefined;

  constructor(
    private readonly pipeline: SwitchboardPipeline,
    private readonly traceId: string,
    private readonly parentId: string,
  ) {}

  get callbacks(): Callbacks {
    return (this.#callbacks ??= [new GenerationHandler(this.pipeline, this.traceId, this.parentId)]);
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  end(): void {}
}

function errorText(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return String(error);
  } catch {
    // e.g. an object without a prototype: the observation is still recorded as failed.
    return "[unprintable error]";
  }
}
