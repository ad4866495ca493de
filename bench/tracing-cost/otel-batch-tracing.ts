// A plain OpenTelemetry pipeline, as a team would write it without Langfuse's SDK: an isolated
// NodeTracerProvider, the SDK's BatchSpanProcessor with its defaults, and the OTLP/protobuf
// exporter to Langfuse's endpoint. Spans carry the same attributes as ours (the trace context on
// every span, inputs and outputs as JSON text); parents are passed explicitly, so no context
// manager (and no async hook) is involved.
import { ROOT_CONTEXT, trace, type Span, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type {
  ChatMessageLike,
  GenerationStart,
  GenerationTrace,
  ModelReplyLike,
  NodeTrace,
  Tracing,
  TurnResult,
  TurnStart,
  TurnTrace,
} from "../../src/tracing/index.js";
import type { ReceiverTarget } from "./receiver-client.js";

const ROLE: Record<string, string> = { human: "user", ai: "assistant", system: "system" };
const messageJson = (m: ChatMessageLike) => ({ role: m.role ?? ROLE[m.type ?? ""] ?? "user", content: m.content });

export class OtelBatchTracing implements Tracing {
  readonly #provider: NodeTracerProvider;
  readonly tracer: Tracer;

  constructor(target: ReceiverTarget) {
    const exporter = new OTLPTraceExporter({
      url: `${target.url}/api/public/otel/v1/traces`,
      headers: {
        Authorization: `Basic ${Buffer.from(`${target.publicKey}:${target.secretKey}`).toString("base64")}`,
        "x-langfuse-ingestion-version": "4",
      },
    });
    this.#provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
    this.tracer = this.#provider.getTracer("otel-plain");
  }

  startTurn(turn: TurnStart): TurnTrace {
    return new OtelTurn(this.tracer, turn);
  }

  async shutdown(): Promise<void> {
    await this.#provider.forceFlush();
    await this.#provider.shutdown();
  }
}

class OtelTurn implements TurnTrace {
  readonly root: Span;
  readonly traceId: string;
  readonly requestPathMs = 0;
  readonly context: Record<string, string | string[]>;

  constructor(
    readonly tracer: Tracer,
    readonly turn: TurnStart,
  ) {
    this.context = {
      "langfuse.trace.name": "chat",
      "user.id": turn.userId,
      "session.id": turn.sessionId,
      "langfuse.trace.tags": [`endpoint:${turn.endpoint}`],
      "langfuse.version": "0.1.0",
      "langfuse.trace.metadata.tenant": turn.tenant ?? "none",
    };
    this.root = tracer.startSpan("chat", { attributes: this.context }, ROOT_CONTEXT);
    this.traceId = this.root.spanContext().traceId;
  }

  startNode(name: string, input: Record<string, unknown>, metadata?: Record<string, unknown>): NodeTrace {
    const span = this.tracer.startSpan(
      name,
      { attributes: { ...this.context, "langfuse.observation.input": JSON.stringify(input) } },
      trace.setSpan(ROOT_CONTEXT, this.root),
    );
    for (const key in metadata) span.setAttribute(`langfuse.observation.metadata.${key}`, String(metadata[key]));
    return new OtelNode(this, span);
  }

  setRouting(intent: string | null, agent: string | null): void {
    if (intent) this.context["langfuse.trace.metadata.intent"] = intent;
    if (agent) this.context["langfuse.trace.metadata.agent"] = agent;
  }

  end(result: TurnResult): void {
    this.root.setAttributes({
      ...this.context,
      "langfuse.observation.input": this.turn.message,
      "langfuse.observation.output": result.output ?? "",
    });
    this.root.end();
  }
}

class OtelNode implements NodeTrace {
  readonly callbacks = undefined;

  constructor(
    readonly turn: OtelTurn,
    readonly span: Span,
  ) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  startGeneration(name: string, call: GenerationStart): GenerationTrace {
    const span = this.turn.tracer.startSpan(
      name,
      { attributes: { "langfuse.observation.type": "generation" } },
      trace.setSpan(ROOT_CONTEXT, this.span),
    );
    return {
      firstToken() {},
      end: (reply: ModelReplyLike) => {
        const usage = reply.usage_metadata;
        span.setAttributes({
          ...this.turn.context,
          "langfuse.observation.model.name": call.model ?? "",
          "langfuse.observation.model.parameters": JSON.stringify(call.parameters ?? {}),
          "langfuse.observation.usage_details": JSON.stringify({
            input: usage?.input_tokens,
            output: usage?.output_tokens,
            total: usage?.total_tokens,
          }),
          "langfuse.observation.input": JSON.stringify(call.input.map(messageJson)),
          "langfuse.observation.output": JSON.stringify({ role: "assistant", content: reply.content }),
        });
        span.end();
      },
      fail: () => span.end(),
    };
  }

  end(): void {
    this.span.setAttributes(this.turn.context);
    this.span.end();
  }
}
