// Test support for the export package: a transport whose answers a test scripts, and a scheduler
// whose time only moves when the test says so. Used by the exporter's unit tests and the
// model-based test; not part of the pipeline.
import { Registry } from "prom-client";
import { FaultReporter, type TracingLogger } from "../../src/tracing/fault-reporter.js";
import { TracingMetrics } from "../../src/tracing/tracing-metrics.js";
import type { Scheduler } from "../../src/tracing/export/scheduler.js";
import type { ExportTransport, SendOutcome } from "../../src/tracing/export/send-outcome.js";
import type { RequestBody } from "../../src/tracing/encoding/span-format.js";
import { OtlpJsonFormat } from "../../src/tracing/encoding/otlp-json-format.js";
import { OtlpProtobufFormat } from "../../src/tracing/encoding/otlp-protobuf-format.js";
import { attributeKey, OtlpSpanWriter } from "../../src/tracing/encoding/otlp-span-writer.js";
import { ProtobufWriter } from "../../src/tracing/encoding/protobuf-writer.js";
import { decodeOtlpProtobuf } from "../../src/receiver/otlp-protobuf-decoder.js";

/** One request the scripted transport received, waiting for the test to answer it. */
export interface ScriptedRequest {
  /** The whole body, its pieces joined. */
  body: string | Uint8Array;
  /** The span ids in the body, in order. */
  spanIds: string[];
  answer(outcome: SendOutcome): void;
}

/**
 * A transport that parks every request until the test answers it (or answers at once with
 * `autoAnswer`). `close()` answers what is parked as the real transport's cut attempts end:
 * unknown (the body was written).
 */
export class ScriptedTransport implements ExportTransport {
  readonly parked: ScriptedRequest[] = [];
  readonly sent: ScriptedRequest[] = [];
  autoAnswer: ((body: string | Uint8Array) => SendOutcome) | null = null;
  closed = false;

  send(pieces: RequestBody): Promise<SendOutcome> {
    const body = joinBody(pieces);
    return new Promise((resolve) => {
      const request: ScriptedRequest = {
        body,
        spanIds: spanIdsOf(body),
        answer: (outcome) => {
          const i = this.parked.indexOf(request);
          if (i >= 0) this.parked.splice(i, 1);
          resolve(outcome);
        },
      };
      this.sent.push(request);
      if (this.autoAnswer) resolve(this.autoAnswer(body));
      else this.parked.push(request);
    });
  }

  close(): void {
    this.closed = true;
    for (const request of [...this.parked]) request.answer({ kind: "unknown", reason: "network", message: "closed" });
  }
}

/** A request body in one piece: text when it was text, bytes otherwise. */
export function joinBody(body: RequestBody): string | Uint8Array {
  if (!Array.isArray(body)) return body as string | Uint8Array;
  const pieces = body as readonly (string | Uint8Array)[];
  if (pieces.every((p) => typeof p === "string")) return pieces.join("");
  return Buffer.concat(pieces.map((p) => (typeof p === "string" ? Buffer.from(p) : p)));
}

const SPAN_ID = /"spanId":"([0-9a-f]+)"/g;

/** The span ids of a request body, OTLP/JSON or OTLP/protobuf, in one piece or in pieces. */
export function spanIdsOf(pieces: RequestBody): string[] {
  const body = joinBody(pieces);
  if (typeof body !== "string") return decodeOtlpProtobuf(body).map((s) => s.spanId);
  return [...body.matchAll(SPAN_ID)].map((m) => m[1]!);
}

const fakeWriter = new OtlpSpanWriter();
const PAD_KEY = attributeKey("p");

/** A minimal encoded span (OTLP/protobuf) with a recognisable id, padded with `pad` copies of `padChar` to size it. */
export function fakeSpan(id: number, pad = 0, padChar = "x"): Uint8Array {
  const w = new ProtobufWriter(256 + pad * 3);
  fakeWriter.begin(w, "a".repeat(32), id.toString(16).padStart(16, "0"), undefined, "s", 1, 2);
  fakeWriter.string(PAD_KEY, padChar.repeat(pad));
  fakeWriter.end();
  return w.takeFrom(0);
}

const RESOURCE = { serviceName: "switchboard-test", serviceVersion: "0.0.0" };
/** The wire formats, for exporters under test (fake spans are OTLP/protobuf; a journal may hold JSON from older versions). */
export const FORMATS = { json: new OtlpJsonFormat(RESOURCE), protobuf: new OtlpProtobufFormat(RESOURCE) };

/** Virtual time: timers fire only from `advance`; deferred work runs on `runDeferred`. */
export class VirtualScheduler implements Scheduler {
  #now = 1_000_000;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();
  #deferred: (() => void)[] = [];

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  defer(fn: () => void): void {
    this.#deferred.push(fn);
  }

  /** Runs deferred work, including work it defers in turn. */
  runDeferred(): void {
    while (this.#deferred.length) {
      const batch = this.#deferred;
      this.#deferred = [];
      for (const fn of batch) fn();
    }
  }

  /** Moves time forward, firing due timers in order (each followed by the deferred work it caused). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.runDeferred();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].fn();
    }
    this.#now = end;
    this.runDeferred();
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }
}

/** Lets promise callbacks (settled sends) run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class RecordingLogger implements TracingLogger {
  readonly lines: { level: string; msg: string; obj: object }[] = [];
  warn(obj: object, msg: string): void {
    this.lines.push({ level: "warn", msg, obj });
  }
  info(obj: object, msg: string): void {
    this.lines.push({ level: "info", msg, obj });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: "error", msg, obj });
  }
}

/** Metrics and fault reporting on a registry of their own, with counter readers. */
export function testMetrics(logger: TracingLogger = new RecordingLogger()) {
  const registry = new Registry();
  const metrics = new TracingMetrics(registry);
  const faults = new FaultReporter(metrics, logger);
  const count = async (name: string, labels?: Record<string, string>): Promise<number> => {
    const metric = registry.getSingleMetric(`switchboard_tracing_${name}`);
    if (!metric) throw new Error(`no metric ${name}`);
    const { values } = await metric.get();
    return values
      .filter((v) => !labels || Object.entries(labels).every(([k, l]) => v.labels[k] === l))
      .reduce((sum, v) => sum + v.value, 0);
  };
  return { registry, metrics, faults, count };
}
