import { test } from "node:test";
import assert from "node:assert/strict";
import {
  documentedWindowMs,
  measureCrashWindow,
  SCHEDULING_MARGIN_MS,
  type StoredTrace,
  type TurnRecord,
} from "./crash-window.js";

const KILL = 1_000_000;

function turn(traceId: string, answeredMsBeforeKill: number, tookMs = 10): TurnRecord {
  return {
    traceId,
    status: 200,
    sentAt: KILL - answeredMsBeforeKill - tookMs,
    answeredAt: KILL - answeredMsBeforeKill,
  };
}

function stored(ids: string[], rootEndMsBeforeKill: number | null = null): StoredTrace {
  return {
    ids: new Set(ids),
    rows: ids.map((id, i) => ({
      parentObservationId: i === 0 ? null : "root",
      endTime: i === 0 && rootEndMsBeforeKill !== null ? new Date(KILL - rootEndMsBeforeKill).toISOString() : null,
    })),
  };
}

test("turns missing spans are lost, aged from their answer; whole turns, duplicates and strays are told apart", () => {
  const turns = [
    turn("old", 3000),
    turn("whole", 800),
    turn("partial", 400),
    turn("gone", 100),
    { ...turn("failed", 50), status: 503 },
  ];
  const rows = new Map<string, StoredTrace>([
    ["old", stored(["a", "b", "c"], 3005)],
    [
      "whole",
      {
        ids: new Set(["d", "e", "f"]),
        rows: [...stored(["d", "e", "f"], 802).rows, { parentObservationId: "root", endTime: null }],
      },
    ],
    ["partial", stored(["g", "h"])],
    ["stray", stored(["x", "y"])],
  ]);
  const w = measureCrashWindow(turns, KILL, rows, 3);
  assert.equal(w.turns, 4, "only 200s with a trace id count");
  assert.deepEqual(
    w.lostTurns.map((t) => [t.traceId, t.missing, t.ageMs]),
    [
      ["partial", 1, 400],
      ["gone", 3, 100],
    ],
  );
  assert.equal(w.lostSpans, 4);
  assert.equal(w.maxLostAgeMs, 400);
  assert.equal(w.youngestCompleteAgeMs, 800);
  assert.equal(w.duplicateRows, 1);
  assert.equal(w.strayRows, 2);
  assert.equal(w.turnsInLastSecond, 3);
  assert.deepEqual(w.answerDelayMs, { p50: 5, max: 5 });
});

test("nothing lost: no ages", () => {
  const w = measureCrashWindow([turn("a", 100)], KILL, new Map([["a", stored(["1", "2"])]]), 2);
  assert.equal(w.lostSpans, 0);
  assert.equal(w.maxLostAgeMs, null);
});

test("the window is the flush interval, the journal's write-behind delay, the measured event-loop delay and the margin", () => {
  assert.equal(documentedWindowMs({ flushIntervalMs: 500, journalDelayMs: 1000 }, 40), 1540 + SCHEDULING_MARGIN_MS);
});
