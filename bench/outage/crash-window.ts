// What a kill -9 lost, turn by turn: each turn the service answered before the kill is matched
// with the rows the receiver holds for its trace once the next run has replayed the journal.
// Shared by the outage benchmark (its crash run) and the crash tests (test/crash-trace-loss.test.ts).
//
// Ages are measured from the turn's answer: every span of a turn ended before its answer was
// written, so `killAt - answeredAt` is a lower bound of the age at the kill of each of its spans
// (the root, which ends last, is within a few ms of it: `answerDelayMs` measures that gap on the
// turns that arrived). A span can only be lost if it was pushed within the flush interval (plus
// the seal timer's lateness), or sealed within the journal's write-behind delay and not yet
// acknowledged, before the kill, so a turn with a lost span must have been answered within that
// window: that is what the tests assert.

/**
 * The docs promise LANGFUSE_FLUSH_INTERVAL plus LANGFUSE_JOURNAL_DELAY "plus the event loop's
 * delay in running the seal timer" (and the write timer after it). That delay is measured on the killed process itself (nodejs_eventloop_lag_max_seconds
 * over the load, read just before the kill). On top of it a fixed margin for what the monitor
 * does not see: its 10 ms resolution and the seal's own SQLite write (about 1 ms). A journal that
 * missed one seal would lose spans a whole interval older.
 */
export const SCHEDULING_MARGIN_MS = 100;

/** Oldest a lost span may be at the kill, ms. */
export function documentedWindowMs(
  settings: { flushIntervalMs: number; journalDelayMs: number },
  eventLoopDelayMaxMs: number,
): number {
  return settings.flushIntervalMs + settings.journalDelayMs + eventLoopDelayMaxMs + SCHEDULING_MARGIN_MS;
}

/** A turn as the load generator saw it. */
export interface TurnRecord {
  /** The answer's trace_id. */
  traceId: string | null;
  status: number;
  /** When the request was sent (Date.now()). */
  sentAt: number;
  /** When the whole answer had been read (Date.now()). */
  answeredAt: number;
}

/** What the receiver holds for one trace: its rows (a span sent twice is two) and distinct ids. */
export interface StoredTrace {
  ids: ReadonlySet<string>;
  rows: ReadonlyArray<{ parentObservationId: string | null; endTime: string | null }>;
}

export interface LostTurn {
  traceId: string;
  /** Spans of the turn not in the receiver. */
  missing: number;
  /** killAt - answeredAt, ms. */
  ageMs: number;
  /** How long the turn took (answeredAt - sentAt), ms: its first span is at most this much older. */
  turnMs: number;
}

export interface CrashWindow {
  spansPerTurn: number;
  /** Turns answered 200 with a trace id. */
  turns: number;
  /** Of them, answered within the last second before the kill: the load was live at the kill. */
  turnsInLastSecond: number;
  lostTurns: LostTurn[];
  lostSpans: number;
  /** The oldest lost turn's age, ms (null when nothing was lost). */
  maxLostAgeMs: number | null;
  /** The youngest turn that arrived whole, ms before the kill. */
  youngestCompleteAgeMs: number | null;
  /** Rows beyond the first of their id, among the answered turns' traces. */
  duplicateRows: number;
  /** Rows of traces no answer named (turns in flight at the kill). */
  strayRows: number;
  /** answeredAt - the root row's end, over the turns that arrived: how late an answer is read. */
  answerDelayMs: { p50: number; max: number } | null;
}

export function measureCrashWindow(
  turns: readonly TurnRecord[],
  killAt: number,
  rows: ReadonlyMap<string, StoredTrace>,
  spansPerTurn: number,
): CrashWindow {
  const traced = turns.filter((t) => t.status === 200 && t.traceId !== null);
  const known = new Set(traced.map((t) => t.traceId!));
  const lostTurns: LostTurn[] = [];
  const delays: number[] = [];
  let duplicateRows = 0;
  let youngestCompleteAgeMs: number | null = null;
  for (const turn of traced) {
    const got = rows.get(turn.traceId!);
    const ids = got?.ids.size ?? 0;
    duplicateRows += (got?.rows.length ?? 0) - ids;
    const ageMs = killAt - turn.answeredAt;
    if (ids < spansPerTurn) {
      lostTurns.push({
        traceId: turn.traceId!,
        missing: spansPerTurn - ids,
        ageMs,
        turnMs: turn.answeredAt - turn.sentAt,
      });
      continue;
    }
    if (youngestCompleteAgeMs === null || ageMs < youngestCompleteAgeMs) youngestCompleteAgeMs = ageMs;
    const root = got!.rows.find((r) => r.parentObservationId === null);
    if (root?.endTime) delays.push(turn.answeredAt - Date.parse(root.endTime));
  }
  let strayRows = 0;
  for (const [traceId, got] of rows) if (!known.has(traceId)) strayRows += got.rows.length;
  delays.sort((a, b) => a - b);
  return {
    spansPerTurn,
    turns: traced.length,
    turnsInLastSecond: traced.filter((t) => killAt - t.answeredAt <= 1000).length,
    lostTurns: lostTurns.sort((a, b) => b.ageMs - a.ageMs),
    lostSpans: lostTurns.reduce((n, t) => n + t.missing, 0),
    maxLostAgeMs: lostTurns.length ? Math.max(...lostTurns.map((t) => t.ageMs)) : null,
    youngestCompleteAgeMs,
    duplicateRows,
    strayRows,
    answerDelayMs: delays.length
      ? { p50: delays[Math.floor(delays.length / 2)]!, max: delays[delays.length - 1]! }
      : null,
  };
}

/** One line for the test log (the report quotes these). */
export function describeCrashWindow(
  label: string,
  w: CrashWindow,
  extra: Record<string, number | string> = {},
): string {
  const ages = w.lostTurns.map((t) => t.ageMs);
  const parts = [
    `${label}: ${w.turns} turns answered (${w.turnsInLastSecond} in the last second), ${w.lostSpans} spans lost in ${w.lostTurns.length} turns`,
    `lost ages ${ages.length ? `${Math.min(...ages)}..${Math.max(...ages)} ms` : "n/a"}`,
    `youngest complete turn ${w.youngestCompleteAgeMs ?? "n/a"} ms`,
    `duplicates ${w.duplicateRows}, stray rows ${w.strayRows}`,
    `answer read ${w.answerDelayMs ? `${w.answerDelayMs.p50}/${w.answerDelayMs.max}` : "n/a"} ms (p50/max) after the root ended`,
    ...Object.entries(extra).map(([k, v]) => `${k} ${v}`),
  ];
  return parts.join("; ");
}
