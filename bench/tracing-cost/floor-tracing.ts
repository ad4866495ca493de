// The physical floor of tracing a turn: the least work that delivers the same observations to
// Langfuse durably. Each observation's OTLP/protobuf span is written with a minimal hand-written
// encoder (sizes first, then bytes; JSON strings escaped as JSON.stringify escapes them; every
// text encoded where it appears, nothing remembered between turns) into one reused buffer; every
// 100 turns (or megabyte) the batch is inserted into a SQLite WAL journal (the pipeline's pragmas), POSTed to
// Langfuse's endpoint, and deleted once Langfuse answers 2xx. No masking, no caps, no retries,
// no bounds, no metrics: what is left is what no design can avoid. It writes the same
// attributes as our pipeline, so the receiver stores the same rows.
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
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

const TURNS_PER_BATCH = 100;
/** A batch is also sent once it holds this much, as our pipeline's LANGFUSE_MAX_BATCH_BYTES default. */
const BATCH_BYTES = 1_000_000;

const utf8 = Buffer.byteLength;
const vsize = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
const ROLE: Record<string, string> = { human: "user", ai: "assistant", system: "system" };

/** One attribute: its key, and its value as a string (the only kind these spans carry). */
type Attr = [key: string, value: string];

class Writer {
  buf = Buffer.allocUnsafe(2 * 1024 * 1024);
  pos = 0;
  /** Room for `bytes` more: a span larger than the buffer's spare room grows it (once, then reused). */
  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }
  str(field: number, s: string, n: number): void {
    this.buf[this.pos++] = (field << 3) | 2;
    this.varint(n);
    this.pos += this.buf.write(s, this.pos, n, "utf8");
  }
  hex(field: number, s: string): void {
    this.buf[this.pos++] = (field << 3) | 2;
    this.buf[this.pos++] = s.length >> 1;
    this.pos += this.buf.write(s, this.pos, s.length >> 1, "hex");
  }
  nanos(field: number, ms: number): void {
    this.buf[this.pos++] = (field << 3) | 1;
    const ns = BigInt(Math.round(ms * 1e6));
    this.pos = this.buf.writeBigUInt64LE(ns, this.pos);
  }
}

/** A span: the attribute KeyValues (field 9) with sizes computed once, then written. */
function writeSpan(
  w: Writer,
  traceId: string,
  spanId: string,
  parentId: string | undefined,
  name: string,
  startMs: number,
  endMs: number,
  attrs: Attr[],
): void {
  const sizes: number[] = [];
  let body = 18 + 10 + (parentId ? 10 : 0) + 2 + 9 + 9;
  const nameBytes = utf8(name);
  body += 1 + vsize(nameBytes) + nameBytes;
  for (const [k, v] of attrs) {
    const kb = utf8(k);
    const vb = utf8(v);
    const any = 1 + vsize(vb) + vb;
    const kv = 1 + vsize(kb) + kb + 1 + vsize(any) + any;
    sizes.push(kb, vb, any, kv);
    body += 1 + vsize(kv) + kv;
  }
  w.ensure(1 + vsize(body) + body);
  w.buf[w.pos++] = (2 << 3) | 2;
  w.varint(body);
  w.hex(1, traceId);
  w.hex(2, spanId);
  if (parentId) w.hex(4, parentId);
  w.str(5, name, nameBytes);
  w.buf[w.pos++] = 6 << 3;
  w.buf[w.pos++] = 1;
  w.nanos(7, startMs);
  w.nanos(8, endMs);
  for (let i = 0; i < attrs.length; i++) {
    const [k, v] = attrs[i]!;
    const [kb, vb, any, kv] = sizes.slice(i * 4, i * 4 + 4) as [number, number, number, number];
    w.buf[w.pos++] = (9 << 3) | 2;
    w.varint(kv);
    w.str(1, k, kb);
    w.buf[w.pos++] = (2 << 3) | 2;
    w.varint(any);
    w.str(1, v, vb);
  }
}

let ids = 0;
const id = (bytes: number) => (++ids).toString(16).padStart(bytes * 2, "0");

/** The floor pipeline against one receiver: the journal, the batch buffer and the HTTP client. */
export class FloorTracing implements Tracing {
  readonly #w = new Writer();
  #turns = 0;
  readonly #dir = mkdtempSync(join(tmpdir(), "tracing-floor-"));
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  readonly #url: URL;
  readonly #auth: string;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(target: ReceiverTarget) {
    this.#db = new Database(join(this.#dir, "journal.db"));
    this.#db.pragma("page_size = 16384");
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = OFF");
    this.#db.exec("CREATE TABLE batches (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
    this.#insert = this.#db.prepare("INSERT INTO batches (data) VALUES (?)");
    this.#delete = this.#db.prepare("DELETE FROM batches WHERE id = ?");
    this.#url = new URL(`${target.url}/api/public/otel/v1/traces`);
    this.#auth = `Basic ${Buffer.from(`${target.publicKey}:${target.secretKey}`).toString("base64")}`;
  }

  startTurn(turn: TurnStart): TurnTrace {
    return new FloorTurn(this, turn);
  }

  /** The trace-wide attributes, as every span of ours carries them. */
  context(turn: TurnStart): Attr[] {
    return [
      ["langfuse.trace.name", "chat"],
      ["user.id", turn.userId],
      ["session.id", turn.sessionId],
      ["langfuse.trace.tags", "endpoint:chat"],
      ["langfuse.version", "0.1.0"],
      ["langfuse.trace.metadata.tenant", turn.tenant ?? "none"],
    ];
  }

  span(traceId: string, spanId: string, parent: string | undefined, name: string, start: number, attrs: Attr[]): void {
    writeSpan(this.#w, traceId, spanId, parent, name, start, performance.timeOrigin + performance.now(), attrs);
  }

  turnEnded(): void {
    if (++this.#turns % TURNS_PER_BATCH === 0 || this.#w.pos >= BATCH_BYTES) this.#flush();
  }

  #flush(): void {
    const w = this.#w;
    if (w.pos === 0) return;
    const payload = w.buf.subarray(0, w.pos);
    const row = Number(this.#insert.run(payload).lastInsertRowid);
    const body = envelope(payload);
    w.pos = 0;
    const sent = new Promise<void>((resolve) => {
      const req = http.request(this.#url, {
        method: "POST",
        agent: this.#agent,
        headers: {
          authorization: this.#auth,
          "content-type": "application/x-protobuf",
          "content-length": String(body.length),
          "x-langfuse-ingestion-version": "4",
        },
      });
      req.on("response", (res) => {
        res.resume();
        res.on("end", () => {
          if ((res.statusCode ?? 0) < 300) this.#delete.run(row);
          resolve();
        });
      });
      req.on("error", () => resolve());
      req.end(body);
    });
    this.#inFlight.add(sent);
    void sent.then(() => this.#inFlight.delete(sent));
  }

  async shutdown(): Promise<void> {
    this.#flush();
    await Promise.all([...this.#inFlight]);
    this.#agent.destroy();
    this.#db.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** ExportTraceServiceRequest { ResourceSpans { Resource, ScopeSpans { scope, spans } } } around `payload`. */
function envelope(payload: Buffer): Buffer {
  const scope = Buffer.from([0x0a, 0x1a, 0x0a, 0x18, ...Buffer.from("langfuse-sdk/switchboard")]);
  const scopeSpans = scope.length + payload.length;
  const resourceSpans = 1 + vsize(scopeSpans) + scopeSpans;
  const out = new Writer();
  out.buf = Buffer.allocUnsafe(1 + vsize(resourceSpans) + resourceSpans);
  out.buf[out.pos++] = 0x0a;
  out.varint(resourceSpans);
  out.buf[out.pos++] = 0x12;
  out.varint(scopeSpans);
  scope.copy(out.buf, out.pos);
  out.pos += scope.length;
  payload.copy(out.buf, out.pos);
  return out.buf;
}

class FloorTurn implements TurnTrace {
  readonly traceId = id(16);
  readonly rootId = id(8);
  readonly requestPathMs = 0;
  readonly #start = performance.timeOrigin + performance.now();
  routing: Attr[] = [];

  constructor(
    readonly floor: FloorTracing,
    readonly turn: TurnStart,
  ) {}

  startNode(name: string, input: Record<string, unknown>, metadata?: Record<string, unknown>): NodeTrace {
    return new FloorNode(this, name, input, metadata);
  }

  setRouting(intent: string | null, agent: string | null): void {
    this.routing = [
      ["langfuse.trace.metadata.intent", intent ?? ""],
      ["langfuse.trace.metadata.agent", agent ?? ""],
    ];
  }

  end(result: TurnResult): void {
    this.floor.span(this.traceId, this.rootId, undefined, "chat", this.#start, [
      ...this.floor.context(this.turn),
      ...this.routing,
      ["langfuse.observation.type", "span"],
      ["langfuse.observation.input", this.turn.message],
      ["langfuse.observation.output", result.output ?? ""],
    ]);
    this.floor.turnEnded();
  }
}

class FloorNode implements NodeTrace {
  readonly callbacks = undefined;
  readonly spanId = id(8);
  readonly #start = performance.timeOrigin + performance.now();

  constructor(
    readonly t: FloorTurn,
    readonly name: string,
    readonly input: Record<string, unknown>,
    readonly metadata: Record<string, unknown> | undefined,
  ) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  startGeneration(name: string, call: GenerationStart): GenerationTrace {
    return new FloorGeneration(this, name, call);
  }

  end(): void {
    const attrs: Attr[] = [
      ...this.t.floor.context(this.t.turn),
      ...this.t.routing,
      ["langfuse.observation.type", "span"],
      ["langfuse.observation.input", JSON.stringify(this.input)],
    ];
    for (const key in this.metadata) attrs.push([`langfuse.observation.metadata.${key}`, String(this.metadata[key])]);
    this.t.floor.span(this.t.traceId, this.spanId, this.t.rootId, this.name, this.#start, attrs);
  }
}

const messageJson = (m: ChatMessageLike) =>
  `{"role":"${m.role ?? ROLE[m.type ?? ""] ?? "user"}","content":${JSON.stringify(m.content)}}`;

class FloorGeneration implements GenerationTrace {
  readonly #start = performance.timeOrigin + performance.now();

  constructor(
    readonly node: FloorNode,
    readonly name: string,
    readonly call: GenerationStart,
  ) {}

  firstToken(): void {}

  end(reply: ModelReplyLike): void {
    const t = this.node.t;
    const usage = reply.usage_metadata;
    t.floor.span(t.traceId, id(8), this.node.spanId, this.name, this.#start, [
      ...t.floor.context(t.turn),
      ...t.routing,
      ["langfuse.observation.type", "generation"],
      ["langfuse.observation.model.name", this.call.model ?? ""],
      ["langfuse.observation.model.parameters", JSON.stringify(this.call.parameters ?? {})],
      [
        "langfuse.observation.usage_details",
        `{"input":${usage?.input_tokens ?? 0},"output":${usage?.output_tokens ?? 0},"total":${usage?.total_tokens ?? 0}}`,
      ],
      ["langfuse.observation.input", `[${this.call.input.map(messageJson).join(",")}]`],
      ["langfuse.observation.output", `{"role":"assistant","content":${JSON.stringify(reply.content)}}`],
    ]);
  }

  fail(): void {}
}
