import { JsonStrings, type JsonString } from "./encoding/json-strings.js";
import { encodeAttributes, OtlpSpanWriter, type AttributeKey } from "./encoding/otlp-span-writer.js";
import type { ProtobufWriter } from "./encoding/protobuf-writer.js";
import { ENVELOPE_ALLOWANCE_BYTES } from "./export/span-batcher.js";
import { cutText, MASK_LOOKAHEAD, truncatedJson } from "./field-truncation.js";
import type { KeepRule } from "./sampling.js";
import { asJsonValue, jsonData, toJsonValue, toText } from "./to-text.js";
import type { TracingOptions, TracingSettings } from "./tracing-options.js";
import {
  KEYS,
  observationMetadataKey,
  roleOf,
  traceContext,
  TRACE_NAME,
  writeTraceContext,
  ZERO_USAGE_JSON,
  type ChatMessageLike,
  type ObservationType,
  type Outcome,
  type TurnIdentity,
} from "./trace-contract.js";

/**
 * What the encoder reads of the tracing settings (each documented on TracingOptions), taken whole:
 * an encoding setting is added to TracingOptions and read here, with nothing in between.
 */
export type EncoderSettings = Pick<TracingSettings, "maxFieldChars" | "captureIo" | "legacyTraceIo" | "maxBatchBytes"> &
  Partial<Pick<TracingOptions, "environment" | "release" | "version">>;

/** What the encoder calls out to. */
export interface EncoderHooks {
  /** LANGFUSE_MASK / LANGFUSE_MASK_PATTERNS, compiled: applied to every captured text before it is encoded. */
  mask?: (s: string) => string;
  /** Called once per span that had to be encoded again to fit a batch. */
  onCut?: () => void;
}

/** The fields every observation has. */
interface Observation {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  startMs: number;
  endMs: number;
  /** The turn's trace context (`context`), and its routing once decided (`routing`). */
  shared: Uint8Array;
  routing: Uint8Array | undefined;
  outcome: Outcome;
}

export interface RootObservation extends Observation {
  /** The user's message. */
  input: string;
  /** The reply; absent when the turn failed. */
  output: string | undefined;
  /** Set when the turn was shed while the event loop was busy and kept by this rule: only its root is traced. */
  rootOnlyFor?: KeepRule | undefined;
}

export interface NodeObservation extends Observation {
  name: string;
  type: ObservationType;
  input: Record<string, unknown>;
  metadata: Record<string, unknown> | undefined;
  /** LangGraph's node name and step (superstep), when the node runs in a LangGraph graph. */
  langgraphStep: number | undefined;
}

export interface GenerationObservation extends Observation {
  name: string;
  model: string | undefined;
  parametersJson: string | undefined;
  messages: readonly ChatMessageLike[];
  /** The reply's content; undefined when the call failed. */
  reply: { content: unknown; toolCallsJson: string | undefined } | undefined;
  /** Usage details as JSON; undefined: the reply reported none. */
  usageJson: string | undefined;
  completionStartMs: number | undefined;
  prompt: { name: string; version: number } | undefined;
}

/** A span shrinks at most this many times to fit maxSpanBytes. */
const FIT_ROUNDS = 3;
/** Remembered encodings of long texts (system prompts, a session's recent messages). */
const MIN_CACHED_CHARS = 96;
const MAX_CACHED_BYTES = 4 * 1024 * 1024;

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;

/**
 * From an observation to its OTLP span, in one pass: Langfuse's attributes as the trace
 * contract names them, every value capped (keeping its structure) and masked, written straight
 * into protobuf. Runs on the request path when an observation ends; it allocates the span's bytes
 * and little else.
 */
export class ObservationEncoder {
  readonly #settings: EncoderSettings;
  readonly #mask: ((s: string) => string) | undefined;
  readonly #onCut: (() => void) | undefined;
  /** Largest span: a batch's byte cap less its envelope. A larger one is encoded again with a smaller field cap. */
  readonly #maxSpanBytes: number;
  readonly #span = new OtlpSpanWriter();
  readonly #texts: JsonStrings;
  /** Each observation type's attribute, encoded once. */
  readonly #types: Record<ObservationType, Uint8Array>;
  readonly #rolePrefixes = new Map<string, Uint8Array>();
  readonly #appRoot: Uint8Array;

  constructor(settings: EncoderSettings, hooks: EncoderHooks = {}) {
    this.#settings = settings;
    this.#mask = hooks.mask;
    this.#onCut = hooks.onCut;
    this.#maxSpanBytes = settings.maxBatchBytes - ENVELOPE_ALLOWANCE_BYTES;
    this.#texts = new JsonStrings({
      minCachedChars: MIN_CACHED_CHARS,
      maxCachedBytes: MAX_CACHED_BYTES,
      mask: hooks.mask,
    });
    this.#appRoot = encodeAttributes(this.#span, (w) => w.bool(KEYS.isAppRoot, true));
    const type = (t: ObservationType) => encodeAttributes(this.#span, (w) => w.string(KEYS.type, t));
    this.#types = {
      span: type("span"),
      generation: type("generation"),
      agent: type("agent"),
      chain: type("chain"),
      tool: type("tool"),
      retriever: type("retriever"),
      guardrail: type("guardrail"),
    };
  }

  /**
   * The trace context every observation of the turn carries (as the trace contract defines it),
   * encoded once per turn. The trace id, when given, is not part of it: each span carries its own.
   */
  context(turn: TurnIdentity & { traceId?: string }): Uint8Array {
    const context = traceContext(turn, this.#settings);
    return encodeAttributes(this.#span, (w) => writeTraceContext(w, context));
  }

  /** The router's decision as trace metadata, carried by the observations that end once it is known. */
  routing(intent: string | null, agent: string | null): Uint8Array {
    return encodeAttributes(this.#span, (w) => {
      if (intent !== null) w.string(KEYS.intent, intent);
      if (agent !== null) w.string(KEYS.agent, agent);
    });
  }

  /** Writes the root observation's span into `target` (at its position). */
  root(root: RootObservation, target: ProtobufWriter): void {
    this.#fit(target, (cap) => {
      const w = this.#begin(target, root, TRACE_NAME, "span");
      w.fragment(this.#appRoot);
      this.#text(KEYS.input, root.input, cap);
      if (root.output !== undefined) this.#text(KEYS.output, root.output, cap);
      // Says why the trace has no other observation, where the user sees it.
      if (root.rootOnlyFor)
        this.#json(KEYS.rootOnly, `root only: the event loop was busy; kept for ${root.rootOnlyFor}`, cap);
      if (this.#settings.legacyTraceIo) {
        this.#text(KEYS.traceInput, root.input, cap);
        if (root.output !== undefined) this.#text(KEYS.traceOutput, root.output, cap);
      }
      return this.#end(root.outcome, cap);
    });
  }

  /** Writes a node observation's span into `target` (at its position). */
  node(node: NodeObservation, target: ProtobufWriter): void {
    this.#fit(target, (cap) => {
      const w = this.#begin(target, node, node.name, node.type);
      this.#json(KEYS.input, node.input, cap);
      if (node.langgraphStep !== undefined) {
        w.string(KEYS.langgraphNode, node.name);
        w.string(KEYS.langgraphStep, String(node.langgraphStep));
      }
      const metadata = node.metadata;
      if (metadata)
        for (const key in metadata) {
          const value = metadata[key];
          if (value !== undefined && value !== null) this.#json(observationMetadataKey(key), value, cap);
        }
      return this.#end(node.outcome, cap);
    });
  }

  /** Writes a generation's span into `target` (at its position). */
  generation(gen: GenerationObservation, target: ProtobufWriter): void {
    this.#fit(target, (cap) => {
      const w = this.#begin(target, gen, gen.name, "generation");
      if (gen.model) w.string(KEYS.model, gen.model);
      if (gen.parametersJson) w.string(KEYS.modelParameters, gen.parametersJson);
      // No reply, no usage: zeros, or Langfuse would tokenize the input and bill a call that produced nothing.
      const usage = gen.reply ? gen.usageJson : ZERO_USAGE_JSON;
      if (usage) w.string(KEYS.usageDetails, usage);
      if (gen.completionStartMs !== undefined)
        w.string(KEYS.completionStartTime, `"${new Date(gen.completionStartMs).toISOString()}"`);
      if (gen.prompt) {
        w.string(KEYS.promptName, gen.prompt.name);
        w.string(KEYS.promptVersion, String(gen.prompt.version));
      }
      this.#messages(KEYS.input, gen.messages, undefined, cap);
      if (gen.reply) this.#messages(KEYS.output, [gen.reply], gen.reply.toolCallsJson, cap);
      return this.#end(gen.outcome, cap);
    });
  }

  // ---- one span ----

  #begin(target: ProtobufWriter, obs: Observation, name: string, type: ObservationType): OtlpSpanWriter {
    const w = this.#span;
    w.begin(target, obs.traceId, obs.spanId, obs.parentSpanId, name, obs.startMs, obs.endMs, 512);
    w.fragment(obs.shared);
    if (obs.routing) w.fragment(obs.routing);
    w.fragment(this.#types[type]);
    return w;
  }

  #end(outcome: Outcome, cap: number): void {
    const w = this.#span;
    if (outcome.level) {
      w.string(KEYS.level, outcome.level);
      const message = outcome.message === undefined ? undefined : this.#capped(outcome.message, cap);
      if (message !== undefined) w.string(KEYS.statusMessage, message);
      if (outcome.level === "ERROR") w.errorStatus(message ?? "");
    }
    w.end();
  }

  /**
   * Writes the span with the field cap, and again with a smaller one while it is larger than a
   * batch may be. On an error nothing of it is left in `target`.
   */
  #fit(target: ProtobufWriter, encode: (cap: number) => void): void {
    const start = target.pos;
    let cap = this.#settings.maxFieldChars;
    try {
      encode(cap);
      for (let round = 0; round < FIT_ROUNDS && target.pos - start > this.#maxSpanBytes; round++) {
        const bytes = target.pos - start;
        // A field's characters are at most its bytes: scale the smaller of the two by how far over the span is.
        cap = Math.max(64, Math.floor((Math.min(cap, bytes) * this.#maxSpanBytes * 0.8) / bytes));
        target.pos = start;
        encode(cap);
        if (round === 0) this.#onCut?.();
      }
    } catch (err) {
      target.pos = start;
      throw err;
    }
  }

  // ---- values ----

  /** A masked, capped short value (status message, metadata text). */
  #capped(text: string, cap: number): string {
    const mask = this.#mask;
    if (text.length > cap) return cutText(mask ? mask(text.slice(0, cap + MASK_LOOKAHEAD)) : text, cap, text.length);
    return mask ? mask(text) : text;
  }

  /** A plain-text input or output (the root's): its head and a marker past the cap. */
  #text(key: AttributeKey, text: string, cap: number): void {
    const w = this.#span;
    if (!this.#settings.captureIo) return w.string(key, `{"captured":false,"chars":${text.length}}`);
    if (text.length > cap) return w.string(key, this.#capped(text, cap));
    const literal = this.#texts.of(text);
    if (literal.plain) w.stringBytes(key, literal.bytes.subarray(1, literal.bytes.length - 1));
    else w.string(key, this.#mask ? this.#mask(text) : text);
  }

  /** A node's input or a metadata value: text as it is, anything else as JSON, cut keeping its structure. */
  #json(key: AttributeKey, value: unknown, cap: number): void {
    if (typeof value === "string") {
      const cut = value.length <= cap ? (this.#mask ? this.#mask(value) : value) : this.#capped(value, cap);
      return this.#span.string(key, cut);
    }
    // An object is taken as data once (toJSON called, nothing made into text); when its strings
    // alone are past the cap it is cut without its JSON ever made whole.
    const data = typeof value === "object" && value !== null ? jsonData(value) : undefined;
    if (data && data.minChars > cap) return this.#span.string(key, truncatedJson(data.value, cap, this.#mask));
    const text = toText(data ? data.value : value);
    if (text.length <= cap) return this.#span.string(key, this.#mask ? this.#mask(text) : text);
    this.#span.string(key, truncatedJson(data ? data.value : toJsonValue(value, text), cap, this.#mask));
  }

  /**
   * Chat messages as the message array Langfuse renders as a chat (`[{"role","content"}]`), or
   * the reply as the assistant message (`{"role":"assistant","content",...}`) when `toolCallsJson`
   * is given or `messages` is the reply. Past the cap, the longest contents are cut so the array
   * stays an array.
   */
  #messages(
    key: AttributeKey,
    messages: readonly (ChatMessageLike | { content: unknown; toolCallsJson: string | undefined })[],
    toolCallsJson: string | undefined,
    cap: number,
  ): void {
    const single = key === KEYS.output;
    const contents: (JsonString | string)[] = [];
    let total = single ? 0 : 2 + Math.max(0, messages.length - 1);
    let overflow = false;
    for (const m of messages) {
      const role = single ? "assistant" : roleOf(m as ChatMessageLike);
      const content = m.content;
      let piece: JsonString | string;
      if (typeof content === "string") {
        if (content.length > cap) {
          overflow = true;
          break;
        }
        piece = this.#texts.of(content);
        total += piece.chars;
      } else {
        piece = toText(content ?? null);
        if (this.#mask) piece = this.#mask(piece);
        total += piece.length;
      }
      total += this.#rolePrefix(role).length + 1;
      contents.push(piece);
    }
    if (toolCallsJson !== undefined) total += 14 + toolCallsJson.length;
    const w = this.#span;
    if (!this.#settings.captureIo) return w.string(key, `{"captured":false,"chars":${total}}`);
    if (overflow || total > cap) return w.string(key, this.#truncatedMessages(messages, toolCallsJson, single, cap));
    w.openString(key, total);
    const pw = w.w;
    if (!single) {
      pw.ensure(1);
      pw.byte(OPEN_BRACKET);
    }
    for (let i = 0; i < contents.length; i++) {
      if (i > 0) {
        pw.ensure(1);
        pw.byte(COMMA);
      }
      pw.bytes(this.#rolePrefix(single ? "assistant" : roleOf(messages[i] as ChatMessageLike)));
      const piece = contents[i]!;
      if (typeof piece === "string") pw.utf8(piece);
      else pw.bytes(piece.bytes);
      if (toolCallsJson !== undefined) {
        pw.utf8(`,"tool_calls":`);
        pw.utf8(toolCallsJson);
      }
      pw.ensure(1);
      pw.byte(CLOSE_BRACE);
    }
    if (!single) {
      pw.ensure(1);
      pw.byte(CLOSE_BRACKET);
    }
    w.closeString();
  }

  /** The slow path, past the cap: the messages as plain data (a content as its data), cut by truncatedJson. */
  #truncatedMessages(
    messages: readonly { content: unknown }[],
    toolCallsJson: string | undefined,
    single: boolean,
    cap: number,
  ): string {
    const plain = messages.map((m) => {
      const message: Record<string, unknown> = {
        role: single ? "assistant" : roleOf(m as ChatMessageLike),
        content: typeof m.content === "string" ? m.content : asJsonValue(m.content ?? null),
      };
      if (toolCallsJson !== undefined) message["tool_calls"] = toJsonValue(toolCallsJson);
      return message;
    });
    return truncatedJson(single ? plain[0] : plain, cap, this.#mask);
  }

  /** `{"role":"<role>","content":` in UTF-8, once per role. */
  #rolePrefix(role: string): Uint8Array {
    let prefix = this.#rolePrefixes.get(role);
    if (!prefix) {
      prefix = Buffer.from(`{"role":${JSON.stringify(role)},"content":`);
      if (this.#rolePrefixes.size < 64) this.#rolePrefixes.set(role, prefix);
    }
    return prefix;
  }
}
