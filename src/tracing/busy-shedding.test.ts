import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BUSY_UTILIZATION, BUSY_WINDOW_MS, BusyShedding, CALM_UTILIZATION, CALM_WINDOW_MS } from "./busy-shedding.js";

/** A clock and an event loop whose busy share per window the test sets. */
function fakeLoop() {
  let now = 0;
  let active = 0;
  const loop = {
    now: () => now,
    utilization: (current?: { idle: number; active: number }, previous?: { idle: number; active: number }) => {
      if (!current) return { idle: now - active, active, utilization: 0 };
      const a = current.active - (previous?.active ?? 0);
      const i = current.idle - (previous?.idle ?? 0);
      return { idle: i, active: a, utilization: a + i === 0 ? 0 : a / (a + i) };
    },
    /** Lets `ms` pass with the loop busy this share of the time. */
    pass(ms: number, busyShare: number) {
      now += ms;
      active += ms * busyShare;
    },
  };
  return loop;
}

function admitted(shedding: BusyShedding, turns: number): number {
  let n = 0;
  for (let i = 0; i < turns; i++) if (shedding.admit()) n++;
  return n;
}

describe("BusyShedding", () => {
  test("a calm loop traces every turn", () => {
    const loop = fakeLoop();
    const shedding = new BusyShedding({ tracesPerSec: 2, ...loop });
    for (let w = 0; w < 4; w++) {
      loop.pass(BUSY_WINDOW_MS, BUSY_UTILIZATION - 0.05);
      assert.equal(admitted(shedding, 100), 100);
    }
    assert.equal(shedding.isBusy(), false);
  });

  test("a busy loop traces one second's allowance at once, then the allowance's rate", () => {
    const loop = fakeLoop();
    const told: number[] = [];
    const shedding = new BusyShedding({ tracesPerSec: 20, ...loop, onBusy: (u) => told.push(u) });
    loop.pass(BUSY_WINDOW_MS, 0.95);
    assert.equal(admitted(shedding, 100), 20, "a full second's allowance when the loop turns busy");
    assert.equal(shedding.isBusy(), true);
    assert.deepEqual(told, [0.95]);
    loop.pass(100, 1);
    assert.equal(admitted(shedding, 100), 2, "20 a second: 2 in 100 ms");
    loop.pass(1000, 1);
    assert.equal(admitted(shedding, 100), 20, "the allowance does not save up past one second");
  });

  test("busy until utilization falls below the calm mark, so a loop near the busy mark does not flap", () => {
    const loop = fakeLoop();
    const shedding = new BusyShedding({ tracesPerSec: 1, ...loop });
    loop.pass(BUSY_WINDOW_MS, 0.9);
    shedding.admit();
    assert.equal(shedding.isBusy(), true);
    loop.pass(CALM_WINDOW_MS, (BUSY_UTILIZATION + CALM_UTILIZATION) / 2);
    shedding.admit();
    assert.equal(shedding.isBusy(), true, "between the marks: still busy");
    loop.pass(CALM_WINDOW_MS, CALM_UTILIZATION - 0.1);
    assert.equal(shedding.admit(), true);
    assert.equal(shedding.isBusy(), false);
    assert.equal(admitted(shedding, 50), 50);
  });

  test("a window is measured only once it is over: a short busy burst does not shed", () => {
    const loop = fakeLoop();
    const shedding = new BusyShedding({ tracesPerSec: 1, ...loop });
    loop.pass(BUSY_WINDOW_MS - 1, 1);
    assert.equal(admitted(shedding, 10), 10);
    assert.equal(shedding.isBusy(), false);
  });

  test("busy after one short window, calm again only after a long one: a saturated start is traced briefly, a lull does not end it", () => {
    const loop = fakeLoop();
    const shedding = new BusyShedding({ tracesPerSec: 1, ...loop });
    assert.ok(BUSY_WINDOW_MS < CALM_WINDOW_MS);
    loop.pass(BUSY_WINDOW_MS, 1);
    assert.equal(admitted(shedding, 10), 1, "saturated for one short window: shedding");
    // A lull as long as the short window inside a busy spell: the long window still reads busy.
    loop.pass(CALM_WINDOW_MS - BUSY_WINDOW_MS - 1, 1);
    loop.pass(BUSY_WINDOW_MS, 0);
    assert.equal(shedding.isBusy(), true, "the long window is not over yet");
    loop.pass(1, 1);
    assert.equal(shedding.isBusy(), true, "80 % busy over the long window: still busy");
    loop.pass(CALM_WINDOW_MS, 0.2);
    assert.equal(shedding.isBusy(), false);
  });

  test("tracesPerSec 0 never sheds", () => {
    const loop = fakeLoop();
    const shedding = new BusyShedding({ tracesPerSec: 0, ...loop });
    loop.pass(CALM_WINDOW_MS * 4, 1);
    assert.equal(admitted(shedding, 100), 100);
  });
});
