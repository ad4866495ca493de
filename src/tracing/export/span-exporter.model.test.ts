// Model-based test of the exporter and its durable journal (fast-check commands): random
// histories of spans pushed, backend answers of every kind, time passing, graceful shutdowns,
// crashes and restarts, against a model of what Langfuse stored. After every history:
// - every span pushed is stored by Langfuse, counted as dropped with a reason, or was lost in a
//   crash while it was younger than the flush interval (the documented window);
// - no span Langfuse acknowledged is ever sent again (checked on every request);
// - every span sent again after an outcome that may have stored it is counted in
//   switchboard_tracing_spans_resent_total, and Langfuse never holds more copies than that allows;
// - the journal ends empty.
// A second property aims at the crash window alone: histories of pushes and time, then a crash,
// with only the flush timer sealing batches; a seal timer three times too long fails it.
// Both run with the journal written when a batch is sealed (LANGFUSE_JOURNAL_DELAY=0) and written
// behind (the default: a crash may then also lose batches younger than the delay).
// Runs in virtual time from a fixed seed (printed with the result); FAST_CHECK_RUNS sets the
// number of histories (at least 100), FAST_CHECK_SEED replays another seed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  FORMATS,
  fakeSpan,
  joinBody,
  RecordingLogger,
  ScriptedTransport,
  settle,
  spanIdsOf,
  testMetrics,
  VirtualScheduler,
} from "../../../test/support/export-fakes.js";
import type { RequestBody } from "../encoding/span-format.js";
import type { SendOutcome } from "./send-outcome.js";
import { SpanExporter } from "./span-exporter.js";
import { SqliteJournal } from "./sqlite-journal.js";
import { WriteBehindJournal } from "./write-behind-journal.js";
import type { BatchJournal } from "./batch-journal.js";
import { resolveTracingOptions, type TracingSettings } from "../tracing-options.js";
import { assertRan, propertyRuns } from "../../../test/support/property-runs.js";

const MODEL_RUNS = propertyRuns({
  name: "exporter + journal against a model",
  runsVariable: "FAST_CHECK_RUNS",
  defaultRuns: 3000,
  minRuns: 100,
  seedVariable: "FAST_CHECK_SEED",
  defaultSeed: 20_261_206,
});
const RUNS = MODEL_RUNS.numRuns;
const SEED = MODEL_RUNS.seed;
const FLUSH_INTERVAL_MS = 500;
/** The settings every exporter here runs with (the rest at their defaults); each adds its batch size. */
const SETTINGS: Partial<TracingSettings> = {
  flushIntervalMs: FLUSH_INTERVAL_MS,
  concurrency: 2,
  maxRetries: 2,
  retryDelayMs: 100,
  maxQueueBytes: 16 * 1024 * 1024,
  maxJournalBytes: 64 * 1024 * 1024,
  replayRatePerSec: 100,
};

/** How the journal is written: when a batch is sealed, or behind, after a delay. */
interface JournalMode {
  name: string;
  delayMs: number;
}
const MODES: JournalMode[] = [
  { name: "journal written at the seal", delayMs: 0 },
  { name: "journal written behind", delayMs: 1000 },
];

/** The journal a mode runs with, over the SQLite file (which is all a crash leaves). */
function journalFor(mode: JournalMode, file: SqliteJournal, scheduler: VirtualScheduler): BatchJournal {
  return mode.delayMs === 0
    ? file
    : new WriteBehindJournal(file, {
        delayMs: mode.delayMs,
        maxHeldBytes: SETTINGS.maxQueueBytes!,
        now: () => scheduler.now(),
      });
}

type AnswerKind =
  | "stored"
  | "not_stored_503"
  | "not_stored_network"
  | "unknown_stored"
  | "unknown_lost"
  | "auth_401"
  | "rejected_400"
  | "too_large_413";

/** What Langfuse and the test know, across incarnations of the service. */
interface Model {
  nextSpan: number;
  pushedAt: Map<string, number>;
  /** Copies Langfuse stored, per span id. */
  stored: Map<string, number>;
  /** Spans in batches Langfuse acknowledged (answered 2xx). */
  acked: Set<string>;
  /** Spans Langfuse may hold from an attempt whose outcome the exporter could not know. */
  maybeStored: Set<string>;
  /** Spans the exporter must have counted as dropped (rejected, or alone and too large). */
  dropped: Set<string>;
  /** Spans lost in crashes, with the crash's time. */
  lost: Map<string, number>;
  /** Re-sends the exporter must have counted. */
  expectedResent: number;
  failures: string[];
}

/** One incarnation of the service: exporter, its clock and its transport. */
class Real {
  readonly dir = mkdtempSync(join(tmpdir(), "export-model-"));
  scheduler!: VirtualScheduler;
  transport!: ScriptedTransport;
  exporter!: SpanExporter;
  /** The SQLite file under the journal: what a crash leaves. */
  file!: SqliteJournal;
  running = false;
  droppedCounted = 0;
  resentCounted = 0;
  #counters: (() => Promise<{ dropped: number; resent: number }>) | null = null;

  readonly #model: Model;
  readonly #mode: JournalMode;

  constructor(model: Model, mode: JournalMode) {
    this.#model = model;
    this.#mode = mode;
    this.start();
  }

  start(): void {
    this.scheduler = new VirtualScheduler();
    this.transport = new ScriptedTransport();
    const realSend = this.transport.send.bind(this.transport);
    // Every request is checked as it leaves: nothing acknowledged goes out again, and re-sends of
    // what Langfuse may already hold are what the exporter must count.
    this.transport.send = (body: RequestBody) => {
      for (const id of spanIdsOf(body)) {
        if (this.#model.acked.has(id))
          this.#model.failures.push(`span ${id} was sent again after Langfuse acknowledged it`);
        if (this.#model.maybeStored.has(id)) this.#model.expectedResent += 1;
      }
      return realSend(body);
    };
    const realClose = this.transport.close.bind(this.transport);
    // Cut attempts (shutdown): Langfuse may or may not have them (this model: not), the exporter cannot know.
    this.transport.close = () => {
      for (const request of this.transport.parked) for (const id of request.spanIds) this.#model.maybeStored.add(id);
      realClose();
    };
    this.file = SqliteJournal.open(this.dir).journal;
    const { metrics, faults, count } = testMetrics(new RecordingLogger());
    this.#counters = async () => ({
      dropped: await count("spans_dropped_total"),
      resent: await count("spans_resent_total"),
    });
    this.exporter = new SpanExporter({
      settings: resolveTracingOptions({
        ...SETTINGS,
        flushAt: 4,
        maxBatchBytes: 64 * 1024,
        journalDelayMs: this.#mode.delayMs,
      }),
      transport: this.transport,
      journal: journalFor(this.#mode, this.file, this.scheduler),
      formats: FORMATS,
      metrics,
      faults,
      logger: new RecordingLogger(),
      scheduler: this.scheduler,
    });
    this.running = true;
  }

  /** Adds this incarnation's counters to the totals (once, when it ends). */
  async retire(): Promise<void> {
    const c = await this.#counters!();
    this.droppedCounted += c.dropped;
    this.resentCounted += c.resent;
    this.#counters = null;
  }

  /** Span ids the journal holds right now (read through a second connection, as after a crash). */
  journalSpanIds(): Set<string> {
    return spanIdsInJournal(this.dir);
  }
}

/** Span ids in the journal file in `dir`, read through a connection of its own (as a next start would). */
function spanIdsInJournal(dir: string): Set<string> {
  const { journal } = SqliteJournal.open(dir);
  const ids = new Set<string>();
  try {
    for (const entry of journal.scan(0, 1_000_000)) {
      const read = journal.read(entry.id);
      if (read.ok) for (const id of spanIdsOf(joinBody(FORMATS.protobuf.body(read.payload as Uint8Array)))) ids.add(id);
    }
  } finally {
    journal.close();
  }
  return ids;
}

function outcomeFor(kind: AnswerKind): SendOutcome {
  switch (kind) {
    case "stored":
      return { kind: "stored", status: 200 };
    case "not_stored_503":
      return { kind: "not_stored", reason: "http_5xx", status: 503, message: "503" };
    case "not_stored_network":
      return { kind: "not_stored", reason: "network", message: "ECONNREFUSED" };
    case "unknown_stored":
    case "unknown_lost":
      return { kind: "unknown", reason: "timeout", message: "no answer" };
    case "auth_401":
      return { kind: "auth_failed", status: 401, message: "401" };
    case "rejected_400":
      return { kind: "rejected", status: 400, message: "400" };
    case "too_large_413":
      return { kind: "too_large", status: 413, message: "413" };
  }
}

class Push implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    if (!r.running) r.start();
    for (let i = 0; i < this.n; i++) {
      const id = m.nextSpan++;
      m.pushedAt.set(id.toString(16).padStart(16, "0"), r.scheduler.now());
      r.exporter.push(fakeSpan(id));
    }
    r.scheduler.runDeferred();
    await settle();
  }
  toString = () => `push(${this.n})`;
}

class Answer implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly kind: AnswerKind,
  ) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    if (!r.running || r.transport.parked.length === 0) return;
    const request = r.transport.parked[this.pick % r.transport.parked.length]!;
    if (this.kind === "stored" || this.kind === "unknown_stored")
      for (const id of request.spanIds) m.stored.set(id, (m.stored.get(id) ?? 0) + 1);
    if (this.kind === "stored") for (const id of request.spanIds) m.acked.add(id);
    if (this.kind === "unknown_stored" || this.kind === "unknown_lost")
      for (const id of request.spanIds) m.maybeStored.add(id);
    if (this.kind === "rejected_400" || (this.kind === "too_large_413" && request.spanIds.length === 1))
      for (const id of request.spanIds) m.dropped.add(id);
    request.answer(outcomeFor(this.kind));
    await settle();
    r.scheduler.runDeferred();
  }
  toString = () => `answer(${this.pick}, ${this.kind})`;
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  async run(_m: Model, r: Real): Promise<void> {
    if (!r.running) return;
    // In steps, so sends started by timers settle before later timers fire.
    for (let left = this.ms; left > 0; left -= 250) {
      r.scheduler.advance(Math.min(250, left));
      await settle();
    }
  }
  toString = () => `advance(${this.ms})`;
}

class GracefulShutdown implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(_m: Model, r: Real): Promise<void> {
    if (!r.running) return;
    await r.exporter.shutdown(0);
    await r.retire();
    r.running = false;
  }
  toString = () => "shutdown";
}

class Crash implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    if (!r.running) return;
    const crashAt = r.scheduler.now();
    // Requests in flight die with the process: Langfuse did not get them, but the exporter cannot know.
    for (const request of r.transport.parked) for (const id of request.spanIds) m.maybeStored.add(id);
    await r.retire();
    // Only the file survives: what a journal written behind held in memory is gone.
    r.file.close();
    r.running = false;
    const inJournal = r.journalSpanIds();
    for (const id of m.pushedAt.keys()) {
      if (m.lost.has(id) || inJournal.has(id) || m.acked.has(id) || m.dropped.has(id)) continue;
      m.lost.set(id, crashAt);
    }
  }
  toString = () => "crash";
}

const commands = [
  fc.integer({ min: 1, max: 9 }).map((n) => new Push(n)),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom<AnswerKind>(
        "stored",
        "stored",
        "stored",
        "not_stored_503",
        "not_stored_network",
        "unknown_stored",
        "unknown_lost",
        "auth_401",
        "rejected_400",
        "too_large_413",
      ),
    )
    .map(([pick, kind]) => new Answer(pick, kind)),
  fc.constantFrom(50, 300, 600, 1500, 5000, 40_000).map((ms) => new Advance(ms)),
  fc.constant(new GracefulShutdown()),
  fc.constant(new Crash()),
];

/** After the history: Langfuse heals, the service runs until the journal is empty. */
async function drain(m: Model, r: Real): Promise<void> {
  if (!r.running) r.start();
  r.transport.autoAnswer = (body) => {
    for (const id of spanIdsOf(body)) {
      m.stored.set(id, (m.stored.get(id) ?? 0) + 1);
      m.acked.add(id);
    }
    return { kind: "stored", status: 200 };
  };
  for (const request of [...r.transport.parked]) {
    for (const id of request.spanIds) {
      m.stored.set(id, (m.stored.get(id) ?? 0) + 1);
      m.acked.add(id);
    }
    request.answer({ kind: "stored", status: 200 });
  }
  // Long enough for an auth probe (5 min), probe backoff and the paced replay.
  for (let i = 0; i < 200 && (r.exporter.heldSpans > 0 || r.transport.parked.length > 0); i++) {
    r.scheduler.advance(10_000);
    await settle();
  }
  await r.exporter.shutdown(0);
  await r.retire();
  r.running = false;
}

for (const mode of MODES)
  test(`exporter + journal against a model, ${mode.name}: ${RUNS} random histories`, { timeout: 600_000 }, async () => {
    const windowMs = FLUSH_INTERVAL_MS + mode.delayMs;
    let histories = 0;
    const details = await fc.check(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
        histories++;
        const model: Model = {
          nextSpan: 1,
          pushedAt: new Map(),
          stored: new Map(),
          acked: new Set(),
          maybeStored: new Set(),
          dropped: new Set(),
          lost: new Map(),
          expectedResent: 0,
          failures: [],
        };
        const real = new Real(model, mode);
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          await drain(model, real);
          assert.deepEqual(model.failures, []);
          for (const [id, pushedAt] of model.pushedAt) {
            const stored = model.stored.get(id) ?? 0;
            const crashAt = model.lost.get(id);
            if (stored > 0 || model.dropped.has(id)) continue;
            assert.ok(crashAt !== undefined, `span ${id} was neither stored, nor dropped, nor lost in a crash`);
            assert.ok(
              crashAt - pushedAt < windowMs,
              `span ${id}, pushed ${crashAt - pushedAt} ms before a crash, was lost (window ${windowMs} ms)`,
            );
          }
          assert.equal(
            real.droppedCounted,
            [...model.dropped].filter((id) => !model.lost.has(id)).length,
            "dropped spans are exactly those Langfuse refused for good, each counted once",
          );
          assert.equal(
            real.resentCounted,
            model.expectedResent,
            "every re-send of a span Langfuse may hold is counted",
          );
          let extraCopies = 0;
          for (const n of model.stored.values()) extraCopies += Math.max(0, n - 1);
          assert.ok(
            extraCopies <= real.resentCounted,
            `Langfuse holds ${extraCopies} extra copies, more than the ${real.resentCounted} counted re-sends`,
          );
          assert.equal(real.journalSpanIds().size, 0, "the journal is empty once everything is delivered");
        } finally {
          rmSync(real.dir, { recursive: true, force: true });
        }
      }),
      { numRuns: RUNS, seed: SEED, verbose: 2, includeErrorInReport: true },
    );
    // The note and CI log quote this.
    console.log(`${mode.name}: ${MODEL_RUNS.summary(histories)}`);
    if (details.failed) throw new Error(fc.defaultReportMessage(details));
    assertRan(details, RUNS, "exporter + journal against a model");
  });

// The crash window alone. Batches are sealed only by the flush timer (they never fill), Langfuse
// never answers (so what was sealed stays in the journal), and time moves in steps of 50 ms up
// to three windows between pushes. After the crash, a span that is not in the journal was lost,
// and it must have been younger than the flush interval. A seal timer three times too long
// loses spans 500-1500 ms old, which about half of these histories produce.
const CRASH_RUNS = Math.max(50, Math.round(RUNS / 10));

for (const mode of MODES)
  test(`a crash loses only spans younger than the flush interval plus the journal's delay, ${mode.name}: ${CRASH_RUNS} histories of pushes, time and a crash`, async () => {
    const windowMs = FLUSH_INTERVAL_MS + mode.delayMs;
    const step = fc.record({
      push: fc.integer({ min: 1, max: 3 }),
      advanceMs: fc.integer({ min: 0, max: 30 }).map((n) => n * 50),
    });
    let histories = 0;
    const details = await fc.check(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
        histories++;
        const dir = mkdtempSync(join(tmpdir(), "export-crash-window-"));
        const scheduler = new VirtualScheduler();
        const transport = new ScriptedTransport();
        const file = SqliteJournal.open(dir).journal;
        const { metrics, faults } = testMetrics(new RecordingLogger());
        const exporter = new SpanExporter({
          settings: resolveTracingOptions({
            ...SETTINGS,
            flushAt: 10_000,
            maxBatchBytes: 16 * 1024 * 1024,
            maxQueueBytes: 64 * 1024 * 1024,
            journalDelayMs: mode.delayMs,
          }),
          transport,
          journal: journalFor(mode, file, scheduler),
          formats: FORMATS,
          metrics,
          faults,
          logger: new RecordingLogger(),
          scheduler,
        });
        try {
          const pushedAt = new Map<string, number>();
          let next = 1;
          for (const { push, advanceMs } of steps) {
            for (let i = 0; i < push; i++) {
              const id = next++;
              pushedAt.set(id.toString(16).padStart(16, "0"), scheduler.now());
              exporter.push(fakeSpan(id));
            }
            scheduler.runDeferred();
            await settle();
            for (let left = advanceMs; left > 0; left -= 50) {
              scheduler.advance(Math.min(50, left));
              await settle();
            }
          }
          // kill -9: nothing more runs in this process; the journal is what survives.
          const crashAt = scheduler.now();
          file.close();
          const kept = spanIdsInJournal(dir);
          for (const [id, at] of pushedAt)
            if (!kept.has(id))
              assert.ok(
                crashAt - at < windowMs,
                `span ${id}, pushed ${crashAt - at} ms before the crash, was lost (window ${windowMs} ms)`,
              );
        } finally {
          transport.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: CRASH_RUNS, seed: SEED },
    );
    console.log(
      `crash window, ${mode.name}: ${histories} histories (${CRASH_RUNS} runs asked), seed ${SEED}; replay with FAST_CHECK_SEED=${SEED}`,
    );
    if (details.failed) throw new Error(fc.defaultReportMessage(details));
    assertRan(details, CRASH_RUNS, "crash window");
  });
